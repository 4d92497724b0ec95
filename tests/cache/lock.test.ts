// src/cache/lock.ts: one process at a time holds a cache key's lock; the others wait, stop
// waiting as soon as the holder's result is ready, take over a lock whose holder is gone or
// whose holder's run has ended, never wait past their own deadline, and turn a lock that cannot
// be taken or removed into a CacheFault instead of a busy loop.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { acquireLock, CacheFault, type Lock, UNREADABLE_MS } from "../../src/cache/lock.ts";
import { type Deadline, startDeadline } from "../../src/deadline.ts";
import { EpicacError } from "../../src/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "epicac-lock-"));
let serial = 0;
const deadlines: Deadline[] = [];

after(() => {
  for (const deadline of deadlines) deadline.cancel();
  rmSync(dir, { recursive: true, force: true });
});

const lockPath = () => join(dir, `key-${++serial}.json.lock`);
const never = () => false;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NAMESPACE = readlinkSync("/proc/self/ns/pid");

function deadline(ms = 10_000): Deadline {
  const d = startDeadline(ms);
  deadlines.push(d);
  return d;
}

const acquire = (path: string, ms = 10_000, ready = never) =>
  acquireLock(path, { deadline: deadline(ms), ready });

/** A lock file as another holder writes it. */
function plant(path: string, pid: number, endsAt: number, namespace = NAMESPACE): void {
  writeFileSync(path, `epicac-lock ${pid} ${namespace} ${endsAt} planted\n`, { mode: 0o600 });
}

/** A pid no process of this namespace has: the highest free one below the kernel's limit. */
function deadPid(): number {
  const max = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"));
  for (let pid = max - 1; pid > 1; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
  assert.fail("no free pid");
}

async function fault(promise: Promise<unknown>): Promise<CacheFault> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CacheFault, `expected a CacheFault, got ${error}`);
    return error;
  }
  assert.fail("expected a CacheFault");
}

test("a free lock is taken at once: a private file naming this process and its end time", async () => {
  const path = lockPath();
  const before = Date.now();
  const lock = await acquire(path, 5000);
  assert.notEqual(lock, "ready");
  const [tag, pid, namespace, endsAt] = readFileSync(path, "utf8").split(" ");
  assert.equal(tag, "epicac-lock");
  assert.equal(Number(pid), process.pid);
  assert.equal(namespace, NAMESPACE);
  // This run's deadline, plus the grace after which main.ts ends any run.
  assert.ok(Number(endsAt) >= before + 5000 && Number(endsAt) <= Date.now() + 6000, endsAt);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  (lock as Lock).release();
});

test("release removes the lock file, and a second release is harmless", async () => {
  const path = lockPath();
  const lock = (await acquire(path)) as Lock;
  assert.ok(existsSync(path));
  lock.release();
  assert.ok(!existsSync(path));
  lock.release();
  assert.ok(!existsSync(path));
});

test("the lock is exclusive: a second holder waits until the first releases", async () => {
  const path = lockPath();
  const first = (await acquire(path)) as Lock;
  let settled = false;
  const waiting = acquire(path).finally(() => (settled = true));
  await sleep(150);
  assert.equal(settled, false, "the second holder got the lock while the first held it");
  first.release();
  const second = await waiting;
  assert.ok(second !== "ready", "the second holder gets a real lock once it is free");
  assert.ok(existsSync(path), "the second holder's lock file");
  second.release();
  assert.ok(!existsSync(path));
});

test("ready() ends the wait without a lock once the holder's result is there", async () => {
  const path = lockPath();
  const held = (await acquire(path)) as Lock;
  let done = false;
  setTimeout(() => (done = true), 100);
  assert.equal(await acquire(path, 10_000, () => done), "ready");
  assert.ok(existsSync(path), "the holder's lock is left alone");
  held.release();
});

test("ready() is not asked when the lock is free", async () => {
  const path = lockPath();
  const lock = await acquire(path, 10_000, () => assert.fail("ready() was asked"));
  (lock as Lock).release();
});

test("a lock whose holder is gone from /proc is taken over at once", async () => {
  const path = lockPath();
  // Its end time is a minute away; the waiter's deadline is 10 s: success means it did not wait.
  plant(path, deadPid(), Date.now() + 60_000);
  const lock = (await acquire(path)) as Lock;
  assert.match(readFileSync(path, "utf8"), new RegExp(`^epicac-lock ${process.pid} `));
  lock.release();
});

test("a lock whose holder's run has ended is taken over, even from another pid namespace", async () => {
  const path = lockPath();
  plant(path, process.pid, Date.now() - 1, "pid:[1]");
  const lock = (await acquire(path)) as Lock;
  assert.match(readFileSync(path, "utf8"), new RegExp(`^epicac-lock ${process.pid} `));
  lock.release();
});

test("a lock claiming an end time beyond any run's deadline is taken over", async () => {
  const path = lockPath();
  plant(path, process.pid, Date.now() + 3600_000);
  const lock = (await acquire(path)) as Lock;
  lock.release();
});

test("a live holder's lock is waited on until the waiter's own deadline, then the wait fails", async () => {
  const path = lockPath();
  plant(path, process.pid, Date.now() + 60_000); // this process: alive
  const started = performance.now();
  let error: unknown;
  try {
    await acquire(path, 600);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - started;
  assert.ok(error instanceof EpicacError && !(error instanceof CacheFault), String(error));
  assert.match(
    error.message,
    /^no credentials within the overall deadline of 0\.6s: another process held the cache lock /,
  );
  assert.ok(ms >= 550, `gave up after ${ms.toFixed(0)} ms, before its deadline`);
  // Bounded by the deadline, with slack for a loaded machine; never a second deadline.
  assert.ok(ms < 600 + 2000, `waited ${ms.toFixed(0)} ms against a 600 ms deadline`);
  assert.ok(existsSync(path), "a live holder's lock is left alone");
});

test("a lock that names no holder is waited on briefly, then taken over; so is one touched in the future", async () => {
  const young = lockPath();
  writeFileSync(young, "", { mode: 0o600 });
  let settled = false;
  const waiting = acquire(young).finally(() => (settled = true));
  await sleep(200);
  assert.equal(settled, false, "a lock just created may still be getting its holder's line");
  const old = new Date(Date.now() - UNREADABLE_MS - 1000);
  utimesSync(young, old, old);
  ((await waiting) as Lock).release();

  const future = lockPath();
  writeFileSync(future, "garbage", { mode: 0o600 });
  const then = new Date(Date.now() + 3600_000);
  utimesSync(future, then, then);
  ((await acquire(future)) as Lock).release();
});

test("a directory at the lock's path is a CacheFault at once, not a busy loop", async () => {
  const path = lockPath();
  mkdirSync(path);
  // A CacheFault, not the deadline's error: the waiter gave up at once.
  const error = await fault(acquire(path));
  assert.equal(error.message, `the lock ${path} is not a regular file`);
});

test("a lock that cannot be created is a CacheFault naming the lock and the reason", async () => {
  const path = join(dir, "missing", "key.json.lock");
  const error = await fault(acquire(path));
  assert.equal(error.message, `cannot create the lock ${path}: ENOENT`);
});

test("a holder whose lock was taken over does not release its successor's lock", async () => {
  const path = lockPath();
  const first = (await acquire(path)) as Lock;
  // Its run ended as far as others can tell: a successor takes over.
  plant(path, process.pid, Date.now() - 1);
  const second = (await acquire(path)) as Lock;
  first.release();
  assert.ok(existsSync(path), "the successor's lock must survive the first holder's release");
  second.release();
  assert.ok(!existsSync(path));
});
