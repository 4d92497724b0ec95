// The checks every token epicac sends passes, whichever source read it: surrounding whitespace
// trimmed (the kubelet's file ends with a newline), registered for redaction before anything
// else, and refused when empty, shorter than a real token can be (and too short to be masked
// in messages), or holding anything but printable ASCII (it would corrupt a header). A token
// identifies its subject for the cache key without being part of it.

import { EpicacError } from "../errors.ts";
import { decodeJwtClaims } from "../jwt.ts";
import { MIN_SECRET_LENGTH, registerSecret } from "../redact.ts";

export interface Token {
  value: string;
  /** Where it came from, for messages: "token file /x", "AWS_CONTAINER_AUTHORIZATION_TOKEN". */
  origin: string;
}

/** The token, or an error naming where it came from and what is wrong. */
export function checkToken(raw: string, origin: string, writtenBy: string): Token {
  const value = raw.trim();
  registerSecret(value);
  if (value === "") throw new EpicacError(`the ${origin} is empty`, `check that ${writtenBy}`);
  if (value.length < MIN_SECRET_LENGTH) {
    throw new EpicacError(
      `the ${origin} holds only ${value.length} character${
        value.length === 1 ? "" : "s"
      }, too short to be a real token`,
      `check that ${writtenBy}`,
    );
  }
  if (/[^\x20-\x7e]/.test(value)) {
    const what = /[\r\n]/.test(value)
      ? "a line break"
      // deno-lint-ignore no-control-regex
      : /[\x00-\x1f\x7f]/.test(value)
      ? "a control character"
      : "a character that is not printable ASCII";
    throw new EpicacError(
      `the ${origin} holds ${what} inside the token`,
      "a token with CR or LF (or another control character) would corrupt the request; check what wrote it",
    );
  }
  return { value, origin };
}

/**
 * Who a token speaks for, without the token: a JWT's issuer, subject and audience (stable
 * across the kubelet's rotations), any other token's SHA-256.
 */
export async function tokenIdentity(token: string): Promise<Record<string, unknown>> {
  const claims = decodeJwtClaims(token);
  if (typeof claims?.sub === "string") {
    return { iss: claims.iss ?? null, sub: claims.sub, aud: claims.aud ?? null };
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return {
    sha256: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
  };
}
