// src/node/agent.ts against the agent emulator over real HTTP, time from a fake clock: requests
// bearing one token share one call; an accepted token is remembered for a minute, no longer; new
// tokens from one address are budgeted; the agent's refusals come back with its status.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Agent, type AgentRefused, REMEMBER_MS } from "../../src/node/agent.ts";
import {
  type Agent as Emulator,
  type AgentCredentials,
  fakeCredentials,
  startAgent,
} from "../fakes/agent.ts";
import { FakeClock } from "../support/clock.ts";

const pods = new Map<string, AgentCredentials>();
let emulator: Emulator;
before(async () => {
  emulator = await startAgent({ pods });
});
after(() => emulator?.close());

function agent(newTokens = { perSecond: 1, burst: 20 }, path = "/v1/credentials") {
  const clock = new FakeClock(Date.now());
  return { agent: new Agent(new URL(emulator.url(path)), 2000, 1000, newTokens, clock), clock };
}

const calls = () => emulator.requests.length;

test("requests bearing one token while the agent is asked share that one call", async () => {
  pods.set("token-shared", fakeCredentials());
  const { agent: a } = agent();
  const before = calls();
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => a.credentialsFor("token-shared", "10.0.0.1")),
  );
  assert.equal(calls() - before, 1);
  assert.equal(new Set(answers.map((r) => r.credentials.accessKeyId)).size, 1);
  assert.equal(answers.filter((r) => r.called).length, 1);
});

test("an accepted token is remembered for a minute, then asked about again", async () => {
  pods.set("token-remembered", fakeCredentials());
  const { agent: a, clock } = agent();
  const before = calls();
  await a.credentialsFor("token-remembered", "10.0.0.2");
  await clock.advance(REMEMBER_MS - 1);
  assert.equal((await a.credentialsFor("token-remembered", "10.0.0.2")).called, false);
  pods.delete("token-remembered");
  await clock.advance(1);
  await assert.rejects(
    a.credentialsFor("token-remembered", "10.0.0.2"),
    (e: AgentRefused) => e.status === 403,
  );
  assert.equal(calls() - before, 2);
});

test("new tokens from one address past its budget are refused without a call; others are not", async () => {
  const { agent: a } = agent({ perSecond: 1, burst: 3 });
  const before = calls();
  for (let i = 0; i < 3; i++) {
    await assert.rejects(
      a.credentialsFor(`forged-${i}`, "10.0.0.3"),
      (e: AgentRefused) => e.status === 403,
    );
  }
  await assert.rejects(
    a.credentialsFor("forged-4", "10.0.0.3"),
    (e: AgentRefused) => e.status === 429,
  );
  assert.equal(calls() - before, 3);
  pods.set("token-other", fakeCredentials());
  assert.equal((await a.credentialsFor("token-other", "10.0.0.4")).called, true);
});

test("the agent's refusals keep their status; no answer is 502, a slow one 504", async () => {
  for (
    const [path, status] of [["/status/500", 500], ["/status/429", 429], ["/malformed", 502], [
      "/slow/5000",
      504,
    ]] as const
  ) {
    const { agent: a } = agent(undefined, path);
    await assert.rejects(
      a.credentialsFor("any", "10.0.0.5"),
      (e: AgentRefused) => e.status === status,
      path,
    );
  }
});
