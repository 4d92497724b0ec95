// botocore's refresh window against epicac's cache, with boto3 itself as the consumer: botocore
// refreshes process credentials that have less than 15 minutes left, on every call. An entry
// with 14 minutes left must therefore never be served: epicac refreshes it, and a long-lived
// boto3 client then makes its calls on one run's credentials instead of starting epicac on each.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FakeSts } from "../../fakes/sts.ts";
import { type FakeStsPod, startFakeStsPod } from "../../support/pod.ts";
import { runEpicac, runnableTargets, runProcess, type Target } from "../../support/epicac.ts";
import { parseSuccess } from "../../support/assertions.ts";
import { fakeJwt } from "../../support/jwt.ts";

const TOKEN = fakeJwt({ sub: "system:serviceaccount:app:boto" }, { signature: "c2ln" });
const DEST = "arn:aws:iam::222222222222:role/dest";
const CALLS = 20;
let pod: FakeStsPod;
let sts: FakeSts;
let serial = 0;

before(async () => {
  pod = await startFakeStsPod("boto3-refresh", TOKEN);
  sts = pod.sts;
});

after(() => pod?.close());

const env = (extra: Record<string, string> = {}) => pod.env(extra);

const BOTO3 = `
import os, boto3
session = boto3.Session(profile_name="app")
client = session.client("sts", endpoint_url=os.environ["STUB"], region_name="us-west-2")
for _ in range(int(os.environ["CALLS"])):
    client.get_caller_identity()
`;

async function botoCalls(t: Target): Promise<{ runs: number; assumeRoles: number }> {
  const n = ++serial;
  const cache = join(pod.dir, `cache-${n}`);
  const args = ["--assume", DEST, "--sts-endpoint", sts.endpoint, "--cache-dir", cache];
  // An entry that a run wrote, aged to 14 minutes left: inside botocore's window.
  parseSuccess(await runEpicac(t, args, { env: env() }));
  const [name] = readdirSync(cache).filter((f) => f.endsWith(".json"));
  const entry = join(cache, name);
  const stored = JSON.parse(readFileSync(entry, "utf8"));
  stored.expiration = new Date(Date.now() + 14 * 60_000).toISOString();
  writeFileSync(entry, JSON.stringify(stored), { mode: 0o600 });
  // botocore runs the program directly: a wrapper counts the runs, then becomes epicac.
  const counter = join(pod.dir, `runs-${n}`);
  writeFileSync(counter, "");
  const wrapper = join(pod.dir, `counting-epicac-${n}`);
  writeFileSync(
    wrapper,
    `#!/bin/sh\necho run >> ${counter}\nexec ${t.command.join(" ")} "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  const config = join(pod.dir, `config-${n}`);
  writeFileSync(config, `[profile app]\ncredential_process = ${wrapper} ${args.join(" ")}\n`);
  const before = sts.requests.filter((r) => r.action === "AssumeRole").length;
  const result = await runProcess("python3", ["-c", BOTO3], {
    env: env({ AWS_CONFIG_FILE: config, STUB: sts.endpoint, CALLS: String(CALLS) }),
    killAfterMs: 300_000,
  });
  assert.equal(result.code, 0, result.stderr);
  return {
    runs: readFileSync(counter, "utf8").split("\n").filter(Boolean).length,
    assumeRoles: sts.requests.filter((r) => r.action === "AssumeRole").length - before,
  };
}

for (const target of runnableTargets()) {
  test(`${target.name}: boto3 making ${CALLS} calls starts epicac once, not on every call, when the cached entry is inside botocore's window`, async () => {
    const { runs, assumeRoles } = await botoCalls(target);
    assert.equal(assumeRoles, 1, "the entry inside botocore's window was refreshed");
    assert.ok(runs <= 2, `boto3 started epicac ${runs} times for ${CALLS} calls`);
  });
}
