// The Authorization token for the container credentials endpoint. The token file is read on
// every run, because the kubelet rotates the projected service-account token.

import { readFileSync } from "node:fs";
import { EpicacError } from "../errors.ts";
import { registerSecret } from "../redact.ts";
import type { Env } from "./container-uri.ts";

export interface AuthorizationToken {
  value: string;
  /** Where it came from, for messages: the file path or the variable name. */
  origin: string;
}

/** The token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, else AWS_CONTAINER_AUTHORIZATION_TOKEN. */
export function readAuthorizationToken(env: Env): AuthorizationToken | undefined {
  const file = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  if (file) return check(readTokenFile(file), `token file ${file}`);
  const inline = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  if (inline) return check(inline, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  return undefined;
}

function readTokenFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === "ENOENT"
      ? "no such file"
      : code === "EACCES" || code === "EPERM"
      ? "permission denied"
      : code === "EISDIR"
      ? "it is a directory"
      : (code ?? "read failed");
    throw new EpicacError(
      `cannot read the token file ${path} (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE): ${reason}`,
      "check that the pod's projected service-account token volume is mounted and readable by this user",
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
  if (/[\r\n]/.test(value)) {
    throw new EpicacError(
      `the ${origin} holds a line break inside the token`,
      "a token with CR or LF would split the Authorization header; check what wrote it",
    );
  }
  return { value, origin };
}
