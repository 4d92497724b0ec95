// src/mod.ts in process, as a Deno or Bun application uses it: the providers handed to an
// STSClient, which calls GetCallerIdentity through moto (signatures and permissions checked).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { Agent } from "../fakes/agent.ts";
import type { Moto } from "../support/moto.ts";
import { type Pod, startPod } from "../support/pod.ts";
import {
  type AwsCredentialIdentityProvider,
  EpicacError,
  fromChain,
  fromContainer,
} from "../../src/mod.ts";
import { fakeJwt } from "../support/jwt.ts";

const TOKEN = fakeJwt({ sub: "system:serviceaccount:app:app" }, { signature: "bW9k" });
let pod: Pod;
let moto: Moto;
let agent: Agent;

before(async () => {
  pod = await startPod("mod", TOKEN);
  ({ moto, agent } = pod);
});

after(() => pod?.close());

/** The pod's variables, passed explicitly: the module reads no other environment. */
function env() {
  return {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url(),
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.tokenFile,
    AWS_REGION: moto.region,
    AWS_ENDPOINT_URL_STS: moto.endpoint,
  };
}

async function whoAmI(credentials: AwsCredentialIdentityProvider): Promise<string> {
  const client = new STSClient({ region: moto.region, endpoint: moto.endpoint, credentials });
  return (await client.send(new GetCallerIdentityCommand({}))).Arn ?? "";
}

const agentRequests = () => agent.requests.filter((r) => r.path === "/v1/credentials").length;

test("fromContainer gives an STSClient the pod's own session (src)", async () => {
  assert.match(
    await whoAmI(fromContainer({ env: env() })),
    /^arn:aws:sts::\d{12}:assumed-role\/src\//,
  );
});

test("fromChain gives an STSClient the destination role's session", async () => {
  const provider = fromChain({
    assume: [moto.roleArn("dest")],
    sessionName: "in-process",
    env: env(),
  });
  assert.match(await whoAmI(provider), /^arn:aws:sts::\d{12}:assumed-role\/dest\/in-process$/);
});

test("fromChain follows two hops", async () => {
  const provider = fromChain({ assume: [moto.roleArn("dest"), moto.roleArn("third")], env: env() });
  assert.match(await whoAmI(provider), /assumed-role\/third\//);
});

test("a provider keeps its credentials until the refresh window, sharing one in-flight refresh", async () => {
  const provider = fromContainer({ env: env() });
  const before = agentRequests();
  const all = await Promise.all(Array.from({ length: 10 }, () => provider()));
  assert.equal(agentRequests() - before, 1, "ten concurrent callers, one fetch");
  assert.equal(new Set(all.map((c) => c.accessKeyId)).size, 1);
  await provider();
  assert.equal(agentRequests() - before, 1, "still fresh: no second fetch");
});

test("inside the refresh window a provider fetches again", async () => {
  // The served session lasts an hour; a two-hour window means it is always due.
  const provider = fromContainer({ env: env(), refreshBeforeMs: 2 * 3600_000 });
  const before = agentRequests();
  await provider();
  await provider();
  assert.equal(agentRequests() - before, 2);
});

test("a denied hop rejects with an EpicacError naming the role", async () => {
  const provider = fromChain({ assume: [moto.roleArn("forbidden")], env: env() });
  await assert.rejects(provider(), (error: unknown) => {
    assert.ok(error instanceof EpicacError);
    assert.match(error.message, /sts:AssumeRole of .*role\/forbidden was denied/);
    return true;
  });
});

test("bad options are refused when the provider is made, before any call", () => {
  assert.throws(() => fromChain({ assume: ["not-an-arn"], env: env() }), /IAM role ARN/);
  assert.throws(
    () => fromChain({ assume: [moto.roleArn("dest")], durationSeconds: 7200, env: env() }),
    /caps a chained role session/,
  );
  assert.throws(
    () => fromChain({ assume: [], stsEndpoint: "http://sts.example.com", env: env() }),
    /https URL/,
  );
  // The default refresh window is 15 minutes (botocore's): a 900 s session would always be due.
  assert.throws(
    () => fromChain({ assume: [moto.roleArn("dest")], durationSeconds: 900, env: env() }),
    /durationSeconds 900 leaves less than 30s above refreshBeforeMs 900000/,
  );
  fromChain({ assume: [moto.roleArn("dest")], durationSeconds: 960, env: env() });
  assert.throws(() => fromChain({ assume: [], region: "us-east-1.evil", env: env() }), /region/);
});
