// Secrets epicac has seen in this process (service-account tokens, secret keys, session tokens)
// are registered here, and everything written to stderr passes through redact(), which also
// masks what is shaped like a credential even when no one registered it.
//
// A secret is masked where it appears as is, and also where a peer echoes it JSON-escaped
// (`\"`, `\\`, `\u0041`, in any mix): redact() also searches the text with JSON escapes decoded
// and masks the escaped span. Secrets shorter than MIN_SECRET_LENGTH are never registered:
// masking `0` would garble every message, so the sources and the credentials schema refuse such
// values as implausible before they are used or sent.

export const MIN_SECRET_LENGTH = 8;

/**
 * The most recent secrets kept (a long-running server sees new credentials with every refresh):
 * older ones are forgotten, and the shapes below still catch credentials among them.
 */
export const MAX_SECRETS = 1024;
const secrets = new Set<string>();

// A JWT: three base64url segments, the first two starting with '{"' encoded.
const JWT = /eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*/g;

// Credentials no one registered (a peer quoting unknown ones in a plain-text error): the value
// after a credential key, an access key id, and base64 runs of a secret key's length (40) or a
// session token's (100 and more). A run of hex digits alone (a commit, a digest) is left alone.
const CREDENTIAL_KEY =
  /\b((?:Secret(?:Access)?Key|SessionToken|Token|secret_access_key|session_token|aws_session_token|Password)["']?\s*[:=]\s*["']?)([^\s"',;}]{8,})/gi;
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA|AROA|AIDA|ABIA|ACCA)[A-Z0-9]{12,124}\b/g;
const BASE64_RUN =
  /(?<![A-Za-z0-9/+=_-])(?:[A-Za-z0-9/+]{40}|[A-Za-z0-9/+=_-]{100,})(?![A-Za-z0-9/+=_-])/g;

/** Remember a value that must never be printed to stderr. */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH) return;
  secrets.delete(value);
  secrets.add(value);
  if (secrets.size > MAX_SECRETS) secrets.delete(secrets.values().next().value!);
}

/** The text with every registered secret, and anything shaped like a JWT or a credential, replaced. */
export function redact(text: string): string {
  let out = text;
  if (secrets.size > 0) {
    // Longest first, so a secret that contains another is masked whole.
    const ordered = [...secrets].sort((a, b) => b.length - a.length);
    for (const secret of ordered) out = out.replaceAll(secret, "[redacted]");
    if (out.includes("\\")) out = maskEscaped(out, ordered);
  }
  return out
    .replace(JWT, "[redacted-jwt]")
    .replace(
      CREDENTIAL_KEY,
      (_, key: string, value: string) =>
        value === "[redacted]" || value.startsWith("[redacted") ? key + value : `${key}[redacted]`,
    )
    .replace(ACCESS_KEY_ID, "[redacted-key-id]")
    .replace(
      BASE64_RUN,
      (run) =>
        /^[0-9a-fA-F]+$/.test(run) || !/\d/.test(run) || !/[A-Za-z]/.test(run) ? run : "[redacted]",
    );
}

/** Mask secrets that appear JSON-escaped: found in the decoded text, masked in the original. */
function maskEscaped(text: string, ordered: string[]): string {
  const { decoded, starts } = decodeJsonEscapes(text);
  const spans: [number, number][] = [];
  for (const secret of ordered) {
    for (let at = decoded.indexOf(secret); at >= 0; at = decoded.indexOf(secret, at + 1)) {
      spans.push([starts[at], starts[at + secret.length]]);
    }
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = "";
  let done = 0;
  for (const [from, to] of spans) {
    if (from < done) { // overlaps the span masked just before: mask both as one
      done = Math.max(done, to);
      continue;
    }
    out += text.slice(done, from) + "[redacted]";
    done = to;
  }
  return out + text.slice(done);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * The text with JSON string escapes decoded, and for each decoded character the index in `text`
 * where it starts (plus one past the end), so that a match maps back to the escaped span.
 */
function decodeJsonEscapes(text: string): { decoded: string; starts: number[] } {
  let decoded = "";
  const starts: number[] = [];
  for (let i = 0; i < text.length;) {
    starts.push(i);
    if (text[i] === "\\") {
      const next = text[i + 1];
      if (next === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        decoded += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      if (next !== undefined && next in SIMPLE_ESCAPES) {
        decoded += SIMPLE_ESCAPES[next];
        i += 2;
        continue;
      }
    }
    decoded += text[i];
    i++;
  }
  starts.push(text.length);
  return { decoded, starts };
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
