// The Authorization token for the container credentials endpoint. The token file is read on
// every run, because the kubelet rotates the projected service-account token.

import type { Env } from "../env.ts";
import { EpicacError } from "../errors.ts";
import { readFailure, readSmallFile } from "../small-file.ts";
import { checkToken, type Token } from "./token.ts";

/** The token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, else AWS_CONTAINER_AUTHORIZATION_TOKEN. */
export async function readAuthorizationToken(env: Env): Promise<Token | undefined> {
  const file = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  if (file) return check(await readTokenFile(file), `token file ${file}`);
  const inline = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  if (inline) return check(inline, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  return undefined;
}

async function readTokenFile(path: string): Promise<string> {
  try {
    return await readSmallFile(path);
  } catch (error) {
    throw new EpicacError(
      `cannot read the token file ${path} (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE): ${
        readFailure(error)
      }`,
      "check that the pod's projected service-account token volume is mounted and readable by this user (fsGroup or runAsUser)",
    );
  }
}

function check(raw: string, origin: string): Token {
  return checkToken(raw, origin, "the kubelet has written the service-account token");
}
