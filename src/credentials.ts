// The credentials every source produces and every output format prints. The field names match
// the AWS SDK for JavaScript v3's AwsCredentialIdentity, so the module API can return them as is.

import { EpicacError } from "./errors.ts";

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
