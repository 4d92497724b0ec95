// The processes the benchmark starts, always stopped: the loopback peers every candidate talks to
// (the EKS Pod Identity agent emulator and the STS stub from tests/fakes, each a process of its
// own so that it never competes with the benchmark's event loop), and the servers.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const running = new Map<ChildProcess, Started>();
// Whatever ends the benchmark (an error, Ctrl-C, SIGTERM), nothing it started is left running.
process.on("exit", () => running.forEach((_, child) => child.kill("SIGKILL")));

/** Stops everything still running. */
export const stopAll = () => Promise.all([...running.values()].map((p) => p.stop()));

export interface Started {
  pid: number;
  /** The last 4,000 characters it wrote to stdout and stderr. */
  output(): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it exited. */
  stop(): Promise<void>;
}

export function start(command: string[], env?: Record<string, string>): Started {
  const child = spawn(command[0], command.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding("utf8").on("data", (chunk) => (output = (output + chunk).slice(-4000)));
  }
  const ended = new Promise((resolve) => {
    child.on("close", resolve).on("error", (error) => {
      output += `cannot start: ${error.message}`;
      resolve(null);
    });
  }).finally(() => running.delete(child));
  const started: Started = {
    pid: child.pid ?? 0,
    output: () => output,
    exited: () => !running.has(child),
    async stop() {
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      if (running.has(child)) child.kill("SIGTERM");
      await ended.finally(() => clearTimeout(timer));
    },
  };
  running.set(child, started);
  return started;
}

/** Polls `ready` until it gives a value; throws with the process's output if it ends first. */
export async function waitFor<T>(
  name: string,
  started: Started,
  ready: () => Promise<T | undefined> | T | undefined,
  ms = 20_000,
): Promise<T> {
  for (const deadline = Date.now() + ms;;) {
    const value = await ready();
    if (value !== undefined) return value;
    if (started.exited() || Date.now() > deadline) {
      const why = started.exited() ? "exited" : `was not ready within ${ms / 1000} s`;
      throw new Error(`${name} ${why}; its output: ${started.output().trim().slice(-1000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts a peer, ready once it printed its loopback URL, which it resolves to. */
export function startPeer(name: string, command: string[]): Promise<string> {
  const peer = start(command);
  return waitFor(name, peer, () => /^http:\/\/127\.0\.0\.1:\d+\S*$/m.exec(peer.output())?.[0]);
}

/**
 * Starts the agent emulator and the STS stub (each ready once it printed its URL), with fake
 * credentials unique to this run, so that no stale output can pass for a fresh one.
 */
export async function startPeers(root: string, dir: string) {
  const suffix = randomBytes(6).toString("hex").toUpperCase();
  const credentials = {
    AccessKeyId: `ASIABENCH${suffix}`,
    SecretAccessKey: `benchSecret/${suffix}+abcdefghijklmnopqrstuv`,
    Token: `IQoJb3JpZ2luX2JlbmNo${suffix}SessionToken==`,
    AccountId: "111122223333",
    // Twelve hours ahead, in the agent's RFC 3339 form with nanoseconds.
    Expiration: new Date(Date.now() + 12 * 3600_000).toISOString().replace(/Z$/, "456789Z"),
  };
  const [served, tokenFile] = [join(dir, "agent-credentials.json"), join(dir, "token")];
  const token = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.${suffix}\n`;
  writeFileSync(served, JSON.stringify(credentials), { mode: 0o600 });
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const agentArgs = ["--credentials", served, "--token", tokenFile];
  const agentUrl = await startFake(root, "the agent emulator", "agent.ts", agentArgs);
  return { agentUrl, stsUrl: await startSts(root), tokenFile, credentials };
}

/** The STS stub; with `sessionTokenLength`, its session tokens are that many characters long. */
export function startSts(root: string, sessionTokenLength?: number): Promise<string> {
  const args = sessionTokenLength ? ["--session-token-length", String(sessionTokenLength)] : [];
  return startFake(root, "the STS stub", "sts.ts", args);
}

function startFake(root: string, name: string, script: string, args: string[]): Promise<string> {
  return startPeer(name, ["bun", join(root, "tests/fakes", script), ...args]);
}
