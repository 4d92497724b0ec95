// src/cache/lock.ts: one process at a time holds a cache key's lock; the others wait, stop
// waiting as soon as the holder's result is ready, take over a lock its holder left behind,
// and never wait longer than waitMs.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { acquireLock, type Lock } from "../../src/cache/lock.ts";

const dir = mkdtempSync(join(tmpdir(), "epicac-lock-"));
let serial = 0;

after(() => rmSync(dir, { recursive: true, force: true }));

const lockPath = () => join(dir, `key-${++serial}.json.lock`);
const never = () => false;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Make the lock file look `ageMs` old. */
function age(path: string, ageMs: number): void {
  const then = new Date(Date.now() - ageMs);
  utimesSync(path, then, then);
}

test("a free lock is taken at once: a private file holding this process's id", async () => {
  const path = lockPath();
  const started = performance.now();
  const lock = await acquireLock(path, { waitMs: 5000, staleMs: 60_000, ready: never });
  assert.ok(lock);
  assert.ok(performance.now() - started < 100);
  assert.match(readFileSync(path, "utf8"), new RegExp(`^${process.pid}\\.[a-z0-9]+\\n$`));
  assert.equal(statSync(path).mode & 0o777, 0o600);
  lock.release();
});

test("release removes the lock file, and a second release is harmless", async () => {
  const path = lockPath();
  const lock = await acquireLock(path, { waitMs: 5000, staleMs: 60_000, ready: never });
  assert.ok(existsSync(path));
  lock!.release();
  assert.ok(!existsSync(path));
  lock!.release();
  assert.ok(!existsSync(path));
});

test("the lock is exclusive: a second holder waits until the first releases", async () => {
  const path = lockPath();
  const first = await acquireLock(path, { waitMs: 5000, staleMs: 60_000, ready: never });
  assert.ok(first);
  let second: Lock | undefined;
  let settled = false;
  const waiting = acquireLock(path, { waitMs: 5000, staleMs: 60_000, ready: never }).then(
    (lock) => {
      settled = true;
      second = lock;
    },
  );
  await sleep(150);
  assert.equal(settled, false, "the second holder got the lock while the first held it");
  first.release();
  await waiting;
  assert.ok(second, "the second holder gets a real lock once it is free");
  assert.ok(existsSync(path), "the second holder's lock file");
  second.release();
  assert.ok(!existsSync(path));
});

test("ready() ends the wait without a lock once the holder's result is there", async () => {
  const path = lockPath();
  const holder = await acquireLock(path, { waitMs: 5000, staleMs: 60_000, ready: never });
  let asked = 0;
  const started = performance.now();
  const result = await acquireLock(path, {
    waitMs: 5000,
    staleMs: 60_000,
    ready: () => ++asked >= 3,
  });
  assert.equal(result, undefined);
  assert.equal(asked, 3);
  assert.ok(performance.now() - started < 1000);
  assert.ok(existsSync(path), "the holder's lock is left alone");
  holder!.release();
});

test("ready() is not asked when the lock is free", async () => {
  const path = lockPath();
  let asked = 0;
  const lock = await acquireLock(path, { waitMs: 5000, staleMs: 60_000, ready: () => ++asked > 0 });
  assert.ok(lock);
  assert.equal(asked, 0);
  lock.release();
});

test("a stale lock left by a dead process is taken over at once", async () => {
  const path = lockPath();
  writeFileSync(path, "999999\n", { mode: 0o600 });
  age(path, 10_000);
  const started = performance.now();
  const lock = await acquireLock(path, { waitMs: 5000, staleMs: 1000, ready: never });
  assert.ok(lock);
  assert.ok(performance.now() - started < 500);
  assert.match(readFileSync(path, "utf8"), new RegExp(`^${process.pid}\\.[a-z0-9]+\\n$`));
  lock.release();
});

test("a lock younger than staleMs is not taken over", async () => {
  const path = lockPath();
  writeFileSync(path, "999999\n", { mode: 0o600 });
  age(path, 500);
  const lock = await acquireLock(path, { waitMs: 100, staleMs: 60_000, ready: never });
  assert.ok(lock);
  assert.equal(readFileSync(path, "utf8"), "999999\n", "the holder's lock was replaced");
  lock.release();
});

test("after waitMs the caller goes ahead with a lock that releases nothing", async () => {
  const path = lockPath();
  writeFileSync(path, "999999\n", { mode: 0o600 });
  const started = performance.now();
  const lock = await acquireLock(path, { waitMs: 200, staleMs: 60_000, ready: never });
  const ms = performance.now() - started;
  assert.ok(lock, "going ahead is a lock, not undefined (undefined means: result ready)");
  assert.ok(ms >= 190 && ms < 1000, `waited ${ms.toFixed(0)} ms`);
  lock.release();
  assert.equal(readFileSync(path, "utf8"), "999999\n", "the holder's lock must stay");
});

test("a holder whose lock was taken over does not release its successor's lock", async () => {
  const path = lockPath();
  const slow = await acquireLock(path, { waitMs: 5000, staleMs: 1000, ready: never });
  age(path, 10_000); // the first holder hung long enough to look dead
  const successor = await acquireLock(path, { waitMs: 5000, staleMs: 1000, ready: never });
  assert.ok(successor);
  slow!.release(); // the first holder wakes up and finishes
  assert.ok(existsSync(path), "the successor's lock was removed by the holder it replaced");
  successor.release();
});

test("a lock in a missing directory is an error, not a silent wait", async () => {
  const path = join(dir, "no-such-dir", "key.json.lock");
  await assert.rejects(
    acquireLock(path, { waitMs: 5000, staleMs: 60_000, ready: never }),
    (error: { code?: string }) => error.code === "ENOENT",
  );
});
