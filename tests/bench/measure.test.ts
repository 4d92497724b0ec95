// scripts/bench/measure.ts with a fake runner: candidates interleave round-robin, warm-up runs
// are not counted, memory runs only give RSS, and one bad output fails its candidate.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Candidate } from "../../scripts/bench/candidates.ts";
import { measure, rotate, type RunResult } from "../../scripts/bench/measure.ts";
import { expectationFor } from "../../scripts/bench/validate.ts";

const SERVED = { AccessKeyId: "ASIABENCHKEY", SecretAccessKey: "secret", Token: "token" };
const GOOD = JSON.stringify({
  Version: 1,
  AccessKeyId: SERVED.AccessKeyId,
  SecretAccessKey: SERVED.SecretAccessKey,
  SessionToken: SERVED.Token,
  Expiration: new Date(Date.now() + 3600_000).toISOString(),
}) + "\n";

function candidate(id: string, status: Candidate["status"] = "ready"): Candidate {
  return {
    id,
    label: id,
    kind: "epicac",
    runtime: "bun",
    arch: "amd64",
    path: "default",
    emulated: false,
    command: [id],
    files: [],
    status,
  };
}

const ok = (wallMs: number, maxRssBytes?: number): RunResult => ({
  exitCode: 0,
  timedOut: false,
  stdout: GOOD,
  stderr: "",
  wallMs,
  ...(maxRssBytes === undefined ? {} : { maxRssBytes }),
});

test("measure: rotate turns the order by one place per round", () => {
  assert.deepEqual(rotate(["a", "b", "c"], 0), ["a", "b", "c"]);
  assert.deepEqual(rotate(["a", "b", "c"], 1), ["b", "c", "a"]);
  assert.deepEqual(rotate(["a", "b", "c"], 5), ["c", "a", "b"]);
  assert.deepEqual(rotate([], 3), []);
});

test("measure: round-robin, warm-up uncounted, missing candidates never run", async () => {
  const calls: string[] = [];
  let clock = 0;
  const list = [candidate("a"), candidate("b"), candidate("gone", "missing"), candidate("c")];
  const result = await measure(list, {
    runs: 3,
    warmup: 2,
    expectationFor: () => expectationFor("default", SERVED),
    runner: (c) => {
      calls.push(c.id);
      return ok(++clock);
    },
  });
  // Five rounds of a, b, c, each starting one place further on.
  assert.deepEqual(calls, [
    "a",
    "b",
    "c",
    "b",
    "c",
    "a",
    "c",
    "a",
    "b",
    "a",
    "b",
    "c",
    "b",
    "c",
    "a",
  ]);
  const times = Object.fromEntries(result.map((m) => [m.candidate.id, m.wallMs]));
  assert.deepEqual(times, { a: [8, 10, 15], b: [9, 11, 13], gone: [], c: [7, 12, 14] });
  assert.equal(result[2].failure, undefined);
});

test("measure: an invalid output fails the candidate and drops its times; others go on", async () => {
  let bRuns = 0;
  const result = await measure([candidate("a"), candidate("b")], {
    runs: 4,
    warmup: 1,
    expectationFor: () => expectationFor("default", SERVED),
    runner: (c) => {
      if (c.id === "b" && ++bRuns === 3) {
        // Fast, exit 0, but not credentials: must not count as a fast run.
        return { ...ok(0.1), stdout: '{"message":"oops"}\n' };
      }
      return ok(5);
    },
  });
  const [a, b] = result;
  assert.deepEqual(a.wallMs, [5, 5, 5, 5]);
  assert.equal(a.failure, undefined);
  assert.deepEqual(b.wallMs, []);
  assert.match(b.failure!, /^counted run 2: /);
  assert.equal(bRuns, 3, "a failed candidate is not run again");
});

test("measure: a crash during warm-up fails the candidate too", async () => {
  const [m] = await measure([candidate("a")], {
    runs: 2,
    warmup: 1,
    expectationFor: () => expectationFor("default", SERVED),
    runner: () => ({ ...ok(1), exitCode: 134, stdout: "", stderr: "Segmentation fault\n" }),
  });
  assert.equal(m.failure, "warm-up run 1: exited with 134: Segmentation fault");
});

test("measure: memory rounds come last, give RSS only, and are checked as well", async () => {
  const kinds: string[] = [];
  const [m] = await measure([candidate("a")], {
    runs: 2,
    warmup: 0,
    expectationFor: () => expectationFor("default", SERVED),
    runner: () => {
      kinds.push("time");
      return ok(3, 999);
    },
    memory: {
      runs: 2,
      runner: () => {
        kinds.push("memory");
        return ok(100, 40 * 1024 * 1024);
      },
    },
  });
  assert.deepEqual(kinds, ["time", "time", "memory", "memory"]);
  assert.deepEqual(m.wallMs, [3, 3], "memory runs are not timed");
  assert.deepEqual(m.maxRssBytes, [40 * 1024 * 1024, 40 * 1024 * 1024]);

  const [bad] = await measure([candidate("a")], {
    runs: 1,
    warmup: 0,
    expectationFor: () => expectationFor("default", SERVED),
    runner: () => ok(3),
    memory: { runs: 1, runner: () => ({ ...ok(3), exitCode: 1 }) },
  });
  assert.match(bad.failure!, /^memory run 1: exited with 1/);
});
