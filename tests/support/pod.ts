// A pod on loopback for end-to-end tests: a temporary directory holding the projected
// service-account token, and the agent emulator handing out credentials to that token, as EKS
// Pod Identity does. STS is either moto, which checks signatures and permissions and whose role
// `src` the agent serves (startPod), or the fast loopback stub that records each request
// (startStubPod).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Agent, type AgentCredentials, fakeCredentials, startAgent } from "./agent.ts";
import { type Moto, startMoto } from "./moto.ts";
import { startStsStub, type StsStub } from "./sts-stub.ts";

interface PodBase {
  dir: string;
  token: string;
  tokenFile: string;
  agent: Agent;
  /** What the agent serves. */
  served: AgentCredentials;
  close(): Promise<void>;
}

export interface Pod extends PodBase {
  moto: Moto;
}

export interface StubPod extends PodBase {
  sts: StsStub;
}

export function startPod(name: string, token: string): Promise<Pod> {
  return start(name, token, async (stop) => {
    const moto = await startMoto();
    stop.push(() => moto.close());
    return { served: await moto.mintSourceCredentials(), extra: { moto } };
  });
}

export function startStubPod(name: string, token: string): Promise<StubPod> {
  return start(name, token, async (stop) => {
    const sts = await startStsStub();
    stop.push(() => sts.close());
    return { served: fakeCredentials(), extra: { sts } };
  });
}

/** The directory, token and agent; `peers` starts STS and says what the agent serves. */
async function start<T>(
  name: string,
  token: string,
  peers: (stop: (() => Promise<void>)[]) => Promise<{ served: AgentCredentials; extra: T }>,
): Promise<PodBase & T> {
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
    const agent = await startAgent({ credentials: () => served, expectedToken: token });
    stop.push(() => agent.close());
    return { dir, token, tokenFile, agent, served, close, ...extra };
  } catch (error) {
    await close();
    throw error;
  }
}
