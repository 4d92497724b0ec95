// The checks every token epicac sends passes, whichever source read it: surrounding whitespace
// trimmed (the kubelet's file ends with a newline), registered for redaction before anything
// else, and refused when empty, shorter than a real token can be (and too short to be masked
// in messages), or holding anything but printable ASCII (it would corrupt a header).

import { EpicacError } from "../errors.ts";
import { MIN_SECRET_LENGTH, registerSecret } from "../redact.ts";

/** The token, or an error naming `origin` ("the token file /x") and what is wrong. */
export function checkToken(raw: string, origin: string, writtenBy: string): string {
  const value = raw.trim();
  registerSecret(value);
  if (value === "") throw new EpicacError(`${origin} is empty`, `check that ${writtenBy}`);
  if (value.length < MIN_SECRET_LENGTH) {
    throw new EpicacError(
      `${origin} holds only ${value.length} character${
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
      `${origin} holds ${what} inside the token`,
      "a token with CR or LF (or another control character) would corrupt the request; check what wrote it",
    );
  }
  return value;
}
