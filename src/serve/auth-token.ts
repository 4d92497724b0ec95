// The token every credentials request to `epicac serve` must carry in Authorization, as the AWS
// SDKs send AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE). --token-file names it: a file that holds
// one (a Kubernetes Secret's, say) is used as it is; a missing file gets a new random token,
// mode 0640 so that the application's containers read it through the pod's fsGroup, created
// exclusively (of two servers racing to write it, the second reads the first one's).
//
// The file is watched by its identity (device, inode, size, change time), looked at most once a
// second and on a refused request, since a Secret's update lands as an atomic replace that a
// file watch would miss: a new token is taken at once, and the previous one is still accepted
// for a grace period, until the kubelet has updated every container's copy. A token is taken
// only if every SDK can send it: printable ASCII, no surrounding whitespace, not too long for
// a request's headers. Requests are compared in constant time.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from "node:fs";
import { EpicacError } from "../errors.ts";
import { identityOf } from "../file-identity.ts";
import { milliseconds } from "../inputs/input.ts";
import { writeFileAtomically } from "../private-file.ts";
import { registerSecret } from "../redact.ts";
import { type Clock, SYSTEM_CLOCK } from "../refreshing.ts";
import { MAX_TOKEN_BYTES, readFailure } from "../small-file.ts";

/** Shorter tokens are too easy to guess for what they guard. */
export const MIN_SERVE_TOKEN_LENGTH = 32;
/** Longer ones would not fit in a request's headers beside the rest (8 KiB in all). */
export const MAX_SERVE_TOKEN_LENGTH = 4096;
/** Readable by the owner and the pod's fsGroup, never by others. */
export const TOKEN_FILE_MODE = 0o640;
/** How often the file's identity is looked at, at most. */
const LOOK_EVERY_MS = 1000;

export const TOKEN_GRACE = milliseconds({
  flag: "token-grace",
  default: 120_000,
  min: 0,
  max: 3_600_000,
  help: "How long the previous token is still accepted after the --token-file changes (the " +
    "kubelet updates every container's copy of a Secret within a minute or so).",
});

export interface TokenEvents {
  /** The file now holds another token (the previous one is accepted until `graceEndsAt`). */
  rotated(graceEndsAt: Date): void;
  /** The file changed but cannot be used; the current token stays. */
  refused(problem: string): void;
}

export class ServeToken {
  private current: Buffer;
  private previous: { digest: Buffer; until: number } | undefined;
  private identity: string | undefined;
  private lookedAt: number;

  private constructor(
    private readonly path: string,
    token: string,
    readonly generated: boolean,
    private readonly graceMs: number,
    private readonly events: TokenEvents,
    private readonly clock: Clock,
  ) {
    this.current = digest(token);
    this.identity = identityOf(path);
    this.lookedAt = clock.now();
  }

  /** The token in `path`, or a new one written there when nothing is; refused if unusable. */
  static load(
    path: string,
    graceMs: number,
    events: TokenEvents,
    clock: Clock = SYSTEM_CLOCK,
  ): ServeToken {
    let token = readToken(path);
    let generated = false;
    if (token === undefined) {
      try {
        writeFileAtomically(path, randomBytes(32).toString("base64url"), TOKEN_FILE_MODE, false);
        generated = true;
      } catch (error) {
        // Another server wrote it first: that one is the token.
        if ((error as { code?: string }).code !== "EEXIST") throw cannotWrite(path, error);
      }
      token = readToken(path);
      if (token === undefined) throw cannotWrite(path, new Error("it vanished once written"));
    }
    const problem = tokenProblem(token);
    if (problem) throw unusable(path, problem);
    return new ServeToken(path, token, generated, graceMs, events, clock);
  }

  /** Whether `presented` (an Authorization header) is the token, or the previous one in its grace. */
  matches(presented: string): boolean {
    const now = this.clock.now();
    if (now - this.lookedAt >= LOOK_EVERY_MS) this.look(now);
    if (this.accepts(presented, now)) return true;
    // Refused: the file may have changed within the last second.
    this.look(now);
    return this.accepts(presented, now);
  }

