// The credentials every source produces and every output format prints, and the one check every
// peer's answer passes (the agent's, STS's, a cache entry's). The field names match the AWS SDK
// for JavaScript v3's AwsCredentialIdentity, so the module API can return them as is.

import { EpicacError } from "./errors.ts";
import { MIN_SECRET_LENGTH, registerSecret } from "./redact.ts";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
  accountId?: string;
}

// RFC 3339 as agents and STS send it; the fraction may carry up to nanoseconds.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Parse an RFC 3339 timestamp (sub-millisecond digits are dropped), or undefined if malformed. */
export function parseTimestamp(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = "", zone, sign, oh, om] = m;
  const ms = Number(frac.padEnd(3, "0").slice(0, 3));
  if (+oh > 23 || +om > 59) return undefined;
  const offsetMinutes = zone.toUpperCase() === "Z"
    ? 0
    : (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const local = new Date(Date.UTC(2000, +mo - 1, +d, +h, +mi, +s, ms));
  local.setUTCFullYear(+y); // Date.UTC reads years 0-99 as 1900-1999
  // Out-of-range fields roll over (2026-02-31 becomes March): refuse them instead.
  if (
    local.getUTCMonth() !== +mo - 1 || local.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59
  ) {
    return undefined;
  }
  return new Date(local.getTime() - offsetMinutes * 60_000);
}

/** Credentials as a peer sent them, every field unchecked. */
export interface UncheckedCredentials {
  accessKeyId?: unknown;
  secretAccessKey?: unknown;
  sessionToken?: unknown;
  expiration?: unknown;
  accountId?: unknown;
}

/** What the peer calls each field, for messages: the agent's `Token` is STS's `SessionToken`. */
export type FieldNames = Record<keyof UncheckedCredentials, string>;

export const STS_FIELD_NAMES: FieldNames = {
  accessKeyId: "AccessKeyId",
  secretAccessKey: "SecretAccessKey",
  sessionToken: "SessionToken",
  expiration: "Expiration",
  accountId: "AccountId",
};

// Credential strings are printable ASCII without spaces; anything else is not a credential.
const CREDENTIAL_STRING = /^[\x21-\x7e]+$/;

/**
 * The credentials, when every field is usable: the three strings present, printable and at
 * least MIN_SECRET_LENGTH long, an Expiration that is a valid date still in the future (an SDK
 * treats credentials without one as never expiring), an AccountId of 12 digits if any. Secrets
 * are registered for redaction first, so no message built afterwards can carry them. Values are
 * never quoted in the error, which names each bad field.
 */
export function checkCredentials(
  fields: UncheckedCredentials,
  where: string,
  hint: string,
  names: FieldNames = STS_FIELD_NAMES,
  now = Date.now(),
): Credentials {
  for (const secret of [fields.secretAccessKey, fields.sessionToken]) {
    if (typeof secret === "string") registerSecret(secret);
  }
  const problems: string[] = [];
  const check = (field: keyof UncheckedCredentials, valid: (value: unknown) => boolean) => {
    if (fields[field] === undefined) {
      if (field !== "accountId") problems.push(`${names[field]} is missing`);
    } else if (!valid(fields[field])) {
      problems.push(`${names[field]} is malformed`);
    }
  };
  const credential = (value: unknown) =>
    typeof value === "string" && value.length >= MIN_SECRET_LENGTH &&
    CREDENTIAL_STRING.test(value);
  check("accessKeyId", credential);
  check("secretAccessKey", credential);
  check("sessionToken", credential);
  check("expiration", (value) => value instanceof Date && !Number.isNaN(value.getTime()));
  check("accountId", (value) => typeof value === "string" && /^\d{12}$/.test(value));
  if (problems.length > 0) {
    throw new EpicacError(
      `${where} answered with credentials that are incomplete or malformed: ${problems.join(", ")}`,
      hint,
    );
  }
  const credentials = {
    accessKeyId: fields.accessKeyId as string,
    secretAccessKey: fields.secretAccessKey as string,
    sessionToken: fields.sessionToken as string,
    expiration: fields.expiration as Date,
    accountId: fields.accountId as string | undefined,
  };
  assertNotExpired(credentials, where, now);
  return credentials;
}

/** Refuse credentials that are already expired at `now`: the caller would fail with them. */
export function assertNotExpired(credentials: Credentials, source: string, now = Date.now()): void {
  const expiration = credentials.expiration;
  if (expiration && expiration.getTime() <= now) {
    throw new EpicacError(
      `${source} returned credentials that expired at ${expiration.toISOString()}`,
      `check the clock on this node and the credentials source; now is ${
        new Date(now).toISOString()
      }`,
    );
  }
}
