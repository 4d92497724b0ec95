// A node for epicac node's end-to-end tests, in the test run's own loopback-only network
// namespace: the Pod Identity agent's addresses on `lo`, the agent emulator on 169.254.170.23:80
// knowing each pod's token and handing it a session of moto's role `src` minted for that pod
// alone, moto (signatures and permissions checked) behind a counting proxy as STS, a routes
// file, and `epicac node` itself as a process, listening on 169.254.170.23:90.

import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Agent, type AgentCredentials, startAgent } from "../fakes/agent.ts";
import { kubeletToken, type PodIdentity } from "./jwt.ts";
import { type Moto, startMoto } from "./moto.ts";
import { AGENT_IPV4 } from "./network.ts";
import { startStsCounter, type StsCounter } from "./sts-counter.ts";

export const NODE_NAME = "node-a";
export const NODE_PORT = 90;

export interface NodePod extends PodIdentity {
  token: string;
  /** Where the pod's token is, as the kubelet writes it. */
  tokenFile: string;
  /** What the agent answers this pod: its own session of `src`. */
  source: AgentCredentials;
}

export interface TestNode {
  dir: string;
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
  close(): Promise<void>;
}

export async function startTestNode(name: string): Promise<TestNode> {
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
    const agent = await startAgent({ pods: known, host: AGENT_IPV4, port: 80 });
    stops.push(() => agent.close());
    const routesFile = join(dir, "routes.json");
    let serial = 0;
    return {
      dir,
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
          writeFileSync(tokenFile, `${token}\n`);
          known.set(token, sessions[i]);
          return { ...pod, token, tokenFile, source: sessions[i] };
        });
      },
      env: (extra = {}) => ({
        AWS_REGION: moto.region,
        AWS_ENDPOINT_URL_STS: sts.endpoint,
        NODE_NAME,
        HOME: dir,
        ...extra,
      }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
