// src/options.ts: a chain's options from checked values, with the rules that tie inputs
// together named as the caller wrote them.

import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRefreshWindow, MIN_REFRESH_INTERVAL_MS } from "../src/options.ts";
import { UsageError } from "../src/errors.ts";
import { thrownBy } from "./support/assertions.ts";
import { commandLineChain, moduleChain } from "./support/chain.ts";

const usageError = (fn: () => unknown) => thrownBy(UsageError, fn);
const DEST = "arn:aws:iam::222222222222:role/dest";

test("defaults are the declarations'; the session carries what was given, and says what was", () => {
  const options = moduleChain({ assume: [DEST], externalId: "ext-1", tags: { a: "b" } });
  assert.equal(options.timeoutMs, 1000);
  assert.deepEqual(options.retry, {
    baseDelayMs: 100,
    maxDelayMs: 1000,
    retries: 3,
    deadlineMs: 5000,
  });
  assert.equal(options.session.externalId, "ext-1");
  assert.deepEqual(options.session.tags, [{ Key: "a", Value: "b" }]);
  assert.deepEqual(options.sessionGiven.map((input) => input.option), ["externalId", "tags"]);
  assert.deepEqual(moduleChain({ tags: {} }).sessionGiven, [], "no tags is not a tag given");
});

test("a chained session is capped at one hour, named as the caller wrote it", () => {
  assert.equal(moduleChain({ durationSeconds: 43200 }).session.durationSeconds, 43200);
  assert.equal(
    usageError(() => commandLineChain({ assume: [DEST], duration: "3601" })).message,
    "--duration 3601 is over 3600: AWS caps a chained role session (AssumeRole with role credentials) at one hour",
  );
  assert.match(
    usageError(() => moduleChain({ assume: [DEST], durationSeconds: 3601 })).message,
    /^durationSeconds 3601 is over 3600/,
  );
});

test("a duration must leave the refresh floor above the refresh window", () => {
  const window = 900_000;
  const room = 900 + MIN_REFRESH_INTERVAL_MS / 1000;
  checkRefreshWindow(moduleChain({ durationSeconds: room }), window, "x");
  checkRefreshWindow(moduleChain({}), window, "no duration: the role's own");
  assert.equal(
    usageError(() =>
      checkRefreshWindow(commandLineChain({ duration: String(room - 1) }), window, "it storms")
    ).message,
    `--duration ${room - 1} leaves less than 30s above --refresh-before 900: it storms`,
  );
  assert.match(
    usageError(() => checkRefreshWindow(moduleChain({ durationSeconds: 901 }), window, "x"))
      .message,
    /^durationSeconds 901 leaves less than 30s above refreshBeforeMs 900000: x$/,
  );
});
