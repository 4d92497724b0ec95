// --cache-dir when the cache itself is hostile or broken, end to end on every target. The cache
// is an optimisation: a fault of its own never fails a run that could fetch credentials (exit 0,
// nothing on stderr, no lock left behind), and no wait on it outlasts --deadline: planted FIFOs
// and lock directories, a read-only directory with a stale lock, a full disk, a lock held by a
// live process, one left by a killed process, one dated in the future.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { FakeSts } from "../fakes/sts.ts";
import { type FakeStsPod, startFakeStsPod } from "../support/pod.ts";
import {
  caseDeadlineSeconds,
  runEpicac,
  runEpicacTimed,
  runnableTargets,
  runProcess,
  type Target,
  withinDeadlineMs,
} from "../support/epicac.ts";
import { assertFailure, parseSuccess } from "../support/assertions.ts";
import { fakeJwt } from "../support/jwt.ts";

const TOKEN = fakeJwt({ sub: "system:serviceaccount:app:fault" }, { signature: "c2ln" });
const DEST = "arn:aws:iam::222222222222:role/dest";
const IS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
let pod: FakeStsPod;
let sts: FakeSts;
let dir: string;
let serial = 0;

before(async () => {
  pod = await startFakeStsPod("faults", TOKEN);
  ({ sts, dir } = pod);
  chmodSync(dir, 0o755); // the unprivileged cases must reach the token file
  chmodSync(pod.tokenFile, 0o644);
});

after(() => pod?.close());

const env = () => pod.env();

/** A fresh, private cache directory for one case. */
function cacheDir(): string {
  const path = join(dir, `cache-${++serial}`);
  mkdirSync(path, { mode: 0o700 });
  return path;
}

const args = (cache: string, deadline = "5") => [
  "--assume",
  DEST,
  "--sts-endpoint",
  sts.endpoint,
  "--cache-dir",
  cache,
  "--deadline",
  deadline,
];

/** The one entry path a run with args(cache) uses: found by letting a run write it. */
async function entryPathFor(t: Target, cache: string): Promise<string> {
  parseSuccess(await runEpicac(t, args(cache), { env: env() }));
  const [name] = readdirSync(cache).filter((n) => n.endsWith(".json"));
  assert.ok(name, "the run wrote an entry");
  return join(cache, name);
}

/** A lock line as a holder writes it: pid, pid namespace, the time its run ends. */
const lockLine = (pid: number, endsAt: number) =>
  `epicac-lock ${pid} ${readlinkSync("/proc/self/ns/pid")} ${endsAt} planted\n`;

function deadPid(): number {
  const child = spawnSync("true");
  return child.pid!;
}

const leftovers = (cache: string) =>
  readdirSync(cache).filter((n) => n.endsWith(".lock") || n.endsWith(".tmp"));

type Case = [
  name: string,
  run: (t: Target) => Promise<void>,
  skip?: (t: Target) => string | false,
];

