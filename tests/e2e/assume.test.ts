// --assume end to end, on every target: the pod's credentials from the agent emulator, then
// sts:AssumeRole hops against the loopback STS stub, which records what each hop sent and which
// access key signed it, and answers with AWS's error XML for the failure cases.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Agent, AgentCredentials } from "../fakes/agent.ts";
import type { FakeSts } from "../fakes/sts.ts";
import { type Env, type FakeStsPod, startFakeStsPod } from "../support/pod.ts";
import {
  caseDeadlineSeconds,
  runEpicac,
  runnableTargets,
  type Target,
  withinDeadlineMs,
} from "../support/epicac.ts";
import { assertFailure, assertNoSecrets, parseSuccess } from "../support/assertions.ts";
import { closedPort } from "../support/network.ts";
import { fakeJwt } from "../support/jwt.ts";

const TOKEN = fakeJwt({ sub: "system:serviceaccount:app:app" }, { signature: "c2ln" });
const DEST = "arn:aws:iam::222222222222:role/dest";
const THIRD = "arn:aws:iam::333333333333:role/third";
let pod: FakeStsPod;
let source: AgentCredentials;
let agent: Agent;
let sts: FakeSts;

before(async () => {
  pod = await startFakeStsPod("assume", TOKEN);
  ({ served: source, agent, sts } = pod);
});

after(() => pod?.close());

const podEnv = (extra: Env = {}) => pod.env(extra);

/** Run with --sts-endpoint pointing at the stub; returns the run and the STS requests it made. */
async function assume(t: Target, args: string[], extra: Record<string, string | undefined> = {}) {
  const first = sts.requests.length;
  const result = await runEpicac(t, [...args, "--sts-endpoint", sts.endpoint], {
    env: podEnv(extra),
  });
  return { result, calls: sts.requests.slice(first) };
}

const SECRETS = () => [TOKEN, source.SecretAccessKey, source.Token];
const arn = (role: string) => `arn:aws:iam::222222222222:role/${role}`;

type Case = [name: string, run: (t: Target) => Promise<void>];

