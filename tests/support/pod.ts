// A pod on loopback for end-to-end tests: a temporary directory holding the projected
// service-account token, and the agent emulator handing out credentials to that token, as EKS
// Pod Identity does, with the environment EKS gives such a pod (env()). STS is either moto,
// which checks signatures and permissions and whose role `src` the agent serves (startPod), the
// fast fake that records each request (startFakeStsPod), or absent (startAgentPod).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Agent,
  type AgentCredentials,
  type AgentOptions,
  fakeCredentials,
  startAgent,
} from "../fakes/agent.ts";
import { type Moto, startMoto } from "./moto.ts";
import { type FakeSts, startFakeSts } from "../fakes/sts.ts";
import { podToken } from "./jwt.ts";

export type Env = Record<string, string | undefined>;

export interface AgentPod {
  dir: string;
  token: string;
  tokenFile: string;
  agent: Agent;
  /** What the agent serves; a test may replace it. */
  served: AgentCredentials;
  /**
   * The environment EKS Pod Identity gives the pod, pointing at the emulator (at `path` on it),
   * with both region variables as EKS sets them; `extra` adds or (undefined) removes variables.
   */
  env(extra?: Env, path?: string): Env;
  close(): Promise<void>;
}

export interface Pod extends AgentPod {
  moto: Moto;
}

export interface FakeStsPod extends AgentPod {
  sts: FakeSts;
}

export function startPod(name: string, token = podToken()): Promise<Pod> {
  return start(name, token, {}, async (stop) => {
    const moto = await startMoto();
    stop.push(() => moto.close());
    return { served: await moto.mintSourceCredentials(), extra: { moto } };
  });
}

export function startFakeStsPod(name: string, token = podToken()): Promise<FakeStsPod> {
  return start(name, token, {}, async (stop) => {
    const sts = await startFakeSts();
    stop.push(() => sts.close());
    return { served: fakeCredentials(), extra: { sts } };
  });
}

/** A pod whose chains never call STS; `agent` sets the emulator's other options. */
export function startAgentPod(
  name: string,
  token = podToken(),
  agent: Omit<AgentOptions, "credentials" | "expectedToken"> = {},
): Promise<AgentPod> {
  return start(name, token, agent, () => Promise.resolve({ served: fakeCredentials(), extra: {} }));
}

/** The directory, token and agent; `peers` starts STS and says what the agent serves. */
async function start<T>(
  name: string,
  token: string,
  agentOptions: Omit<AgentOptions, "credentials" | "expectedToken">,
  peers: (stop: (() => Promise<void>)[]) => Promise<{ served: AgentCredentials; extra: T }>,
): Promise<AgentPod & T> {
  const dir = mkdtempSync(join(tmpdir(), `epicac-${name}-`));
  const tokenFile = join(dir, "eks-pod-identity-token");
  // The kubelet's file ends with a newline; epicac trims it.
  writeFileSync(tokenFile, `${token}\n`);
  const stop: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of stop.reverse()) await step();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { served, extra } = await peers(stop);
    const pod = { dir, token, tokenFile, served, close, ...extra } as AgentPod & T;
    pod.agent = await startAgent({
      ...agentOptions,
      credentials: () => pod.served,
      expectedToken: token,
    });
    stop.push(() => pod.agent.close());
    pod.env = (extra: Env = {}, path?: string) => {
      const env: Env = {
        HOME: dir,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: pod.agent.url(path),
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
        AWS_REGION: "us-west-2",
        AWS_DEFAULT_REGION: "us-west-2",
        AWS_EC2_METADATA_DISABLED: "true",
      };
      for (const [variable, value] of Object.entries(extra)) {
        if (value === undefined) delete env[variable];
        else env[variable] = value;
      }
      return env;
    };
    return pod;
  } catch (error) {
    await close();
    throw error;
  }
}
