// A node for epicac node's end-to-end tests, in the test run's own loopback-only network
// namespace: the Pod Identity agent's addresses on `lo`, the agent emulator on 169.254.170.23:80
// knowing each pod's token and handing it a session of moto's role `src` minted for that pod
// alone, moto (signatures and permissions checked) behind a counting proxy as STS, a routes
// file, and `epicac node` itself as a process, listening on 169.254.170.23:90. Pods ask it as
// their SDKs do, each from an address of its own.

import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Agent, type AgentCredentials, startAgent } from "../fakes/agent.ts";
import { kubeletToken, type PodIdentity } from "./jwt.ts";
import { type Moto, startMoto } from "./moto.ts";
import type { Target } from "./epicac.ts";
import { AGENT_IPV4 } from "./network.ts";
import { type Running, startCommand } from "./process.ts";
import { startStsCounter, type StsCounter } from "./sts-counter.ts";

export const NODE_NAME = "node-a";
/** epicac node's port and the agent's, as on a node: what a TestNode uses unless told others. */
export const NODE_PORT = 90;
export const AGENT_PORT = 80;

/**
 * The ports of one file's node and agent on the agent's address. Files run at once in the same
 * network namespace: each file that starts a node gives it ports no other file uses.
 */
export interface NodePorts {
  node: number;
  agent: number;
}

export interface NodePod extends PodIdentity {
  token: string;
  /** The pod's own address, its requests' source. */
  address: string;
  /** The port of the node that serves it. */
  port: number;
  /** Where the pod's token is, as the kubelet writes it. */
  tokenFile: string;
  /** What the agent answers this pod: its own session of `src`. */
  source: AgentCredentials;
}

export interface TestNode {
  dir: string;
  /** Where this file's epicac node listens on the agent's address. */
  port: number;
  moto: Moto;
  sts: StsCounter;
  agent: Agent;
  /** Tokens the agent accepts, and the credentials it gives each (delete one to refuse it). */
  known: Map<string, AgentCredentials>;
  routesFile: string;
  writeRoutes(routes: Record<string, unknown>): void;
  /** New pods the agent knows: one session of `src` each. */
  pods(identities: PodIdentity[]): Promise<NodePod[]>;
  /** epicac node's environment: STS from the environment, as in the DaemonSet. */
  env(extra?: Record<string, string>): Record<string, string>;
  /**
   * `epicac node --routes ROUTES_FILE --probe-listen 127.0.0.1:0 ARGS`, started and listening
   * (`listening: false`: started, whether it could bind or not).
   */
  start(
    target: Target,
    args?: string[],
    env?: Record<string, string>,
    options?: { listening?: boolean },
  ): Promise<RunningNode>;
  /** Kill every epicac node still running (a case that failed midway leaves none behind). */
  stopNodes(): Promise<void>;
  close(): Promise<void>;
}

export interface RunningNode extends Running {
  /** Where --probe-listen listens. */
  probeUrl(path: string): string;
}

export interface Answer {
  status: number;
  body: string;
}

/**
 * GET /v1/credentials/ROUTE from epicac node, as a pod's SDK asks: from the pod's address, with
 * its token as the Authorization header (`token` and `host` override them).
 */
export function ask(
  pod: Pick<NodePod, "address" | "token" | "port">,
  route: string,
  options: { token?: string; host?: string; path?: string; at?: string } = {},
): Promise<Answer> {
  const host = options.at ?? AGENT_IPV4;
  return new Promise((resolve, reject) => {
    const req = request({
      host,
      port: pod.port,
      // Over IPv6, from the loopback's one address.
      localAddress: host.includes(":") ? "::1" : pod.address,
      path: options.path ?? `/v1/credentials/${route}`,
      headers: {
        authorization: options.token ?? pod.token,
        host: options.host ?? `${host.includes(":") ? `[${host}]` : host}:${pod.port}`,
      },
      agent: false,
    }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.setTimeout(60_000, () => req.destroy(new Error("no answer in 60 s")));
    req.end();
  });
}

export async function startTestNode(
  name: string,
  ports: NodePorts = { node: NODE_PORT, agent: AGENT_PORT },
): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), `epicac-${name}-`));
  const stops: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const moto = await startMoto();
    stops.push(() => moto.close());
    const sts = await startStsCounter(moto.endpoint);
    stops.push(() => sts.close());
    const known = new Map<string, AgentCredentials>();
    const agent = await startAgent({ pods: known, host: AGENT_IPV4, port: ports.agent });
    stops.push(() => agent.close());
    const routesFile = join(dir, "routes.json");
    let serial = 0;
    let pods = 0;
    const running = new Set<Running>();
    const stopNodes = async () => {
      for (const node of running) await node.stop("SIGKILL");
      running.clear();
    };
    stops.push(stopNodes);
    const env = (extra: Record<string, string> = {}) => ({
      AWS_REGION: moto.region,
      AWS_ENDPOINT_URL_STS: sts.endpoint,
      NODE_NAME,
      HOME: dir,
      ...extra,
    });
    return {
      dir,
      port: ports.node,
      moto,
      sts,
      agent,
      known,
      routesFile,
      writeRoutes: (routes) => {
        // Replaced atomically, as a ConfigMap's update lands.
        const next = `${routesFile}.${++serial}`;
        writeFileSync(next, JSON.stringify({ routes }));
        renameSync(next, routesFile);
      },
      pods: async (identities) => {
        const sessions = await moto.mintManySourceCredentials(identities.length);
        return identities.map((identity, i) => {
          const pod = { node: NODE_NAME, ...identity };
          const token = kubeletToken(pod);
          const tokenFile = join(dir, `token-${identity.namespace}-${identity.pod}`);
          writeFileSync(tokenFile, token); // as the kubelet writes it: no newline
          known.set(token, sessions[i]);
          // 127.0.0.0/8 is all on lo: each pod gets an address of its own.
          const n = ++pods;
          const address = `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
          return { ...pod, token, tokenFile, address, port: ports.node, source: sessions[i] };
        });
      },
      env,
      start: async (target, args = [], extra = {}, options = {}) => {
        // This file's ports, unless the case names its own.
        const own = (flag: string, value: string) => args.includes(flag) ? [] : [flag, value];
        const started = await startCommand(
          target,
          [
            ...["node", "--routes", routesFile, "--probe-listen", "127.0.0.1:0"],
            ...own("--listen", `${AGENT_IPV4}:${ports.node}`),
            ...own("--agent-uri", `http://${AGENT_IPV4}:${ports.agent}/v1/credentials`),
            ...args,
          ],
          env(extra),
        );
        running.add(started);
        if (options.listening ?? true) await started.waitForEvent("listening");
        const probePort = Number(/:(\d+)$/.exec(String(started.started.probeListen))?.[1]);
        return { ...started, probeUrl: (path) => `http://127.0.0.1:${probePort}${path}` };
      },
      stopNodes,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
