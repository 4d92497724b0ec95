// scripts/bench/check.ts: a program must print this run's credentials as one line of
// credential_process JSON, or it fails its check (a crashing binary cannot look fast); messages
// never quote a credential; the check runs under GNU time and give the peak RSS.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { checkRuns, expectedOutput, outputProblem } from "../../scripts/bench/check.ts";

const served = { AccessKeyId: "ASIABENCH1", SecretAccessKey: "secret/1", Token: "token==1" };
const later = new Date(Date.now() + 3600_000).toISOString();
const output = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    Version: 1,
    AccessKeyId: "ASIABENCH1",
    SecretAccessKey: "secret/1",
    SessionToken: "token==1",
    Expiration: later,
    ...fields,
  }) + "\n";
const onDefault = expectedOutput("default", served);

test("check: the served credentials pass, with the agent's nanosecond Expiration too", () => {
  assert.equal(outputProblem(output(), onDefault), undefined);
  const nanoseconds = later.replace("Z", "456789Z");
  assert.equal(outputProblem(output({ Expiration: nanoseconds }), onDefault), undefined);
});

test("check: what is wrong is named, and no value is quoted", () => {
  const cases: [string, string][] = [
    ["", "did not print exactly one line on stdout"],
    [output() + output(), "did not print exactly one line on stdout"],
    ["epicac: no token\n", "stdout is not JSON"],
    [output({ Version: 2 }), "Version is not 1"],
    [output({ SessionToken: undefined }), "SessionToken is missing"],
    [output({ SecretAccessKey: "secret/2" }), "SecretAccessKey is not the one the peers served"],
    [output({ Expiration: "2001-01-01T00:00:00Z" }), "Expiration is not a time in the future"],
    [output({ Expiration: "tomorrow" }), "Expiration is not a time in the future"],
  ];
  for (const [stdout, problem] of cases) assert.equal(outputProblem(stdout, onDefault), problem);
});

test("check: the --assume path needs the STS stub's keys, never the agent's", () => {
  const onAssume = expectedOutput("assume", served);
  const stub = output({ AccessKeyId: "ASIASTUB0001ABC", SecretAccessKey: "x", SessionToken: "y" });
  assert.equal(outputProblem(stub, onAssume), undefined);
  assert.equal(outputProblem(output(), onAssume), "AccessKeyId is not the one the peers served");
});

test("check: real runs under GNU time give the peak RSS, or the failed run's first line", () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-check-"));
  try {
    const options = { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, dir };
    const good = checkRuns(["printf", "%s", output()], onDefault, 2, options);
    assert.ok("peakRssBytes" in good && good.peakRssBytes > 100 * 1024, JSON.stringify(good));
    const crash = ["sh", "-c", "echo 'epicac: the agent refused' >&2; exit 3"];
    assert.deepEqual(checkRuns(crash, onDefault, 2, options), {
      problem: "check run 1: exited with 3: epicac: the agent refused",
    });
    const wrong = checkRuns(["printf", "%s", output({ Version: 0 })], onDefault, 2, options);
    assert.deepEqual(wrong, { problem: "check run 1: Version is not 1" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
