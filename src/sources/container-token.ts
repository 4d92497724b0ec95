// The Authorization token for the container credentials endpoint. The token file is read on
// every run, because the kubelet rotates the projected service-account token.

import { EpicacError } from "../errors.ts";
import { readFailure, readTextFile } from "../read-file.ts";
import { registerSecret } from "../redact.ts";
import type { Env } from "./container-uri.ts";

export interface AuthorizationToken {
  value: string;
  /** Where it came from, for messages: the file path or the variable name. */
  origin: string;
}

/** The token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, else AWS_CONTAINER_AUTHORIZATION_TOKEN. */
export async function readAuthorizationToken(env: Env): Promise<AuthorizationToken | undefined> {
  const file = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  if (file) return check(await readTokenFile(file), `token file ${file}`);
  const inline = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  if (inline) return check(inline, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  return undefined;
}

async function readTokenFile(path: string): Promise<string> {
  try {
    return await readTextFile(path);
  } catch (error) {
    throw new EpicacError(
      `cannot read the token file ${path} (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE): ${
        readFailure(error)
      }`,
      "check that the pod's projected service-account token volume is mounted and readable by this user (fsGroup or runAsUser)",
    );
  }
}

function check(raw: string, origin: string): AuthorizationToken {
  const value = raw.trim();
  registerSecret(value);
  if (value === "") {
    throw new EpicacError(
      `the ${origin} is empty`,
      "check that the kubelet has written the service-account token",
    );
  }
  // An HTTP header value is printable ASCII: anything else would corrupt or break the request.
  if (/[^\x20-\x7e]/.test(value)) {
    const what = /[\r\n]/.test(value)
      ? "a line break"
      // deno-lint-ignore no-control-regex
      : /[\x00-\x1f\x7f]/.test(value)
      ? "a control character"
      : "a character that is not printable ASCII";
    throw new EpicacError(
      `the ${origin} holds ${what} inside the token`,
      "a token with CR or LF (or another control character) would corrupt the Authorization header; check what wrote it",
    );
  }
  return { value, origin };
}
