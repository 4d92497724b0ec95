// The node section's cold path: a fresh `epicac node` asked by every pod once per route, so that
// nothing is cached when a pod first asks: that request calls the agent and STS (its latency is
// measured from here, the client), the pod's other route STS alone (the agent's acceptance is
// remembered). One request at a time, paced under node's own budget of agent calls, which would
// refuse the rest with 429. Then its resident memory after its first answer, against that once
// it holds an entry per pod and route: the lowest over a few seconds, since the garbage of the
// many requests is no part of what it holds.

import { AGENT_RATE } from "../../src/node/agent.ts";
import { ASSUMED_KEY_ID, NODE, type NodeSetUp, ROUTES } from "./node.ts";
import { start, waitFor } from "./peers.ts";
import { freePort, rssMiB } from "./servers.ts";

/** First requests a second: three quarters of node's budget of agent calls. */
export const PACE_PER_SECOND = AGENT_RATE.perSecond * 3 / 4;
/** How long, and how often, the filled node's RSS is read. */
export const SETTLE = { ms: 10_000, everyMs: 500 };

export interface ColdPath {
  status: "measured" | "failed";
  reason?: string;
  /** Pods asking for the first time, one at a time, PACE_PER_SECOND at most. */
  pods: number;
  /** How long the session tokens of the agent's and STS's answers were; 0: the stubs' own. */
  tokenLength: number;
  pacePerSecond: number;
  /** How long the filled node's RSS was read for its lowest. */
  settleMs: number;
  /** Each pod's first request, as the client saw it. */
  firstRequest?: { p50Ms: number; p99Ms: number };
  /** After its first answer; holding the entries (the lowest over settleMs); the difference. */
  rssMiB?: { idle: number; filled: number; growth: number };
  /** What it counted of itself once filled (epicac_cache_entries…). */
  counters?: Record<string, number>;
}

/** The nearest-rank percentile `p` of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Behind the pace, no wait (a negative delay would be warned about). */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** One pod's request for a route: its latency, or an error unless it got a role's credentials. */
async function ask(url: string, token: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: token } });
  const body = await response.text();
  const ms = performance.now() - started;
  // A refusal's body is node's reason, never a secret; credentials are never quoted.
  if (response.status !== 200) throw new Error(`${response.status}: ${body.trim().slice(0, 200)}`);
  if (!ASSUMED_KEY_ID.test(JSON.parse(body).AccessKeyId)) {
    throw new Error("it served other credentials than a role STS gave");
  }
  return ms;
}

/** The cold path on a fresh node; a failure is a result with the reason, not an exception. */
export async function runColdPath(node: NodeSetUp, options: {
  env: Record<string, string>;
  log(line: string): void;
}): Promise<ColdPath> {
  const [port, probePort] = [await freePort(), await freePort()];
  const url = (route: string) => `http://127.0.0.1:${port}/v1/credentials/${route}`;
  const [first, ...others] = node.pods;
  const result: ColdPath = {
    status: "measured",
    pods: others.length,
    tokenLength: node.tokenLength,
    pacePerSecond: PACE_PER_SECOND,
    settleMs: SETTLE.ms,
  };
  const server = start(node.command(port, probePort), options.env);
  try {
    const readyz = `http://127.0.0.1:${probePort}/readyz`;
    await waitFor(NODE, server, () => fetch(readyz).then((r) => r.ok || undefined, () => {}));
    for (const route of ROUTES) await ask(url(route), first.token);
    const idle = rssMiB(server.pid);
    options.log(`${NODE}: the first requests of ${others.length} pods`);
    const firsts: number[] = [];
    for (const pod of others) {
      const next = performance.now() + 1000 / PACE_PER_SECOND;
      firsts.push(await ask(url(ROUTES[0]), pod.token));
      for (const route of ROUTES.slice(1)) await ask(url(route), pod.token);
      await sleep(next - performance.now());
    }
    let filled = rssMiB(server.pid);
    for (let waited = 0; waited < SETTLE.ms; waited += SETTLE.everyMs) {
      await sleep(SETTLE.everyMs);
      filled = Math.min(filled, rssMiB(server.pid));
    }
    result.counters = await node.counters(probePort);
    result.firstRequest = { p50Ms: percentile(firsts, 50), p99Ms: percentile(firsts, 99) };
    result.rssMiB = { idle, filled, growth: Math.round((filled - idle) * 10) / 10 };
    return result;
  } catch (error) {
    return { ...result, status: "failed", reason: `${NODE}: ${(error as Error).message}` };
  } finally {
    await server.stop();
  }
}
