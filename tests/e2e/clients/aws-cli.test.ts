// The AWS CLI as epicac's consumer: profile `src` gets its credentials from epicac (as
// credential_process), and profiles `dest` and `forbidden` assume roles with them, against a
// local moto that checks every signature and permission. Success proves the CLI accepted
// epicac's JSON and that the keys and session token in it are the ones the agent served.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Agent } from "../../fakes/agent.ts";
import { runnableTargets, runProcess, type Target } from "../../support/epicac.ts";
import { chainedProfilesConfig, type Moto } from "../../support/moto.ts";
import { type Pod, startPod } from "../../support/pod.ts";
import { fakeJwt } from "../../support/jwt.ts";

const TOKEN = fakeJwt({ aud: ["pods.eks.amazonaws.com"] }, { signature: "YXdzLWNsaS10ZXN0" });
let pod: Pod;
let moto: Moto | undefined;
let agent: Agent | undefined;
let dir: string;
let tokenFile: string;

before(async () => {
  pod = await startPod("aws-cli", TOKEN);
  ({ moto, agent, dir, tokenFile } = pod);
});

after(() => pod?.close());

/** Runs `aws sts get-caller-identity --profile <profile>` as a pod would, in a fresh HOME. */
async function callerIdentity(target: Target, profile: string) {
  // A fresh HOME per run: the CLI caches assumed-role credentials under ~/.aws/cli/cache, and a
  // cache hit would skip epicac altogether.
  const home = mkdtempSync(join(dir, "home-"));
  const configFile = join(home, "aws-config");
  writeFileSync(configFile, chainedProfilesConfig(moto!, target.command));
  const requestsBefore = agent!.requests.length;
  const result = await runProcess(
    "aws",
    ["sts", "get-caller-identity", "--profile", profile, "--output", "json"],
    {
      cwd: home,
      killAfterMs: 60_000,
      env: {
        HOME: home,
        AWS_CONFIG_FILE: configFile,
        AWS_ENDPOINT_URL_STS: moto!.endpoint,
        AWS_REGION: moto!.region,
        // AWS CLI v1 reads the region from AWS_DEFAULT_REGION only.
        AWS_DEFAULT_REGION: moto!.region,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: agent!.url(),
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
        // Nothing may fall back to the instance metadata service.
        AWS_EC2_METADATA_DISABLED: "true",
      },
    },
  );
  return { result, agentRequests: agent!.requests.slice(requestsBefore) };
}

const cases: [name: string, run: (target: Target) => Promise<void>][] = [
  [
    "aws sts get-caller-identity --profile dest is the dest role, assumed with epicac's credentials",
    async (t) => {
      const { result, agentRequests } = await callerIdentity(t, "dest");
      assert.equal(result.code, 0, `aws failed: ${result.stderr}`);
      const identity = JSON.parse(result.stdout);
      assert.equal(identity.Account, moto!.accountId);
      assert.match(
        identity.Arn,
        new RegExp(`^arn:aws:sts::${moto!.accountId}:assumed-role/dest/[\\w+=,.@-]+$`),
      );
      // epicac ran once, with the service-account token from the file.
      assert.deepEqual(
        agentRequests.map((r) => [r.method, r.path, r.authorization]),
        [["GET", "/v1/credentials", TOKEN]],
      );
    },
  ],
  [
    "--profile forbidden is AccessDenied for src's session (moto checked epicac's credentials)",
    async (t) => {
      const { result, agentRequests } = await callerIdentity(t, "forbidden");
      assert.notEqual(result.code, 0, "assuming forbidden must fail");
      assert.equal(result.stdout, "");
      // The caller moto names is the session the agent served: the signature made with epicac's
      // secret key and session token was accepted, and only the permission was refused.
      assert.match(result.stderr, /AccessDenied/);
      assert.match(result.stderr, /AssumeRole/);
      assert.match(
        result.stderr,
        new RegExp(`assumed-role/src/[\\w+=,.@-]+ is not authorized to perform: sts:AssumeRole`),
      );
      assert.equal(agentRequests.length, 1, "epicac asked the agent once");
      assert.equal(agentRequests[0].authorization, TOKEN);
    },
  ],
];

for (const target of runnableTargets()) {
  for (const [name, fn] of cases) {
    test(`${target.name}: ${name}`, () => fn(target));
  }
}
