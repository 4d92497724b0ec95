// The loopback peers every candidate talks to: the EKS Pod Identity agent emulator and the STS
// stub from tests/fakes, each started as its own process (so they never compete with the
// benchmark's event loop), ready only once a real request has succeeded, and always stopped.

import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";

export interface Peer {
  name: string;
  /** The URL the peer printed when it started listening. */
  url: string;
  pid: number | undefined;
  /** SIGTERM, then SIGKILL if it is still there after a moment; resolves once it exited. */
  stop(): Promise<void>;
  /** SIGKILL now, without waiting (for process exit handlers). */
  kill(): void;
}

export interface PeerSpec {
  /** For messages, e.g. "the agent emulator". */
  name: string;
  command: string[];
  /** Resolves when a real request to the peer succeeded; throws with what went wrong. */
  probe(url: string): Promise<void>;
  /** How long start-up and the first good answer may take together (default 20 s). */
  readyTimeoutMs?: number;
}

const STOP_GRACE_MS = 3000;
const URL_LINE = /^https?:\/\/127\.0\.0\.1:\d+\S*$/m;

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTP request with node:http, which (unlike fetch) never goes through a proxy. */
export function httpRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } =
    {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: init.method ?? "GET",
      headers: { connection: "close", ...init.headers },
      timeout: init.timeoutMs ?? 2000,
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer in time")));
    req.on("error", reject);
    req.end(init.body);
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  child.kill("SIGTERM");
  if (await waitForExit(child, STOP_GRACE_MS)) return;
  child.kill("SIGKILL");
  await waitForExit(child, STOP_GRACE_MS);
}

/** Starts a peer and waits until it printed its URL and answered a real request. */
export async function startPeer(spec: PeerSpec): Promise<Peer> {
  const timeoutMs = spec.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  const child = spawn(spec.command[0], spec.command.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: string) => (output = (output + chunk).slice(-4000));
  child.stdout!.setEncoding("utf8").on("data", keep);
  child.stderr!.setEncoding("utf8").on("data", keep);
  let spawnError: Error | undefined;
  child.on("error", (error) => (spawnError = error));

  const fail = async (why: string): Promise<never> => {
    // A child that could not be spawned has nothing to kill and never emits "exit".
    if (!spawnError) {
      child.kill("SIGKILL");
      await waitForExit(child, STOP_GRACE_MS);
    }
    const said = output.trim() ? `; its output: ${output.trim()}` : "";
    throw new Error(`${spec.name} (${spec.command.join(" ")}) ${why}${said}`);
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const gone = () =>
    spawnError
      ? `could not start: ${spawnError.message}`
      : `exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready`;

  let url: string | undefined;
  while (!(url = URL_LINE.exec(output)?.[0])) {
    if (spawnError || exited(child)) return fail(gone());
    if (Date.now() > deadline) {
      return fail(`printed no URL within ${timeoutMs / 1000} s`);
    }
    await sleep(25);
  }
  let lastError = "";
  for (;;) {
    try {
      await spec.probe(url);
      break;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (spawnError || exited(child)) return fail(gone());
    if (Date.now() > deadline) {
      return fail(`was not ready within ${timeoutMs / 1000} s (last attempt: ${lastError})`);
    }
    await sleep(50);
  }
  return {
    name: spec.name,
    url,
    pid: child.pid,
    stop: () => stopChild(child),
    kill: () => {
      if (!exited(child)) child.kill("SIGKILL");
    },
  };
}

export interface ServedCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  AccountId: string;
  Expiration: string;
}

/** Fake credentials that are unique to this run, so no stale output can pass for a fresh one. */
export function benchCredentials(now = Date.now()): ServedCredentials {
  const suffix = Array.from(
    crypto.getRandomValues(new Uint8Array(6)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("").toUpperCase();
  return {
    AccessKeyId: `ASIABENCH${suffix}`,
    SecretAccessKey: `benchSecret/${suffix}+abcdefghijklmnopqrstuv`,
    Token: `IQoJb3JpZ2luX2JlbmNo${suffix}SessionToken==`,
    AccountId: "111122223333",
    // Twelve hours ahead, in the agent's RFC 3339 form with nanoseconds.
    Expiration: new Date(now + 12 * 3600_000).toISOString().replace(/Z$/, "456789Z"),
  };
}

export interface BenchPeers {
  agent: Peer;
  sts: Peer;
  tokenFile: string;
  credentials: ServedCredentials;
  stop(): Promise<void>;
  kill(): void;
}

export interface BenchPeersOptions {
  /** The bun executable that runs the peers' scripts. */
  bun: string;
  /** The repository root (tests/fakes is under it). */
  root: string;
  /** A private directory for the credentials and token files. */
  dir: string;
  readyTimeoutMs?: number;
}

/** The agent's readiness: it serves the credentials of this run to the right token. */
export function agentProbe(token: string, accessKeyId: string): (url: string) => Promise<void> {
  return async (url) => {
    const answer = await httpRequest(url, { headers: { authorization: token } });
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
    if (JSON.parse(answer.body).AccessKeyId !== accessKeyId) {
      throw new Error("it served other credentials");
    }
  };
}

/** The STS stub's readiness: GetCallerIdentity answers with an identity. */
export async function stsProbe(endpoint: string): Promise<void> {
  const answer = await httpRequest(endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "Action=GetCallerIdentity&Version=2011-06-15",
  });
  if (answer.status !== 200 || !answer.body.includes("<GetCallerIdentityResult>")) {
    throw new Error(`HTTP ${answer.status}`);
  }
}

/** Starts the agent emulator and the STS stub; if either cannot start, neither is left running. */
export async function startBenchPeers(options: BenchPeersOptions): Promise<BenchPeers> {
  const credentials = benchCredentials();
  const credentialsFile = join(options.dir, "agent-credentials.json");
  const tokenFile = join(options.dir, "eks-pod-identity-token");
  const token = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.${credentials.AccessKeyId}`;
  writeFileSync(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const fakes = join(options.root, "tests", "fakes");
  const agent = await startPeer({
    name: "the agent emulator",
    command: [
      options.bun,
      join(fakes, "agent.ts"),
      "--credentials",
      credentialsFile,
      "--token",
      tokenFile,
    ],
    probe: agentProbe(token, credentials.AccessKeyId),
    readyTimeoutMs: options.readyTimeoutMs,
  });
  let sts: Peer;
  try {
    sts = await startPeer({
      name: "the STS stub",
      command: [options.bun, join(fakes, "sts.ts")],
      probe: stsProbe,
      readyTimeoutMs: options.readyTimeoutMs,
    });
  } catch (error) {
    await agent.stop();
    throw error;
  }
  return {
    agent,
    sts,
    tokenFile,
    credentials,
    stop: async () => {
      await Promise.all([agent.stop(), sts.stop()]);
    },
    kill: () => {
      agent.kill();
      sts.kill();
    },
  };
}
