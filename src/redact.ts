// Secrets epicac has seen in this process (service-account tokens, secret keys, session tokens)
// are registered here, and everything written to stderr passes through redact().

const secrets = new Set<string>();

// A JWT: three base64url segments, the first two starting with '{"' encoded.
const JWT = /eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*/g;

/** Remember a value that must never be printed to stderr. Very short values are ignored. */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 8) secrets.add(value);
}

/** The text with every registered secret and anything shaped like a JWT replaced. */
export function redact(text: string): string {
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.replaceAll(secret, "[redacted]");
  }
  return out.replace(JWT, "[redacted-jwt]");
}

/**
 * Text as one printable line: redacted first, then control characters (C0, C1, Unicode line
 * separators) and whitespace runs collapsed. In that order, because collapsing first could
 * change a secret so that it no longer matches.
 */
export function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return redact(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").replace(
    /\s+/g,
    " ",
  ).trim();
}
