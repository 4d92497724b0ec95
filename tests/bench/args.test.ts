// scripts/bench/args.ts: defaults, and bad values refused as usage errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBenchArgs, UsageError } from "../../scripts/bench/args.ts";

test("args: 30 counted runs after 3 warm-up, emulated runs on, no budget by default", () => {
  assert.deepEqual(parseBenchArgs([]), {
    runs: 30,
    warmup: 3,
    emulated: true,
    serve: { seconds: 10, requests: 1_000_000 },
    help: false,
  });
});

test("args: every flag", () => {
  assert.deepEqual(
    parseBenchArgs([
      "--runs",
      "50",
      "--warmup",
      "0",
      "--out",
      "/tmp/b",
      "--max-ratio",
      "1.25",
      "--no-emulated",
      "--serve-seconds",
      "2",
      "--serve-requests",
      "5000",
    ]),
    {
      runs: 50,
      warmup: 0,
      out: "/tmp/b",
      maxRatio: 1.25,
      emulated: false,
      serve: { seconds: 2, requests: 5000 },
      help: false,
    },
  );
  assert.equal(parseBenchArgs(["--no-serve"]).serve, null);
  assert.equal(parseBenchArgs(["-h"]).help, true);
});

test("args: bad values and unknown flags are usage errors", () => {
  for (
    const argv of [
      ["--runs", "0"],
      ["--runs", "3.5"],
      ["--warmup", "-1"],
      ["--max-ratio", "0"],
      ["--max-ratio", "fast"],
      ["--out", ""],
      ["--runs"],
      ["--frobnicate"],
      ["--serve-seconds", "0"],
      ["--serve-requests", "999"],
      ["extra"],
    ]
  ) {
    assert.throws(() => parseBenchArgs(argv), UsageError, argv.join(" "));
  }
});
