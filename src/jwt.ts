// The parts of a JWT, read without verifying it: epicac never trusts them on their own. They
// describe a token (doctor), recognise the same identity across rotations (cache key), or are
// checked for form before a peer verifies the token (node); node's --issuer verifies signatures.

export interface JwtClaims {
  iss?: unknown;
  sub?: unknown;
  aud?: unknown;
  exp?: unknown;
  [claim: string]: unknown;
}

/** The bytes of one base64url segment (throws on anything else). */
export function segmentBytes(segment: string): Uint8Array<ArrayBuffer> {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(
    atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")),
    (c) => c.charCodeAt(0),
  );
}

/** The JSON object a segment encodes, or undefined when it is not one. */
export function segmentObject(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(segmentBytes(segment)));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The payload of a three-part JWT, or undefined when `token` is not one. */
export function decodeJwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split(".");
  return parts.length === 3 ? segmentObject(parts[1]) : undefined;
}
