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
  const offsetMinutes = zone.toUpperCase() === "Z"
    ? 0
    : (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const utc = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms) - offsetMinutes * 60_000;
  const date = new Date(utc);
  // Date.UTC rolls 2026-02-31 over into March: reject fields that were out of range.
  const check = new Date(utc + offsetMinutes * 60_000);
  if (
    check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59
  ) {
    return undefined;
  }
  return date;
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
