// The node section's pure pieces, read by epicac node's own code: the pods' tokens pass its token
// check on the benchmark's node and name the account every route allows (its routes parser reads
// the routes file), their credentials are the agent's well-formed answers, each pod's its own;
// what its /metrics renders is summed per family; percentiles are nearest-rank.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent } from "../../src/node/agent.ts";
import { ChainedCache } from "../../src/node/cache.ts";
import { NodeMetrics } from "../../src/node/metrics.ts";
import { checkPodToken } from "../../src/node/pod-token.ts";
import { allows, parseRoutes } from "../../src/node/routes-file.ts";
import { CHAIN_INPUTS } from "../../src/inputs/chain.ts";
import { MODULE, readValues } from "../../src/inputs/input.ts";
import { parseContainerResponse } from "../../src/sources/container-response.ts";
import { percentile } from "../../scripts/bench/cold-path.ts";
import {
  benchPods,
  metricTotals,
  NODE_NAME,
  REAL_TOKEN_LENGTH,
  ROUTES,
  routesDocument,
} from "../../scripts/bench/node.ts";
import { startFakeSts } from "../fakes/sts.ts";
import { FakeClock } from "../support/clock.ts";

test("node bench: each pod's token passes node's check and names an account every route allows", () => {
  const now = Date.now();
  const pods = benchPods(3, 0, now);
  const routes = parseRoutes(routesDocument(), readValues(CHAIN_INPUTS, {}, MODULE), {}, 900_000);
  assert.deepEqual([...routes.keys()], ROUTES);
  assert.notDeepEqual(routes.get("a")!.definition, routes.get("b")!.definition);
  for (const pod of pods) {
    const claims = checkPodToken(pod.token, NODE_NAME, now);
    for (const route of routes.values()) assert.ok(allows(route, claims.subject));
    assert.throws(() => checkPodToken(pod.token, "another-node", now), /another node/);
    const body = JSON.stringify(pod.credentials);
    const credentials = parseContainerResponse({
      status: 200,
      contentType: "application/json",
      body,
    }, "the agent");
    assert.ok(credentials.expiration!.getTime() > now + 11 * 3600_000, "no refresh in a run");
  }
  const distinct = (values: string[]) => new Set(values).size;
  assert.equal(distinct(pods.map((p) => p.token)), 3);
  assert.equal(distinct(pods.map((p) => p.credentials.AccessKeyId)), 3);
  assert.equal(distinct(pods.map((p) => checkPodToken(p.token, NODE_NAME, now).pod.name)), 3);
});

test("node bench: session tokens as long as real ones, from the pods' agent and from STS", async () => {
  const [short, long] = [benchPods(2)[1], benchPods(2, REAL_TOKEN_LENGTH)[1]];
  assert.ok(short.credentials.Token.length < 60);
  assert.equal(long.credentials.Token.length, REAL_TOKEN_LENGTH);
  assert.notEqual(long.credentials.Token, benchPods(1, REAL_TOKEN_LENGTH)[0].credentials.Token);
  const sts = await startFakeSts();
  try {
    const tokenOf = async () => {
      const response = await fetch(sts.endpoint, {
        method: "POST",
        body: new URLSearchParams({
          Action: "AssumeRole",
          RoleArn: "arn:aws:iam::111122223333:role/bench-a",
          RoleSessionName: "s",
        }),
      });
      return /<SessionToken>([^<]*)</.exec(await response.text())![1];
    };
    assert.ok((await tokenOf()).length < 60);
    sts.control.sessionTokenLength = REAL_TOKEN_LENGTH;
    assert.equal((await tokenOf()).length, REAL_TOKEN_LENGTH);
  } finally {
    await sts.close();
  }
});

test("node bench: what node's /metrics renders, summed per family", () => {
  const clock = new FakeClock();
  const rate = { perSecond: 1, burst: 1 };
  const agent = new Agent(new URL("http://127.0.0.1/v1/credentials"), 1000, 100, rate, clock);
  agent.calls.set("200", 4).set("403", 1);
  const cache = new ChainedCache(
    { maxEntries: 100, perSubjectEntries: 10, perSubjectMisses: rate },
    900_000,
    clock,
  );
  cache.hits = 7;
  const metrics = new NodeMetrics(agent, cache);
  metrics.request("a", 200);
  metrics.request("a", 200);
  metrics.request("b", 429);
  const totals = metricTotals(metrics.render());
  assert.equal(totals.epicac_requests_total, 3);
  assert.equal(totals.epicac_agent_calls_total, 5);
  assert.equal(totals.epicac_cache_hits_total, 7);
  assert.equal(totals.epicac_cache_entries, 0);
  assert.equal(totals["# HELP"], undefined);
});

test("node bench: nearest-rank percentiles", () => {
  const values = Array.from({ length: 200 }, (_, i) => 200 - i);
  assert.equal(percentile(values, 50), 100);
  assert.equal(percentile(values, 99), 198);
  assert.equal(percentile([5], 99), 5);
  assert.equal(percentile([3, 1, 2], 50), 2);
});
