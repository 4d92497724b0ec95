// src/pipeline.ts in process, against the loopback agent emulator and fake STS: planChain picks
// the source, resolves STS only when the chain calls it, and refuses flags that cannot apply;
// runChain gets the source's credentials, signs each hop with the previous hop's, tells the
// observer about each step as it succeeds, and ends at the deadline.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDeadline } from "../src/deadline.ts";
import { EpicacError, UsageError } from "../src/errors.ts";
import { commandLineChain, moduleChain } from "./support/chain.ts";
import { planChain, runChain } from "../src/pipeline.ts";
import { type Agent, type AgentCredentials, fakeCredentials, startAgent } from "./fakes/agent.ts";
import { type FakeSts, startFakeSts } from "./fakes/sts.ts";
import { podToken } from "./support/jwt.ts";
import { thrownBy } from "./support/assertions.ts";

const DEST = "arn:aws:iam::222222222222:role/dest";
const THIRD = "arn:aws:iam::333333333333:role/third";
const TOKEN = podToken();
let dir: string;
let tokenFile: string;
let agent: Agent;
let sts: FakeSts;
let served: AgentCredentials;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "epicac-pipeline-"));
  tokenFile = join(dir, "token");
  writeFileSync(tokenFile, TOKEN);
  served = fakeCredentials();
  agent = await startAgent({ credentials: () => served, expectedToken: TOKEN });
  sts = await startFakeSts();
});

after(async () => {
  await agent?.close();
  await sts?.close();
  rmSync(dir, { recursive: true, force: true });
});

function options(input: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  return moduleChain({ stsEndpoint: sts.endpoint, ...input }, {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url(),
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
    AWS_REGION: "us-west-2",
    ...env,
  });
}

async function run(input: Record<string, unknown>, deadlineMs = 10_000) {
  const steps: string[] = [];
  const deadline = startDeadline(deadlineMs);
  try {
    const credentials = await runChain(planChain(options(input)), deadline, {
      source: ({ credentials, principal }) =>
        steps.push(`source ${credentials.accessKeyId} ${principal}`),
      hop: (index, roleArn, credentials) =>
        steps.push(`hop ${index} ${roleArn} ${credentials.accessKeyId}`),
    });
    return { credentials, steps };
  } finally {
    deadline.cancel();
  }
}

const refusal = (fn: () => unknown) => thrownBy(EpicacError, fn);

test("a chain without hops on the container source calls no STS: nothing about STS is resolved", () => {
  const plan = planChain(options({}, { AWS_REGION: "" }));
  assert.equal(plan.source.kind, "container");
  assert.equal(plan.sts, undefined, "no region is needed, so none is asked for");
});

test("with hops, where STS calls go is resolved once, at planning", () => {
  const plan = planChain(options({ assume: [DEST] }));
  assert.deepEqual(plan.sts, { region: "us-west-2", endpoint: sts.endpoint });
  const missing = refusal(() => planChain(options({ assume: [DEST] }, { AWS_REGION: "" })));
  assert.equal(missing.message, "no AWS region is set for STS");
});

test("session flags that cannot apply are usage errors that say why", () => {
  const container = refusal(() => planChain(options({ durationSeconds: 1800 })));
  assert.ok(container instanceof UsageError);
  assert.match(container.message, /^durationSeconds applies to assume hops, and none is given/);
  const irsaEnv = {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: "",
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ROLE_ARN: "arn:aws:iam::111122223333:role/irsa",
  };
  const webIdentity = refusal(() =>
    planChain(options({ externalId: "ext-1", tags: { a: "b" } }, irsaEnv))
  );
  assert.ok(webIdentity instanceof UsageError);
  assert.match(
    webIdentity.message,
    /^externalId, tags apply to assume hops only: sts:AssumeRoleWithWebIdentity takes sessionName and durationSeconds/,
  );
  // Web identity takes a session name and a duration; with a hop, every option applies.
  planChain(options({ sessionName: "pod", durationSeconds: 1800 }, irsaEnv));
  planChain(options({ assume: [DEST], externalId: "ext-1", durationSeconds: 1800 }));
  // The command line names its flags.
  const flags = refusal(() => planChain(commandLineChain({ duration: "1800" }, options().env)));
  assert.match(flags.message, /^--duration applies to --assume hops, and none is given/);
});

test("runChain: the source, then each hop signed with the previous hop's credentials, each reported", async () => {
  const first = sts.requests.length;
  const { credentials, steps } = await run({ assume: [DEST, THIRD] });
  const calls = sts.requests.slice(first);
  assert.deepEqual(calls.map((c) => c.params.RoleArn), [DEST, THIRD]);
  assert.equal(calls[0].accessKeyId, served.AccessKeyId);
  assert.equal(steps.length, 3);
  assert.equal(
    steps[0],
    `source ${served.AccessKeyId} the pod's credentials (account 111122223333)`,
  );
  assert.match(steps[1], new RegExp(`^hop 0 ${DEST} ASIASTUB`));
  assert.equal(calls[1].accessKeyId, steps[1].split(" ")[3]);
  assert.equal(steps[2], `hop 1 ${THIRD} ${credentials.accessKeyId}`);
  assert.equal(credentials.accountId, "333333333333");
});

test("runChain: a failing hop ends the run after the steps before it were reported", async () => {
  const denied = "arn:aws:iam::222222222222:role/denied";
  const steps: string[] = [];
  const deadline = startDeadline(10_000);
  try {
    await assert.rejects(
      runChain(planChain(options({ assume: [DEST, denied] })), deadline, {
        source: () => steps.push("source"),
        hop: (index) => steps.push(`hop ${index}`),
      }),
      (error) => {
        assert.ok(error instanceof EpicacError);
        assert.match(error.message, new RegExp(`^sts:AssumeRole of ${denied} was denied`));
        return true;
      },
    );
  } finally {
    deadline.cancel();
  }
  assert.deepEqual(steps, ["source", "hop 0"]);
});

test("runChain: the deadline ends a hung hop, whatever the per-attempt timeout", async () => {
  const started = performance.now();
  await assert.rejects(
    run({ assume: ["arn:aws:iam::222222222222:role/hang"], timeoutMs: 60_000 }, 300),
    /AssumeRole did not finish before the overall deadline/,
  );
  // Only the 300 ms deadline can end it this soon (STS never answers, attempts may last 60 s).
  assert.ok(performance.now() - started < 30_000);
});
