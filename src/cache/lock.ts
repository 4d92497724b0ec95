// A lock file per cache key, so that when a pod's whole worker pool starts at once one process
// calls STS and the others wait for its result. O_EXCL creation is atomic; a lock left behind by
// a process that died is taken over once it is older than `staleMs`.

import {
  closeSync,
  constants,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import process from "node:process";
import { debug } from "../log.ts";

export interface Lock {
  release(): void;
}

/**
 * Take the lock at `path`, polling while another process holds it. Between polls `ready()` is
 * asked whether the holder's result has arrived; if so, no lock is needed and undefined is
 * returned. After `waitMs` the caller goes ahead without the lock (bounded, never stuck).
 */
export async function acquireLock(
  path: string,
  options: { waitMs: number; staleMs: number; ready: () => boolean },
): Promise<Lock | undefined> {
  const started = Date.now();
  let polls = 0;
  // The lock file holds a token of this holder, so release() never removes a successor's lock
  // after a stale takeover.
  const token = `${process.pid}.${Math.random().toString(36).slice(2)}\n`;
  for (;;) {
    try {
      const fd = openSync(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      writeSync(fd, token);
      closeSync(fd);
      return { release: () => releaseIfOurs(path, token) };
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    }
    if (options.ready()) return undefined;
    if (isStale(path, options.staleMs)) {
      debug(`cache: taking over the stale lock ${path}`);
      unlinkQuietly(path);
      continue;
    }
    if (Date.now() - started > options.waitMs) {
      debug(`cache: lock ${path} still held after ${options.waitMs}ms; going ahead without it`);
      return { release: () => {} };
    }
    // Poll less often the longer the wait: fifty waiters must not starve the one holder.
    const pause = Math.min(100, 10 * 1.5 ** polls++);
    await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random())));
  }
}

function releaseIfOurs(path: string, token: string): void {
  try {
    if (readFileSync(path, "utf8") === token) unlinkSync(path);
  } catch {
    // Gone already, or taken over: nothing of ours to remove.
  }
}

function isStale(path: string, staleMs: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > staleMs;
  } catch {
    return false; // gone already: the next attempt will take it
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
