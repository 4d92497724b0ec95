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
  for (const secret of secrets) out = out.replaceAll(secret, "[redacted]");
  return out.replace(JWT, "[redacted-jwt]");
}
