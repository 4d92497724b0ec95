// The token every credentials request to `epicac serve` must carry in Authorization, as the AWS
// SDKs send AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE). --token-file names it: a file that holds
// one (a Kubernetes Secret's, say) is used as it is; a missing file gets a new random token,
// written atomically, mode 0640, so that the application's containers read it through the pod's
// fsGroup. Requests are compared in constant time.

import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { EpicacError } from "../errors.ts";
import { readFailure, readSmallFile } from "../small-file.ts";
import { registerSecret } from "../redact.ts";
import process from "node:process";

/** Shorter tokens are too easy to guess for what they guard. */
export const MIN_SERVE_TOKEN_LENGTH = 32;
/** Readable by the owner and the pod's fsGroup, never by others. */
export const TOKEN_FILE_MODE = 0o640;

export interface ServeToken {
  /** Whether `presented` (an Authorization header) is exactly the token. */
  matches(presented: string): boolean;
  /** Whether the file was written now (false: it held a token already). */
  generated: boolean;
}

export async function loadServeToken(path: string): Promise<ServeToken> {
  let token: string;
  let generated = false;
  try {
    token = await readSmallFile(path);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") {
      throw new EpicacError(
        `cannot read the --token-file ${path}: ${readFailure(error)}`,
        "point --token-file at a regular file, or at a path where a new token may be written (an emptyDir)",
      );
    }
    token = randomBytes(32).toString("base64url"); // 256 bits
    writeAtomically(path, token);
    generated = true;
  }
  registerSecret(token.trim());
  if (token !== token.trim()) {
    // The SDKs send the file's bytes as they are: botocore refuses a newline, Node's HTTP too.
    throw new EpicacError(
      `the --token-file ${path} ends (or starts) with a newline or spaces, which the applications' SDKs would send as part of the token and refuse`,
      "write the token without a trailing newline (kubectl create secret generic NAME --from-literal=token=VALUE)",
    );
  }
  if (token.length < MIN_SERVE_TOKEN_LENGTH || /[^\x21-\x7e]/.test(token)) {
    throw new EpicacError(
      `the --token-file ${path} holds a token of ${token.length} characters; it needs at least ${MIN_SERVE_TOKEN_LENGTH} printable ones`,
      "remove the file to have a random token written, or put a longer token in the Secret",
    );
  }
  return { generated, matches: (presented) => sameInConstantTime(presented.trim(), token) };
}

/**
 * Whether `presented` is `expected`, in a time that depends only on the expected token's length
 * (which the generated ones share), never on where the two differ.
 */
export function sameInConstantTime(presented: string, expected: string): boolean {
  let difference = presented.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) {
    difference |= (presented.charCodeAt(i) | 0) ^ expected.charCodeAt(i);
  }
  return difference === 0;
}

function writeAtomically(path: string, token: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  let fd: number;
  try {
    fd = openSync(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      TOKEN_FILE_MODE,
    );
  } catch (error) {
    throw new EpicacError(
      `cannot write a new token to ${path}: ${readFailure(error)}`,
      "give --token-file a path in a directory this user can write (an emptyDir shared with the application)",
    );
  }
  try {
    // The umask may have narrowed the mode open() was given: set it as documented.
    fchmodSync(fd, TOKEN_FILE_MODE);
    // No newline: some SDKs send the file's bytes as they are.
    writeSync(fd, token);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Nothing was left.
    }
    throw new EpicacError(
      `cannot write a new token to ${path}: ${readFailure(error)}`,
      "give --token-file a path in a directory this user can write (an emptyDir shared with the application)",
    );
  }
}
