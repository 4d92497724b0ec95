// A lock file per cache key, so that when a pod's whole worker pool starts at once one process
// calls STS and the others wait for its result. O_EXCL creation is atomic. The holder writes its
// pid, its pid namespace and the time by which its own run ends (its deadline, plus the grace
// after which main.ts ends any run), so a waiter can tell a live holder from one that died: a
// holder whose pid is gone from /proc (in the same namespace) is taken over at once, any other
// once its end time has passed. A lock that says nothing usable is taken over after
// UNREADABLE_MS (a holder writes its line right after creating the file). Waiting never outlasts
// the waiter's own deadline, and every pause is a real sleep: a lock that cannot be taken or
// removed is a CacheFault, never a busy loop.

import { closeSync, lstatSync, readFileSync, readlinkSync, unlinkSync, writeSync } from "node:fs";
import process from "node:process";
import { type Deadline, sleep } from "../deadline.ts";
import { EpicacError } from "../errors.ts";
import { debug } from "../log.ts";
import { createPrivateFile } from "../private-file.ts";
import { readRegularFile, reasonOf } from "./files.ts";

/** How long after its deadline a holder's run may still be running (main.ts's backstop). */
export const HOLDER_GRACE_MS = 1000;
/** Age after which a lock file holding no usable line is taken over. */
export const UNREADABLE_MS = 2000;
/** The longest --deadline: an end time further away than this is not a real holder's. */
const MAX_RUN_MS = 120_000 + HOLDER_GRACE_MS;

/** Something about the cache directory prevents caching; the run goes on uncached. */
export class CacheFault extends Error {
  override name = "CacheFault";
}

export interface Lock {
  release(): void;
}

/**
 * Take the lock at `path`, waiting while a live process holds it. Between polls `ready()` is
 * asked whether the holder's result has arrived; if so, no lock is needed and "ready" is
 * returned. When the deadline passes first, an EpicacError says so.
 */
export async function acquireLock(
  path: string,
  options: { deadline: Deadline; ready: () => boolean },
): Promise<Lock | "ready"> {
  const { deadline } = options;
  const endsAt = Math.ceil(Date.now() + deadline.remainingMs() + HOLDER_GRACE_MS);
  const token = `epicac-lock ${process.pid} ${pidNamespace()} ${endsAt} ${
    Math.random().toString(36).slice(2)
  }\n`;
  let polls = 0;
  let takeovers = 0;
  for (;;) {
    if (deadline.signal.aborted) {
      throw new EpicacError(
        `no credentials within the overall deadline of ${
          deadline.ms / 1000
        }s: another process held the cache lock ${path} all along`,
        "raise --deadline, or check the process that holds the lock",
      );
    }
    if (create(path, token)) return { release: () => releaseIfOurs(path, token) };
    if (options.ready()) return "ready";
    const why = staleness(path);
    if (why) {
      if (++takeovers > 3) throw new CacheFault(`the lock ${path} keeps coming back`);
      debug(`cache: taking over the lock ${path}: ${why}`);
      remove(path);
      continue;
    }
    // Poll less often the longer the wait: fifty waiters must not starve the one holder.
    const pause = Math.min(100, 10 * 1.5 ** polls++);
    await sleep(pause * (0.5 + Math.random()), deadline);
  }
}

/** Create the lock file holding `token`; false when another holder's exists. */
function create(path: string, token: string): boolean {
  let fd: number;
  try {
    fd = createPrivateFile(path);
  } catch (error) {
    if (reasonOf(error) === "EEXIST") return false;
    throw new CacheFault(`cannot create the lock ${path}: ${reasonOf(error)}`);
  }
  try {
    writeSync(fd, token);
  } catch (error) {
    // An empty lock must not be left behind for others to wait on.
    closeSync(fd);
    remove(path);
    throw new CacheFault(`cannot write the lock ${path}: ${reasonOf(error)}`);
  }
  closeSync(fd);
  return true;
}

function releaseIfOurs(path: string, token: string): void {
  try {
    if (readLock(path) === token) unlinkSync(path);
  } catch {
    // Gone already, or taken over: nothing of ours to remove.
  }
}

/** Why the lock at `path` may be taken over, or undefined while its holder may be running. */
function staleness(path: string): string | undefined {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return undefined; // gone already: the next attempt takes it
  }
  if (!stat.isFile()) throw new CacheFault(`the lock ${path} is not a regular file`);
  const now = Date.now();
  const line = /^epicac-lock (\d+) (\S+) (\d+) \w+\n$/.exec(readLock(path) ?? "");
  if (!line) {
    const age = Math.abs(now - stat.mtimeMs);
    return age > UNREADABLE_MS ? "it names no holder" : undefined;
  }
  const [, pid, namespace, endsAt] = line;
  if (Number(endsAt) < now) return `its holder's run (pid ${pid}) has ended`;
  if (Number(endsAt) > now + MAX_RUN_MS) return "its end time is not a real run's";
  if (namespace === pidNamespace() && namespace !== "unknown" && !isRunning(pid)) {
    return `its holder (pid ${pid}) is gone`;
  }
  return undefined;
}

/** Whether a process of this pid namespace runs: in /proc, and not a zombie. */
function isRunning(pid: string): boolean {
  try {
    // "pid (name) state …": the name may hold anything, so read after its last parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.charAt(stat.lastIndexOf(")") + 2);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The lock's content, read without blocking (a FIFO planted there must not hang the run). */
function readLock(path: string): string | undefined {
  return readRegularFile(path, 256);
}

function remove(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (reasonOf(error) !== "ENOENT") {
      throw new CacheFault(`cannot remove the lock ${path}: ${reasonOf(error)}`);
    }
  }
}

let namespace: string | undefined;

/** This process's pid namespace: a pid in a lock means something only within the same one. */
function pidNamespace(): string {
  if (namespace === undefined) {
    try {
      namespace = readlinkSync("/proc/self/ns/pid").replace(/\s/g, "");
    } catch {
      namespace = "unknown";
    }
  }
  return namespace;
}
