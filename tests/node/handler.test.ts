// src/node/handler.ts in process, with the agent emulator knowing several pods' tokens and the
// fake STS recording every call: what each kind of caller gets, and what it costs (agent calls,
// STS calls) before it is refused.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CHAIN_INPUTS } from "../../src/inputs/chain.ts";
import { MODULE, readValues } from "../../src/inputs/input.ts";
import { Agent } from "../../src/node/agent.ts";
import { ChainedCache } from "../../src/node/cache.ts";
import { createNodeHandler } from "../../src/node/handler.ts";
import { Buckets } from "../../src/node/limiter.ts";
import { NodeMetrics } from "../../src/node/metrics.ts";
import { parseRoutes } from "../../src/node/routes-file.ts";
import type { HttpRequest } from "../../src/serve/http1.ts";
import { SYSTEM_CLOCK } from "../../src/refreshing.ts";
import {
  type Agent as FakeAgent,
  type AgentCredentials,
  fakeCredentials,
  startAgent,
} from "../fakes/agent.ts";
import { type FakeSts, startFakeSts } from "../fakes/sts.ts";
import { parseAgentCredentials } from "../support/assertions.ts";
import { kubeletToken, type PodIdentity } from "../support/jwt.ts";

const PROD = "arn:aws:iam::222222222222:role/prod";
const pods = new Map<string, AgentCredentials>();
let agent: FakeAgent;
let sts: FakeSts;

before(async () => {
  agent = await startAgent({ pods });
  sts = await startFakeSts();
});

after(async () => {
  await agent?.close();
  await sts?.close();
});

/** A pod the agent knows: its token, and the source credentials the agent gives it. */
function pod(identity: Partial<PodIdentity> = {}) {
  const token = kubeletToken({
    namespace: "app",
    serviceAccount: "api",
    pod: `api-${Math.random().toString(36).slice(2, 8)}`,
    node: "node-a",
    ...identity,
  });
  const credentials = fakeCredentials();
  pods.set(token, credentials);
  return { token, credentials };
}

function setUp(routes = { prod: { assume: [PROD], allow: ["app/api"] } }) {
  const base = readValues(CHAIN_INPUTS, {}, MODULE);
  const loaded = parseRoutes(JSON.stringify({ routes }), base, {}, 900_000);
  const nodeAgent = new Agent(
    new URL(agent.url()),
    1000,
    1000,
    { perSecond: 1, burst: 20 },
    SYSTEM_CLOCK,
  );
  const cache = new ChainedCache(
    {
      maxEntries: 1000,
      perSubjectEntries: 1000,
      perSubjectMisses: { perSecond: 100, burst: 1000 },
    },
    900_000,
    SYSTEM_CLOCK,
  );
  const handle = createNodeHandler({
    routes: () => loaded,
    agent: nodeAgent,
    cache,
    sts: { region: "us-west-2", endpoint: sts.endpoint },
    nodeName: "node-a",
    perSource: new Buckets({ perSecond: 1000, burst: 1000 }, 100, SYSTEM_CLOCK),
    perSubject: new Buckets({ perSecond: 1000, burst: 1000 }, 100, SYSTEM_CLOCK),
    metrics: new NodeMetrics(nodeAgent, cache),
    clock: SYSTEM_CLOCK,
  });
  const ask = (
    token: string | undefined,
    path = "/v1/credentials/prod",
    host = "169.254.170.23:90",
    remote = "10.0.0.7",
  ) => {
    const headers = new Map<string, string>([["host", host]]);
    if (token !== undefined) headers.set("authorization", token);
    return handle({ method: "GET", path, headers } as HttpRequest, {
      local: "169.254.170.23",
      remote,
    });
  };
  return { ask };
}

const agentCalls = () => agent.requests.filter((r) => r.path === "/v1/credentials").length;
const assumed = () => sts.requests.filter((r) => r.action === "AssumeRole");

test("an allowed pod gets the route's role, chained from its own credentials, named after it", async () => {
  const { ask } = setUp();
  const caller = pod({ pod: "api-7d9f8-x2k4q", uid: "3f2a1b0c-1111-4222-8333-444455556666" });
  const answer = await ask(caller.token);
  assert.equal(answer.status, 200, answer.body);
  parseAgentCredentials(answer.body);
  const call = assumed().at(-1)!;
  assert.equal(
    call.accessKeyId,
    caller.credentials.AccessKeyId,
    "signed with the pod's own credentials",
  );
  assert.equal(call.params.RoleSessionName, "app.api.api-7d9f8-x2k4q-3f2a1b0c");
});

test("a pod outside the route's allow list and an unknown route get the same 403, with no call", async () => {
  const { ask } = setUp();
  const outsider = pod({ serviceAccount: "batch" });
  const [agentBefore, stsBefore] = [agentCalls(), assumed().length];
  const denied = await ask(outsider.token);
  const unknown = await ask(pod().token, "/v1/credentials/nope");
  assert.equal(denied.status, 403);
  assert.equal(unknown.status, 403);
  assert.match(denied.body, /^Access Denied: no route prod for service account app\/batch/);
  assert.match(unknown.body, /^Access Denied: no route nope for service account app\/api/);
  assert.deepEqual([agentCalls(), assumed().length], [agentBefore, stsBefore]);
});

test("a token for another node, or an expired one, is 400 with no agent call", async () => {
  const { ask } = setUp();
  const before = agentCalls();
  assert.equal((await ask(pod({ node: "node-b" }).token)).status, 400);
  const expired = kubeletToken({
    namespace: "app",
    serviceAccount: "api",
    pod: "p",
    node: "node-a",
  }, { exp: 1 });
  assert.equal((await ask(expired)).status, 400);
  assert.equal((await ask(undefined)).status, 400);
  assert.equal(agentCalls(), before);
});

test("a forged token gets the agent's refusal and no STS call", async () => {
  const { ask } = setUp();
  const forged = kubeletToken({
    namespace: "app",
    serviceAccount: "api",
    pod: "forged",
    node: "node-a",
  });
  const before = assumed().length;
  const answer = await ask(forged);
  assert.equal(answer.status, 403);
  assert.match(answer.body, /^the Pod Identity agent at .* answered HTTP 403: Access Denied/);
  assert.equal(assumed().length, before);
});

test("two pods of one service account never get each other's chain", async () => {
  const { ask } = setUp();
  const [a, b] = [pod(), pod()];
  const [answerA, answerB] = [await ask(a.token), await ask(b.token)];
  assert.notEqual(JSON.parse(answerA.body).AccessKeyId, JSON.parse(answerB.body).AccessKeyId);
  const signers = assumed().slice(-2).map((r) => r.accessKeyId);
  assert.deepEqual(signers, [a.credentials.AccessKeyId, b.credentials.AccessKeyId]);
});

test("Host must name the listener's own address; a request for another gets 403", async () => {
  const { ask } = setUp();
  const { token } = pod();
  assert.equal((await ask(token, "/v1/credentials/prod", "169.254.170.23")).status, 200);
  for (
    const host of [
      "evil.example",
      "169.254.170.2:90",
      "169.254.170.23:90, 169.254.170.23",
      "127.0.0.1:90",
    ]
  ) {
    assert.equal((await ask(token, "/v1/credentials/prod", host)).status, 403, host);
  }
  assert.equal(
    (await ask(token, "http://169.254.170.23:90/v1/credentials/prod")).status,
    403,
    "absolute form",
  );
});