const cases: Case[] = [
  ["one hop: prints the assumed role's credentials, signed with the pod's", async (t) => {
    const { result, calls } = await assume(t, ["--assume", DEST, "--session-name", "app-pod-1"]);
    const doc = parseSuccess(result);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].action, "AssumeRole");
    assert.equal(calls[0].params.RoleArn, DEST);
    assert.equal(calls[0].params.RoleSessionName, "app-pod-1");
    assert.equal(
      calls[0].accessKeyId,
      source.AccessKeyId,
      "hop 1 is signed with the pod's credentials",
    );
    assert.match(doc.AccessKeyId, /^ASIASTUB/);
    assert.notEqual(doc.AccessKeyId, source.AccessKeyId);
    assert.equal(doc.AccountId, "222222222222", "AccountId comes from the role ARN");
    assert.ok(Date.parse(doc.Expiration!) > Date.now() + 30 * 60_000);
  }],
  ["two hops: each hop is signed with the previous hop's credentials", async (t) => {
    const { result, calls } = await assume(t, ["--assume", DEST, "--assume", THIRD]);
    const doc = parseSuccess(result);
    assert.deepEqual(calls.map((c) => c.params.RoleArn), [DEST, THIRD]);
    assert.equal(calls[0].accessKeyId, source.AccessKeyId);
    assert.match(
      calls[1].accessKeyId ?? "",
      /^ASIASTUB/,
      "hop 2 is signed with hop 1's credentials",
    );
    assert.notEqual(calls[1].accessKeyId, doc.AccessKeyId);
    assert.equal(doc.AccountId, "333333333333");
  }],
  ["session flags reach STS on every hop", async (t) => {
    const { result, calls } = await assume(t, [
      "--assume",
      DEST,
      "--assume",
      THIRD,
      "--external-id",
      "ext-123:abc",
      "--duration",
      "1800",
      "--source-identity",
      "alice@example",
      "--tag",
      "team=payments",
      "--tag",
      "env=prod=eu",
    ]);
    parseSuccess(result);
    assert.equal(calls.length, 2);
    for (const call of calls) {
      assert.equal(call.params.ExternalId, "ext-123:abc");
      assert.equal(call.params.DurationSeconds, "1800");
      assert.equal(call.params.SourceIdentity, "alice@example");
      assert.equal(call.params["Tags.member.1.Key"], "team");
      assert.equal(call.params["Tags.member.1.Value"], "payments");
      assert.equal(call.params["Tags.member.2.Key"], "env");
      assert.equal(call.params["Tags.member.2.Value"], "prod=eu", "only the first = splits a tag");
    }
  }],
  ["the default session name is the host's name, made valid for STS", async (t) => {
    const { result, calls } = await assume(t, ["--assume", DEST]);
    parseSuccess(result);
    assert.match(calls[0].params.RoleSessionName, /^[\w+=,.@-]{2,64}$/);
    const { hostname } = await import("node:os");
    assert.equal(
      calls[0].params.RoleSessionName,
      hostname().replace(/[^\w+=,.@-]/g, "-").slice(0, 64),
    );
  }],
  ["--duration over an hour is refused before STS is called", async (t) => {
    const { result, calls } = await assume(t, ["--assume", DEST, "--duration", "7200"]);
    assertFailure(result, {
      code: 2,
      stderr: /--duration 7200 is over 3600: AWS caps a chained role session/,
    });
    assert.equal(calls.length, 0);
  }],
  ["bad session flags are usage errors, before any call", async (t) => {
    const bad: [string[], RegExp][] = [
      [["--assume", "dest"], /--assume takes an IAM role ARN/],
      [
        ["--assume", DEST, "--session-name", "has space"],
        /--session-name takes 2 to 64 characters/,
      ],
      [["--assume", DEST, "--tag", "novalue"], /--tag takes KEY=VALUE/],
      [["--assume", DEST, "--external-id", "x"], /--external-id takes 2 to 1224 characters/],
      [["--assume", DEST, "--source", "imds"], /--source must be one of container, web-identity/],
      [
        ["--assume", DEST, "--sts-endpoint", "http://sts.example.com"],
        /--sts-endpoint takes an https URL/,
      ],
    ];
    for (const [args, message] of bad) {
      const first = sts.requests.length;
      assertFailure(await runEpicac(t, args, { env: podEnv() }), { code: 2, stderr: message });
      assert.equal(sts.requests.length, first);
    }
  }],
  [
    "session flags that cannot apply without --assume are usage errors, not silently dropped",
    async (t) => {
      const agentBefore = agent.requests.length;
      const irsa = {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: pod.tokenFile,
        AWS_ROLE_ARN: "arn:aws:iam::111122223333:role/irsa",
      };
      const cases: [string[], Record<string, string | undefined>, RegExp][] = [
        [["--duration", "7200"], {}, /--duration applies to --assume hops, and none is given/],
        [
          ["--external-id", "ext-1", "--tag", "a=b"],
          irsa,
          /--external-id, --tag apply to --assume hops only/,
        ],
        [[], { ...irsa, AWS_ROLE_ARN: "irsa" }, /AWS_ROLE_ARN takes an IAM role ARN/],
      ];
      for (const [args, env, message] of cases) {
        const first = sts.requests.length;
        const result = await runEpicac(t, [...args, "--sts-endpoint", sts.endpoint], {
          env: podEnv(env),
        });
        assertFailure(result, { code: env.AWS_ROLE_ARN === "irsa" ? 1 : 2, stderr: message });
        assert.equal(sts.requests.length, first, "no STS call");
      }
      assert.equal(agent.requests.length, agentBefore, "no agent call");
    },
  ],
  [
    "AccessDenied names the role and the refused principal, and the policies to check",
    async (t) => {
      const { result } = await assume(t, ["--assume", arn("denied")]);
      assertFailure(result, {
        stderr: new RegExp(
          "sts:AssumeRole of arn:aws:iam::222222222222:role/denied was denied for " +
            "arn:aws:sts::111122223333:assumed-role/src/pod \\(check that the trust policy of .*role/denied.* permission policy",
        ),
        secrets: SECRETS(),
      });
    },
  ],
  ["a denied second hop names the first hop's role", async (t) => {
    const { result } = await assume(t, ["--assume", DEST, "--assume", arn("denied")]);
    assertFailure(result, {
      stderr: /role\/denied was denied for arn:aws:sts::/,
      secrets: SECRETS(),
    });
  }],
  ["PackedPolicyTooLarge explains Pod Identity's session tags", async (t) => {
    const { result } = await assume(t, ["--assume", arn("packed")]);
    assertFailure(result, {
      stderr:
        /session policy and tags are too large.*six transitive session tags.*disableSessionTags/,
    });
  }],
  ["an expired token, a disabled region and a missing region each say so", async (t) => {
    assertFailure((await assume(t, ["--assume", arn("expired")])).result, {
      stderr: /credentials it was signed with have expired/,
    });
    assertFailure((await assume(t, ["--assume", arn("region-off")])).result, {
      stderr: /STS is not activated in this region/,
    });
    const noRegion = await assume(t, ["--assume", DEST], {
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
    });
    assertFailure(noRegion.result, {
      stderr: /no AWS region is set for STS \(pass --region, or set AWS_REGION/,
    });
    assert.equal(noRegion.calls.length, 0);
  }],
  ["--region and AWS_DEFAULT_REGION are used when AWS_REGION is unset", async (t) => {
    const viaFlag = await assume(t, ["--assume", DEST, "--region", "eu-west-1"], {
      AWS_REGION: undefined,
    });
    parseSuccess(viaFlag.result);
    const viaDefault = await assume(t, ["--assume", DEST], {
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: "eu-west-1",
    });
    parseSuccess(viaDefault.result);
  }],
  ["throttling and 5xx are retried with backoff, then reported", async (t) => {
    const throttled = await assume(t, ["--assume", arn("throttled"), "--retries", "2"]);
    assertFailure(throttled.result, { stderr: /was throttled by STS after retries/ });
    assert.equal(throttled.calls.length, 3);
    const broken = await assume(t, ["--assume", arn("broken"), "--retries", "1"]);
    assertFailure(broken.result, { stderr: /STS answered HTTP 500 after retries/ });
    assert.equal(broken.calls.length, 2);
  }],
  ["a hung STS is cut off by --timeout, and by the overall deadline", async (t) => {
    // STS never answers. With a short --timeout, each attempt is cut: the run says so.
    const attempts = await assume(t, [
      "--assume",
      arn("hang"),
      "--timeout",
      "0.5",
      "--retries",
      "1",
      "--deadline",
      "20",
    ]);
    assertFailure(attempts.result, {
      stderr:
        /AssumeRole of .*role\/hang failed: no answer from STS at http:\/\/127\.0\.0\.1:\d+ in time/,
    });
    assert.equal(attempts.calls.length, 2, "each of the two attempts reached STS");
    // With a --timeout longer than the deadline, the deadline cuts the one attempt.
    const cut = await assume(t, [
      "--assume",
      arn("hang"),
      "--timeout",
      "60",
      "--deadline",
      String(caseDeadlineSeconds(t)),
    ]);
    assertFailure(cut.result, { stderr: /AssumeRole did not finish before the overall deadline/ });
    assert.ok(cut.result.ms < withinDeadlineMs(t), `took ${cut.result.ms.toFixed(0)} ms`);
  }],
  ["an unreachable STS endpoint is reported as such", async (t) => {
    const port = await closedPort();
    const result = await runEpicac(t, [
      "--assume",
      DEST,
      "--sts-endpoint",
      `http://127.0.0.1:${port}`,
      "--retries",
      "0",
    ], { env: podEnv() });
    assertFailure(result, {
      stderr: new RegExp(
        `AssumeRole of .*role/dest failed: cannot connect to STS at http://127\\.0\\.0\\.1:${port}: connection refused`,
      ),
    });
  }],
  ["--format env prints the last hop's credentials", async (t) => {
    const { result } = await assume(t, ["--assume", DEST, "--format", "env"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^export AWS_ACCESS_KEY_ID='ASIASTUB/m);
    assert.match(result.stdout, /^export AWS_ACCOUNT_ID='222222222222'$/m);
  }],
  ["--debug logs each hop, never a secret", async (t) => {
    const { result } = await assume(t, ["--assume", DEST, "--debug"]);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /AssumeRole arn:aws:iam::222222222222:role\/dest: ok after/);
    const doc = JSON.parse(result.stdout);
    assertNoSecrets(result.stderr, [...SECRETS(), doc.SecretAccessKey, doc.SessionToken]);
  }],
];

for (const target of runnableTargets({ denoBundle: true, emulated: true })) {
  for (const [name, fn] of cases) test(`${target.name}: --assume ${name}`, () => fn(target));
}