  /** Read the file again if it changed (SIGHUP, or a refused request). */
  look(now = this.clock.now()): void {
    this.lookedAt = now;
    const identity = identityOf(this.path);
    if (identity === this.identity) return;
    this.identity = identity;
    let token: string | undefined;
    try {
      token = readToken(this.path);
    } catch (error) {
      return this.events.refused((error as EpicacError).message);
    }
    if (token === undefined) return this.events.refused("it is gone");
    const problem = tokenProblem(token);
    if (problem) return this.events.refused(problem);
    const next = digest(token);
    if (timingSafeEqual(next, this.current)) return;
    this.previous = { digest: this.current, until: now + this.graceMs };
    this.current = next;
    this.events.rotated(new Date(this.previous.until));
  }

  private accepts(presented: string, now: number): boolean {
    // Digests of equal length: the time taken says nothing of where the two differ.
    const given = digest(presented);
    const previous = this.previous && now < this.previous.until ? this.previous.digest : undefined;
    return timingSafeEqual(given, this.current) ||
      (previous !== undefined && timingSafeEqual(given, previous));
  }
}

/** What a token is compared by: digests of equal length, with timingSafeEqual. */
export function digest(token: string): Buffer {
  return createHash("sha256").update(token, "latin1").digest();
}

/**
 * What keeps a token from working with every SDK, or undefined: bytes outside printable ASCII (a
 * byte-order mark, a newline the SDKs would send), a length a request's headers cannot carry.
 */
function tokenProblem(token: string): string | undefined {
  if (/^[\s\ufeff]|\s$/.test(token)) {
    return "it starts or ends with a newline, a space or a byte-order mark, which the applications' SDKs would send as part of the token";
  }
  if (/[^\x21-\x7e]/.test(token)) {
    return "it holds characters that are not printable ASCII, which the applications' SDKs cannot all send";
  }
  if (token.length < MIN_SERVE_TOKEN_LENGTH || token.length > MAX_SERVE_TOKEN_LENGTH) {
    return `it holds a token of ${token.length} characters; it needs ${MIN_SERVE_TOKEN_LENGTH} to ${MAX_SERVE_TOKEN_LENGTH}`;
  }
  return undefined;
}

/**
 * The token file's text, registered for redaction; undefined when nothing is at the path. A
 * symlink to nothing is refused (a Secret's mount gone wrong must not be replaced by a new token),
 * so is anything that is not a regular file of at most MAX_TOKEN_BYTES.
 */
function readToken(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw cannotRead(path, error);
    if (isLink(path)) {
      throw new EpicacError(
        `the --token-file ${path} is a symbolic link to nothing`,
        "mount the Secret that holds the token, or point --token-file at a path where nothing is",
      );
    }
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTREG" });
    const bytes = new Uint8Array(MAX_TOKEN_BYTES + 1);
    const length = readSync(fd, bytes, 0, bytes.length, 0);
    if (length > MAX_TOKEN_BYTES) {
      throw Object.assign(new Error("too large"), { code: "EFBIG" });
    }
    // ignoreBOM: a byte-order mark is kept, to be refused, not silently dropped.
    const token = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(0, length));
    registerSecret(token.trim());
    return token;
  } catch (error) {
    throw error instanceof EpicacError ? error : cannotRead(path, error);
  } finally {
    closeSync(fd);
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function cannotRead(path: string, error: unknown): EpicacError {
  return new EpicacError(
    `cannot read the --token-file ${path}: ${readFailure(error)}`,
    "point --token-file at a regular file, or at a path where a new token may be written (an emptyDir)",
  );
}

function cannotWrite(path: string, error: unknown): EpicacError {
  return new EpicacError(
    `cannot write a new token to ${path}: ${readFailure(error)}`,
    "give --token-file a path in a directory this user can write (an emptyDir shared with the application)",
  );
}

function unusable(path: string, problem: string): EpicacError {
  return new EpicacError(
    `the --token-file ${path} cannot be used: ${problem}`,
    "write the token without a trailing newline (kubectl create secret generic NAME --from-literal=token=VALUE), or remove the file to have a random token written",
  );
}
