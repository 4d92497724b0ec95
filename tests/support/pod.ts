// A pod on loopback, for end-to-end tests against a real STS: a temporary directory holding the
// projected service-account token, moto (checking signatures and permissions), and the agent
// emulator handing out a session of moto's role `src` to that token, as EKS Pod Identity does.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Agent, type AgentCredentials, startAgent } from "./agent.ts";
import { type Moto, startMoto } from "./moto.ts";

export interface Pod {
  dir: string;
  token: string;
  tokenFile: string;
  moto: Moto;
  agent: Agent;
  /** What the agent serves: a session of `src`. */
  served: AgentCredentials;
  close(): Promise<void>;
}

export async function startPod(name: string, token: string): Promise<Pod> {
  const dir = mkdtempSync(join(tmpdir(), `epicac-${name}-`));
  const tokenFile = join(dir, "eks-pod-identity-token");
  // The kubelet's file ends with a newline; epicac trims it.
  writeFileSync(tokenFile, `${token}\n`);
  let moto: Moto | undefined;
  let agent: Agent | undefined;
  const close = async () => {
    await agent?.close();
    await moto?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    moto = await startMoto();
    const served = await moto.mintSourceCredentials();
    agent = await startAgent({ credentials: () => served, expectedToken: token });
    return { dir, token, tokenFile, moto, agent, served, close };
  } catch (error) {
    await close();
    throw error;
  }
}
