// What the node section runs against: pods of one service account on one node, each with a token
// shaped like the kubelet's and credentials of its own, known to the node's Pod Identity agent
// (floors/pod-agent.ts, compiled in this run); two routes, each assuming a role of the STS stub;
// and `epicac node` (the native Bun binary) on loopback in front of them, with limits no pod of
// the benchmark meets. Warm, it is one more server of servers.ts, compared with epicac serve: one
// pod's token on one route, every answer a cache hit; cold-path.ts asks a fresh one once per pod.

import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentCredentials, rfc3339Nanos } from "../../tests/fakes/agent.ts";
import { kubeletToken } from "../../tests/support/jwt.ts";
import { NATIVE_ARCH } from "./candidates.ts";
import { compile } from "./floors.ts";
import { startPeer } from "./peers.ts";
import { freePort, SERVE, type ServerSpec } from "./servers.ts";

export const NODE = "epicac node";
export const NODE_NAME = "bench-node";
export const SERVICE_ACCOUNT = { namespace: "bench", serviceAccount: "bench" };
/** Every pod may ask for both; route a is the warm one. */
export const ROUTES = ["a", "b"];
/** What STS answers AssumeRole with; never what the agent gives a pod. */
export const ASSUMED_KEY_ID = /^ASIASTUB[0-9A-Z]+$/;
const MAX_RATE = "100000:100000";
/** Rates and caps far above the benchmark's: a refusal would measure the wrong thing. */
const UNLIMITED = [
  ...["--address-rate", MAX_RATE, "--account-rate", MAX_RATE],
  ...["--address-new-tokens", MAX_RATE, "--account-chains", MAX_RATE],
  ...["--account-entries", "1000000"],
];

export interface BenchPod {
  token: string;
  credentials: AgentCredentials;
}

/**
 * Session tokens as long as real ones, which run to a kilobyte and more (the stubs' own are
 * shorter than 50 characters): what a node holds grows with them.
 */
export const REAL_TOKEN_LENGTH = 1024;

/**
 * `count` pods of SERVICE_ACCOUNT on NODE_NAME, each with its own token and credentials, their
 * session tokens `tokenLength` characters long if given.
 */
export function benchPods(count: number, tokenLength = 0, now = Date.now()): BenchPod[] {
  // Twelve hours ahead: no entry reaches its refresh window during the run.
  const Expiration = rfc3339Nanos(new Date(now + 12 * 3600_000));
  return Array.from({ length: count }, (_, i) => {
    const id = String(i).padStart(8, "0");
    return {
      token: kubeletToken({ ...SERVICE_ACCOUNT, pod: `pod-${id}`, node: NODE_NAME }),
      credentials: {
        AccessKeyId: `ASIAPOD${id}BENCH`,
        SecretAccessKey: `podSecret/${id}+abcdefghijklmnopqrstuvwxyz0123`,
        Token: `IQoJb3JpZ2luX2Jlbmnob2Rl${id}SessionToken`.padEnd(tokenLength - 2, "B") + "==",
        AccountId: "111122223333",
        Expiration,
      },
    };
  });
}

/** The routes file: each route assumes a role of its own, for the pods' service account. */
export function routesDocument(): string {
  const allow = [`${SERVICE_ACCOUNT.namespace}/${SERVICE_ACCOUNT.serviceAccount}`];
  const route = (name: string) => [name, {
    assume: [`arn:aws:iam::111122223333:role/bench-${name}`],
    allow,
  }];
  return JSON.stringify({ routes: Object.fromEntries(ROUTES.map(route)) });
}

/** Each metric family's samples summed: what a node counted of itself. */
export function metricTotals(text: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const [, name, value] of text.matchAll(/^([a-z_]+)(?:\{[^}]*\})? (\S+)$/gm)) {
    totals[name] = (totals[name] ?? 0) + Number(value);
  }
  return totals;
}

export interface NodeSetUp {
  pods: BenchPod[];
  /** How long the session tokens of the agent's and STS's answers are; 0: the stubs' own. */
  tokenLength: number;
  /** Its command: pods ask on 127.0.0.1:PORT, /metrics is on 127.0.0.1:PROBE_PORT. */
  command(port: number, probePort: number): string[];
  /** What its /metrics on `probePort` counts. */
  counters(probePort: number): Promise<Record<string, number>>;
  /** Why it cannot run; absent when it can. */
  missing?: string;
}

/**
 * The pods (`count`, at least one, their session tokens `tokenLength` characters long if given,
 * as must be STS's behind `stsUrl`), the routes file and the node's agent, started; the binary's
 * absence or the agent's failed build is `missing`.
 */
export async function setUpNode(
  root: string,
  dir: string,
  stsUrl: string,
  count: number,
  tokenLength = 0,
): Promise<NodeSetUp> {
  const binary = join(root, "dist", `epicac-bun-linux-${NATIVE_ARCH}`);
  const agent = join(dir, "pod-agent");
  const pods = benchPods(count, tokenLength);
  const counters = async (probePort: number) =>
    metricTotals(await (await fetch(`http://127.0.0.1:${probePort}/metrics`)).text());
  // A second set-up runs the agent the first one built (and may still be running).
  const missing = !existsSync(binary)
    ? `${binary} was not built (see make build)`
    : existsSync(agent)
    ? undefined
    : compile("bun", root, "pod-agent.ts", agent);
  if (missing) return { pods, tokenLength, command: () => [], counters, missing };
  const [podsFile, routesFile] = [
    join(dir, `pods-${tokenLength}.json`),
    join(dir, "routes.json"),
  ];
  const known = Object.fromEntries(pods.map((p) => [p.token, p.credentials]));
  writeFileSync(podsFile, JSON.stringify(known), { mode: 0o600 });
  writeFileSync(routesFile, routesDocument());
  const agentUri = await startPeer("the pods' agent", [agent, podsFile]);
  return {
    pods,
    tokenLength,
    command: (port, probePort) => [
      binary,
      "node",
      ...["--routes", routesFile, "--listen", `127.0.0.1:${port}`],
      ...["--probe-listen", `127.0.0.1:${probePort}`, "--agent-uri", agentUri],
      ...["--node-name", NODE_NAME, "--sts-endpoint", stsUrl, "--region", "us-east-1"],
      ...UNLIMITED,
    ],
    counters,
  };
}

/** The warm node, one server of servers.ts: the first pod's token on route a, against serve. */
export async function warmNodeSpec(node: NodeSetUp): Promise<ServerSpec> {
  const probePort = await freePort();
  return {
    name: NODE,
    command: (port) => node.command(port, probePort),
    path: `/v1/credentials/${ROUTES[0]}`,
    authorization: node.pods[0].token,
    answers: { accessKeyId: ASSUMED_KEY_ID, whose: "a role STS gave" },
    reference: SERVE,
    counters: () => node.counters(probePort),
    ...(node.missing ? { missing: node.missing } : {}),
  };
}