const cases: Case[] = [
  ["a FIFO at the entry's path is ignored and replaced, never opened blocking", async (t) => {
    const cache = cacheDir();
    const entry = await entryPathFor(t, cache);
    execFileSync("rm", [entry]);
    execFileSync("mkfifo", ["-m", "600", entry]);
    const run = await runEpicac(t, args(cache, "3"), { env: env(), killAfterMs: 20_000 });
    parseSuccess(run);
    assert.deepEqual(leftovers(cache), []);
  }],
  ["a FIFO planted by another user before the directory was tightened is ignored", async (t) => {
    const cache = cacheDir();
    const entry = await entryPathFor(t, cache);
    execFileSync("rm", [entry]);
    chmodSync(cache, 0o777);
    execFileSync("mkfifo", ["-m", "666", entry]);
    chownSync(entry, NOBODY, NOBODY);
    parseSuccess(await runEpicac(t, args(cache, "3"), { env: env(), killAfterMs: 20_000 }));
  }, () => !IS_ROOT && "needs root to give the FIFO to another user"],
  [
    "a directory at the lock's path: the run goes on uncached at once, without a busy loop",
    async (t) => {
      const cache = cacheDir();
      const entry = await entryPathFor(t, cache);
      execFileSync("rm", [entry]);
      mkdirSync(`${entry}.lock`);
      utimesSync(`${entry}.lock`, new Date(0), new Date(0));
      const deadline = caseDeadlineSeconds(t);
      const run = await runEpicacTimed(t, [...args(cache, String(deadline)), "--debug"], {
        env: env(),
      });
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stderr,
        /cache: the lock .* is not a regular file; going on without the cache/,
      );
      const lines = run.stderr.split("\n").length;
      assert.ok(lines < 60, `--debug wrote ${lines} lines`);
      assert.ok(run.ms < withinDeadlineMs(t), `took ${run.ms.toFixed(0)} ms`);
    },
  ],
  ["a read-only cache directory with a stale lock in it: the run goes on uncached", async (t) => {
    const cache = cacheDir();
    const entry = await entryPathFor(t, cache);
    execFileSync("rm", [entry]);
    writeFileSync(`${entry}.lock`, lockLine(deadPid(), Date.now() - 1000), { mode: 0o600 });
    execFileSync("chown", ["-R", `${NOBODY}:${NOBODY}`, cache]);
    chmodSync(cache, 0o500);
    // As that directory's owner, without root's power to write anywhere.
    const dropped = {
      ...t,
      command: [
        "setpriv",
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        "--clear-groups",
        ...t.command,
      ],
    };
    const run = await runEpicacTimed(dropped, [...args(cache, "3"), "--debug"], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /cache: cannot remove the lock .*: EACCES; going on without the cache/,
    );
    assert.ok(run.stderr.split("\n").length < 60);
    const quiet = await runProcess(dropped.command[0], [
      ...dropped.command.slice(1),
      ...args(cache, "3"),
    ], { env: env() });
    parseSuccess(quiet);
  }, () => !IS_ROOT && "needs root to run epicac as another user (setpriv)"],
  ["a full disk: the credentials are printed, uncached, and no empty lock is left", async (t) => {
    const cache = cacheDir();
    // A private mount namespace with a 64 KiB tmpfs over the cache directory, filled up.
    const script = `c="$1"; shift
      mount -t tmpfs -o size=64k tmpfs "$c" && chmod 700 "$c" || exit 99
      dd if=/dev/zero of="$c/fill" bs=4k 2>/dev/null
      "$@"; rc=$?; ls -A "$c"; exit $rc`;
    const run = await runProcess(
      "unshare",
      [
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
        cache,
        ...t.command,
        ...args(cache),
      ],
      { env: env() },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    assert.match(run.stdout, /^\{"Version":1,/);
    assert.ok(!/\.lock|\.tmp/.test(run.stdout), `left behind: ${run.stdout}`);
  }, () => !IS_ROOT && "needs root for a private mount namespace and tmpfs"],
  [
    "a lock held by a live process: the run waits, using little CPU, and fails at its deadline",
    async (t) => {
      const cache = cacheDir();
      const entry = await entryPathFor(t, cache);
      execFileSync("rm", [entry]);
      // This test runner is alive; its run "ends" long after the waiter's deadline.
      writeFileSync(`${entry}.lock`, lockLine(process.pid, Date.now() + 100_000), { mode: 0o600 });
      const deadline = caseDeadlineSeconds(t);
      const run = await runEpicacTimed(t, args(cache, String(deadline)), { env: env() });
      assertFailure(run, {
        stderr: new RegExp(
          `no credentials within the overall deadline of ${deadline}s: another process held the cache lock .*\\.lock all along \\(raise --deadline`,
        ),
      });
      // The whole run, lock wait included, ends within --deadline (not after a second one).
      assert.ok(run.ms >= deadline * 1000 - 100, `gave up after ${run.ms.toFixed(0)} ms`);
      assert.ok(
        run.ms < withinDeadlineMs(t),
        `took ${run.ms.toFixed(0)} ms for --deadline ${deadline}`,
      );
      // Waiting is sleeping: far less CPU than the wait's length (an emulated start costs more).
      const budget = t.emulated ? 4000 : 600;
      assert.ok(run.cpuMs < budget, `used ${run.cpuMs} ms of CPU while waiting ${deadline} s`);
      assert.ok(existsSync(`${entry}.lock`), "a live holder's lock is left alone");
    },
  ],
  [
    "a lock left by a killed holder is taken over at once",
    async (t) => {
      const cache = cacheDir();
      const entry = await entryPathFor(t, cache);
      execFileSync("rm", [entry]);
      const pid = deadPid();
      writeFileSync(`${entry}.lock`, lockLine(pid, Date.now() + 100_000), { mode: 0o600 });
      // Its end time is 100 s away: the waiter sees the holder is gone, and takes over.
      const run = await runEpicac(t, [...args(cache, "3"), "--debug"], { env: env() });
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(`taking over the lock .*: its holder \\(pid ${pid}\\) is gone`),
      );
      assert.doesNotMatch(run.stderr, /going on without/, "not by giving up on the lock");
      assert.deepEqual(leftovers(cache), []);
      parseSuccess(await runEpicac(t, args(cache, "3"), { env: env() }));
    },
    (t) =>
      t.runtime === "deno" &&
      "the Deno sandbox denies /proc without --allow-all: the Deno build cannot see that a lock's holder is gone, and waits for the holder's end time",
  ],
  ["a lock dated in the future, naming no holder, is taken over", async (t) => {
    const cache = cacheDir();
    const entry = await entryPathFor(t, cache);
    execFileSync("rm", [entry]);
    writeFileSync(`${entry}.lock`, "", { mode: 0o600 });
    const future = new Date(Date.now() + 3600_000);
    utimesSync(`${entry}.lock`, future, future);
    const run = await runEpicac(t, [...args(cache, "3"), "--debug"], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /taking over the lock .*: it names no holder/);
    assert.deepEqual(leftovers(cache), []);
  }],
];

for (const target of runnableTargets()) {
  for (const [name, fn, skip] of cases) {
    test(
      `${target.name}: --cache-dir fault: ${name}`,
      { skip: skip?.(target) || undefined },
      () => fn(target),
    );
  }
}
