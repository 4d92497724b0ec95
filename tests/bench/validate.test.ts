// scripts/bench/validate.ts: a run counts only when it printed the credentials the peers served;
// anything else fails it, so a crashing binary cannot look fast.

import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRun, expectationFor, type RunOutcome } from "../../scripts/bench/validate.ts";

const SERVED = {
  AccessKeyId: "ASIABENCH0123456789AB",
  SecretAccessKey: "benchSecret/0123+abc",
  Token: "IQoJbenchToken==",
};
const NOW = Date.parse("2030-01-01T00:00:00Z");
const LATER = "2030-01-01T12:00:00.123456789Z";

function output(fields: Record<string, unknown>): RunOutcome {
  return { exitCode: 0, timedOut: false, stdout: JSON.stringify(fields) + "\n", stderr: "" };
}

const epicacOutput = (overrides: Record<string, unknown> = {}) =>
  output({
    Version: 1,
    AccessKeyId: SERVED.AccessKeyId,
    SecretAccessKey: SERVED.SecretAccessKey,
    SessionToken: SERVED.Token,
    Expiration: "2030-01-01T12:00:00.123Z",
    AccountId: "111122223333",
    ...overrides,
  });

test("validate: epicac's output with the served credentials passes", () => {
  assert.equal(checkRun(epicacOutput(), expectationFor("default", SERVED), NOW), undefined);
});

test("validate: the baseline's jq output (nanosecond Expiration, no AccountId) passes", () => {
  const jq = output({
    AccessKeyId: SERVED.AccessKeyId,
    SecretAccessKey: SERVED.SecretAccessKey,
    SessionToken: SERVED.Token,
    Expiration: LATER,
    Version: 1,
  });
  assert.equal(checkRun(jq, expectationFor("default", SERVED), NOW), undefined);
});

test("validate: a crash fails the run, quoting the first stderr line", () => {
  const crash = { exitCode: 1, timedOut: false, stdout: "", stderr: "\nepicac: it broke\nmore\n" };
  assert.equal(
    checkRun(crash, expectationFor("default", SERVED), NOW),
    "exited with 1: epicac: it broke",
  );
  const killed = { exitCode: null, signal: "SIGSEGV", timedOut: false, stdout: "", stderr: "" };
  assert.equal(checkRun(killed, expectationFor("default", SERVED), NOW), "was killed by SIGSEGV");
  const slow = { exitCode: null, signal: "SIGTERM", timedOut: true, stdout: "", stderr: "" };
  assert.match(checkRun(slow, expectationFor("default", SERVED), NOW)!, /did not finish in time/);
});

test("validate: exit 0 with nothing, or something else, on stdout fails the run", () => {
  const expected = expectationFor("default", SERVED);
  // What the baseline prints when curl cannot connect: jq exits 0 on empty input.
  const empty = { exitCode: 0, timedOut: false, stdout: "", stderr: "" };
  assert.equal(checkRun(empty, expected, NOW), "printed nothing on stdout");
  const text = { exitCode: 0, timedOut: false, stdout: "hello\n", stderr: "" };
  assert.match(checkRun(text, expected, NOW)!, /not JSON/);
  assert.match(
    checkRun(output([1, 2] as unknown as Record<string, unknown>), expected, NOW)!,
    /not an object/,
  );
  const twice = epicacOutput();
  twice.stdout += twice.stdout;
  assert.match(checkRun(twice, expected, NOW)!, /more than one line/);
});

test("validate: wrong or missing fields fail the run, without quoting any credential", () => {
  const expected = expectationFor("default", SERVED);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ Version: 2 }, /Version/],
    [{ AccessKeyId: "ASIASOMEONEELSE" }, /AccessKeyId is not the one/],
    [{ SecretAccessKey: "other" }, /SecretAccessKey is not the one/],
    [{ SessionToken: "" }, /SessionToken is missing/],
    [{ Expiration: "tomorrow" }, /Expiration is not/],
    [{ Expiration: "2029-12-31T23:59:59Z" }, /in the past/],
  ];
  for (const [overrides, pattern] of cases) {
    const problem = checkRun(epicacOutput(overrides), expected, NOW);
    assert.match(problem ?? "", pattern, JSON.stringify(overrides));
    assert.ok(!problem!.includes(SERVED.SecretAccessKey) && !problem!.includes(SERVED.Token));
  }
});

test("validate: the --assume path needs the STS stub's keys, not the agent's", () => {
  const expected = expectationFor("assume", SERVED);
  const assumed = epicacOutput({
    AccessKeyId: "ASIASTUB000001ABC123",
    SecretAccessKey: "stubSecret",
    SessionToken: "FwoGstub==",
  });
  assert.equal(checkRun(assumed, expected, NOW), undefined);
  // Printing the pod's own credentials means the hop was skipped.
  assert.match(checkRun(epicacOutput(), expected, NOW)!, /AccessKeyId/);
});
