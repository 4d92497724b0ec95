// epicac doctor, end to end on every target: a healthy set-up passes every check; each fault
// people hit (no association, a missing or expired token, the agent refusing, a profile typo, a
// credential_process that is not there, a denied hop) is named with its fix; nothing secret is
// ever printed.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Agent, AgentCredentials } from "../fakes/agent.ts";
import type { FakeSts } from "../fakes/sts.ts";
import { type Env, type FakeStsPod, startFakeStsPod } from "../support/pod.ts";
import { runEpicac, runnableTargets, type RunResult, type Target } from "../support/epicac.ts";
import { assertNoSecrets } from "../support/assertions.ts";
import { fakeJwt } from "../support/jwt.ts";

const DEST = "arn:aws:iam::222222222222:role/dest";
let stubPod: FakeStsPod;
let source: AgentCredentials;
let token: string;
let agent: Agent;
let sts: FakeSts;
let dir: string;

before(async () => {
  token = fakeJwt({
    aud: ["pods.eks.amazonaws.com"],
    sub: "system:serviceaccount:payments:api",
    exp: Math.floor(Date.now() / 1000) + 3600,
  });
  stubPod = await startFakeStsPod("doctor", token);
  ({ served: source, agent, sts, dir } = stubPod);
  writeFileSync(
    join(dir, "expired-token"),
    fakeJwt({ sub: "system:serviceaccount:payments:api", exp: 1_600_000_000 }),
  );
  // A credential_process program that exists and is executable.
  writeFileSync(join(dir, "epicac"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(dir, "epicac"), 0o755);
  writeFileSync(
    join(dir, "config"),
    `[profile dest]\nrole_arn = ${DEST}\nsource_profile = src\n\n[profile src]\ncredential_process = ${
      join(dir, "epicac")
    }\n` +
      `\n[profile broken]\ncredential_process = /opt/no-such-epicac\n`,
  );
});

after(() => stubPod?.close());

const pod = (extra: Env = {}) =>
  stubPod.env({ AWS_CONFIG_FILE: join(dir, "config"), AWS_PROFILE: "dest", ...extra });

const doctor = (t: Target, args: string[], env: Record<string, string | undefined>) =>
  runEpicac(t, ["doctor", "--sts-endpoint", sts.endpoint, ...args], { env });

/** The line of check `name`, asserting it is there exactly once. */
function line(result: RunResult, name: string): string {
  const lines = result.stdout.split("\n").filter((l) =>
    new RegExp(`^\\[(pass|FAIL|skip)\\] ${name}: `).test(l)
  );
  assert.equal(lines.length, 1, `one line for ${name} in:\n${result.stdout}`);
  return lines[0];
}

function assertClean(result: RunResult): void {
  assertNoSecrets(result.stdout + result.stderr, [token, source.SecretAccessKey, source.Token]);
}

type Case = [name: string, run: (t: Target) => Promise<void>];

const cases: Case[] = [
  ["a healthy set-up passes every check and exits 0", async (t) => {
    const result = await doctor(t, ["--assume", DEST, "--session-name", "doctor"], pod());
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      line(result, "environment"),
      /^\[pass\] environment: container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI=http:\/\/127\.0\.0\.1:\d+\/v1\/credentials, token file /,
    );
    assert.match(
      line(result, "token"),
      /^\[pass\] token: .*: JWT for system:serviceaccount:payments:api, audience pods\.eks\.amazonaws\.com, expires at 20\d\d-/,
    );
    assert.match(
      line(result, "agent"),
      new RegExp(
        `^\\[pass\\] agent: http://127\\.0\\.0\\.1:\\d+ answered with credentials for account ${source.AccountId}, expiring at `,
      ),
    );
    assert.match(
      line(result, "config"),
      /^\[pass\] config: .*profile dest: dest: assumes arn:aws:iam::222222222222:role\/dest with profile src; src: credential_process .*epicac \(executable\)/,
    );
    assert.match(
      line(result, "hop 1"),
      /^\[pass\] hop 1: assumed arn:aws:iam::222222222222:role\/dest: credentials for account 222222222222/,
    );
    assert.match(
      line(result, "identity"),
      /^\[pass\] identity: sts:GetCallerIdentity: arn:aws:sts::/,
    );
    assert.match(result.stdout, /\nall checks passed\n$/);
    assertClean(result);
  }],
  [
    "a broken pod: missing token file, agent refusing, wrong profile: each named with its fix",
    async (t) => {
      const missing = join(dir, "no-such-token");
      const tokenGone = await doctor(
        t,
        [],
        pod({ AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: missing }),
      );
      assert.equal(tokenGone.code, 1);
      assert.match(
        line(tokenGone, "token"),
        new RegExp(
          `^\\[FAIL\\] token: cannot read the token file ${missing} .*no such file -- fix: check that the pod's projected service-account token volume is mounted`,
        ),
      );

      const refused = await doctor(
        t,
        [],
        pod({ AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url("/status/403") }),
      );
      assert.equal(refused.code, 1);
      assert.match(
        line(refused, "agent"),
        /^\[FAIL\] agent: .*answered HTTP 403: Access Denied\..* -- fix: check that an EKS Pod Identity association exists/,
      );

      const typo = await doctor(t, [], pod({ AWS_PROFILE: "dset" }));
      assert.equal(typo.code, 1);
      assert.match(
        line(typo, "config"),
        /^\[FAIL\] config: .*profile dset: profile dset is not in the file \(profiles there: dest, src, broken\) -- fix: /,
      );
      for (const result of [tokenGone, refused, typo]) {
        assert.match(result.stdout, /\n1 check failed\n$/);
        assertClean(result);
      }
    },
  ],
  ["no association: the environment check says to create one and restart the pod", async (t) => {
    const result = await doctor(t, [], { HOME: dir });
    assert.equal(result.code, 1);
    assert.match(
      line(result, "environment"),
      /^\[FAIL\] environment: none of the variables .* -- fix: create an EKS Pod Identity association .* then restart the pod/,
    );
    assert.match(line(result, "credentials"), /^\[skip\] /);
    assert.match(
      line(result, "config"),
      /^\[skip\] config: AWS_CONFIG_FILE, AWS_PROFILE and AWS_DEFAULT_PROFILE are not set/,
    );
  }],
  ["--source web-identity checks the web identity token and asks STS for its role", async (t) => {
    const webToken = join(dir, "web-identity-token");
    writeFileSync(
      webToken,
      fakeJwt({ sub: "system:serviceaccount:payments:irsa", aud: ["sts.amazonaws.com"] }),
    );
    const result = await doctor(
      t,
      ["--source", "web-identity"],
      pod({
        AWS_WEB_IDENTITY_TOKEN_FILE: webToken,
        AWS_ROLE_ARN: "arn:aws:iam::111122223333:role/irsa",
      }),
    );
    assert.match(line(result, "environment"), /^\[pass\] environment: IRSA: AWS_ROLE_ARN=/);
    assert.match(
      line(result, "token"),
      new RegExp(
        `^\\[pass\\] token: web identity token file ${webToken}: JWT for system:serviceaccount:payments:irsa, audience sts\\.amazonaws\\.com`,
      ),
    );
    assert.match(
      line(result, "web identity"),
      /^\[pass\] web identity: arn:aws:iam::111122223333:role\/irsa answered with credentials/,
    );
  }],
  ["a source asked for but not set up is one failure, not two", async (t) => {
    const result = await doctor(t, ["--source", "container"], {
      HOME: dir,
      AWS_REGION: "us-west-2",
    });
    assert.equal(result.code, 1);
    assert.match(
      line(result, "environment"),
      /^\[FAIL\] environment: AWS_CONTAINER_CREDENTIALS_FULL_URI is not set/,
    );
    assert.match(
      line(result, "credentials"),
      /^\[skip\] credentials: no credentials source is configured/,
    );
    assert.match(result.stdout, /\n1 check failed\n$/);
  }],
  ["a chain with no region anywhere fails, as the SDKs would", async (t) => {
    const env = pod({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined });
    const result = await doctor(t, ["--assume", DEST], env);
    assert.equal(result.code, 1);
    assert.match(
      line(result, "config"),
      /^\[FAIL\] config: .*no region to call STS for the role in/,
    );
    assert.match(line(result, "agent"), /^\[pass\] agent: /, "the agent needs no region");
    assert.match(
      line(result, "chain"),
      /^\[FAIL\] chain: no AWS region is set for STS -- fix: pass --region/,
    );
  }],
  ["an expired token and a missing credential_process program are failures", async (t) => {
    const expired = await doctor(
      t,
      [],
      pod({ AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(dir, "expired-token") }),
    );
    assert.match(
      line(expired, "token"),
      /^\[FAIL\] token: .*, expired at 2020-09-13T12:26:40\.000Z -- fix: the kubelet rotates this token/,
    );
    const program = await doctor(t, [], pod({ AWS_PROFILE: "broken" }));
    assert.match(
      line(program, "config"),
      /^\[FAIL\] config: .*credential_process runs \/opt\/no-such-epicac, which is missing or not executable/,
    );
    assert.equal(program.code, 1);
  }],
  ["a denied hop is named with the policies to check, and no identity is claimed", async (t) => {
    const result = await doctor(t, ["--assume", "arn:aws:iam::222222222222:role/denied"], pod());
    assert.equal(result.code, 1);
    assert.match(
      line(result, "hop 1"),
      /^\[FAIL\] hop 1: sts:AssumeRole of arn:aws:iam::222222222222:role\/denied was denied for .* -- fix: check that the trust policy/,
    );
    assert.doesNotMatch(result.stdout, /\] identity: /);
    assertClean(result);
  }],
  ["--json gives the same checks as one document", async (t) => {
    const result = await doctor(t, ["--json"], pod({ AWS_PROFILE: "dset" }));
    assert.equal(result.code, 1);
    const doc = JSON.parse(result.stdout);
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.checks.map((c: { name: string }) => c.name), [
      "environment",
      "token",
      "agent",
      "config",
      "cache",
      "chain",
    ]);
    const config = doc.checks.find((c: { name: string }) => c.name === "config");
    assert.equal(config.status, "fail");
    assert.match(config.fix, /AWS config file/);
    assert.equal(doc.checks.find((c: { name: string }) => c.name === "agent").status, "pass");
    assertClean(result);
  }],
  ["doctor --help lists every check; unknown flags are usage errors", async (t) => {
    const help = await runEpicac(t, ["doctor", "--help"], { env: {} });
    assert.equal(help.code, 0);
    for (const word of ["environment", "token", "agent", "config", "hop N", "identity", "--json"]) {
      assert.ok(help.stdout.includes(word), word);
    }
    const bad = await runEpicac(t, ["doctor", "--bogus"], { env: {} });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^epicac: Unknown option '--bogus'/);
  }],
];

for (const target of runnableTargets({ denoBundle: true, emulated: true })) {
  for (const [name, fn] of cases) test(`${target.name}: doctor ${name}`, () => fn(target));
}
