// The AWS SDK for JavaScript v3 as epicac's consumer: fromIni({ profile }) in a child process
// (tests/support/sdk-consumer.mjs) resolves profile `src` through epicac as credential_process and
// assumes `dest` or `forbidden` with it, against a local moto that checks every signature and
// permission.
//
// The SDK takes the STS endpoint for the role assumption from AWS_ENDPOINT_URL_STS too (its
// nested STS client has serviceId "STS"): no endpoint is passed in code, and the consumer reports
// where each request went, so the tests check that AssumeRole reached moto.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { Agent } from "../../fakes/agent.ts";
import { ROOT, runnableTargets, runProcess, type Target } from "../../support/epicac.ts";
import { chainedProfilesConfig, type Moto } from "../../support/moto.ts";
import { type Pod, startPod } from "../../support/pod.ts";
import { fakeJwt } from "../../support/jwt.ts";

const TOKEN = fakeJwt({ aud: ["pods.eks.amazonaws.com"] }, { signature: "ZnJvbS1pbmktdGVzdA" });
const CONSUMER = `${ROOT}tests/support/sdk-consumer.mjs`;
let pod: Pod;
let moto: Moto | undefined;
let agent: Agent | undefined;
let dir: string;
let tokenFile: string;

before(async () => {
  pod = await startPod("from-ini", TOKEN);
  ({ moto, agent, dir, tokenFile } = pod);
});

after(() => pod?.close());

interface ConsumerOutput {
  Arn?: string;
  Account?: string;
  error?: string;
  message?: string;
  requests: { endpoint: string; action: string | null }[];
}

/** The consumer script under the runtime running the tests. */
function consumerCommand(profile: string): string[] {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  return deno
    ? [deno.execPath(), "run", "-A", CONSUMER, profile]
    : [process.execPath, CONSUMER, profile];
}

/** Runs the SDK consumer for `profile` as a pod would, with a clean environment. */
async function resolveWithSdk(target: Target, profile: string) {
  const home = mkdtempSync(join(dir, "home-"));
  const configFile = join(home, "aws-config");
  writeFileSync(configFile, chainedProfilesConfig(moto!, target.command));
  const requestsBefore = agent!.requests.length;
  const [program, ...args] = consumerCommand(profile);
  const result = await runProcess(program, args, {
    // The project's directory, so Deno finds deno.json and node_modules.
    cwd: ROOT,
    killAfterMs: 60_000,
    env: {
      HOME: home,
      AWS_CONFIG_FILE: configFile,
      AWS_SHARED_CREDENTIALS_FILE: join(home, "no-credentials-file"),
      AWS_ENDPOINT_URL_STS: moto!.endpoint,
      AWS_REGION: moto!.region,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: agent!.url(),
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      AWS_EC2_METADATA_DISABLED: "true",
    },
  });
  let output: ConsumerOutput;
  try {
    output = JSON.parse(result.stdout);
  } catch {
    assert.fail(`the consumer printed no JSON (exit ${result.code}): ${result.stderr}`);
  }
  return { result, output, agentRequests: agent!.requests.slice(requestsBefore) };
}

const cases: [name: string, run: (target: Target) => Promise<void>][] = [
  ["fromIni({ profile: 'dest' }) assumes dest with epicac's credentials", async (t) => {
    const { result, output, agentRequests } = await resolveWithSdk(t, "dest");
    assert.equal(result.code, 0, `consumer failed: ${result.stdout} ${result.stderr}`);
    assert.equal(output.Account, moto!.accountId);
    assert.match(
      output.Arn!,
      new RegExp(`^arn:aws:sts::${moto!.accountId}:assumed-role/dest/[\\w+=,.@-]+$`),
    );
    // Both STS calls went to moto: the SDK's role assumption honours AWS_ENDPOINT_URL_STS.
    assert.deepEqual(output.requests, [
      { endpoint: moto!.endpoint, action: "AssumeRole" },
      { endpoint: moto!.endpoint, action: "GetCallerIdentity" },
    ]);
    assert.deepEqual(
      agentRequests.map((r) => [r.method, r.path, r.authorization]),
      [["GET", "/v1/credentials", TOKEN]],
    );
  }],
  ["fromIni({ profile: 'forbidden' }) is AccessDenied for src's session", async (t) => {
    const { result, output, agentRequests } = await resolveWithSdk(t, "forbidden");
    assert.equal(result.code, 1, `the consumer must fail: ${result.stderr}`);
    assert.equal(output.Arn, undefined);
    assert.equal(output.error, "AccessDenied");
    // moto names the caller: src's session, so it verified the signature epicac's secret key and
    // session token made, and refused only the permission.
    assert.match(
      output.message!,
      /assumed-role\/src\/[\w+=,.@-]+ is not authorized to perform: sts:AssumeRole/,
    );
    assert.deepEqual(output.requests, [{ endpoint: moto!.endpoint, action: "AssumeRole" }]);
    assert.equal(agentRequests.length, 1, "epicac asked the agent once");
    assert.equal(agentRequests[0].authorization, TOKEN);
  }],
];

for (const target of runnableTargets()) {
  for (const [name, fn] of cases) {
    test(`${target.name}: ${name}`, () => fn(target));
  }
}
