// The serve section: servers that answer credentials on loopback, each loaded by wrk and compared
// with a reference measured in the same run: `epicac serve` (the native Bun binary, proxying the
// agent emulator) against its floor, a bare Bun.serve (floors/serve.ts). Another server is one
// more entry in the list. The loads are interleaved: each runs on every server before the next
// one starts, so machine-load drift hits every server alike. Last, a sustained load on each
// gives its resident memory after many requests.

import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { NATIVE_ARCH } from "./candidates.ts";
import { compile } from "./floors.ts";
import { start, type Started, waitFor } from "./peers.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

export interface ServerSpec {
  name: string;
  /** Its command: listen on 127.0.0.1:PORT, serve GET /v1/credentials to the file's token. */
  command(port: number, tokenFile: string): string[];
  /** The name of the server its figures are divided by; absent for a reference. */
  reference?: string;
  /** A gate: the least requests/s at 8 and 64 connections, as a fraction of the reference's. */
  minRatio?: number;
  /** Why it cannot run; absent when it can. */
  missing?: string;
}

export const SERVE = "epicac serve";
const FLOOR = "Bun.serve floor";

/** epicac serve and its floor. */
export function serveSpecs(root: string, dir: string, minRatio?: number): ServerSpec[] {
  const binary = join(root, "dist", `epicac-bun-linux-${NATIVE_ARCH}`);
  const floor = join(dir, "floor-serve");
  const built = existsSync(binary) ? undefined : `${binary} was not built (see make build)`;
  const listen = (port: number) => ["--listen", `127.0.0.1:${port}`];
  return [{
    name: FLOOR,
    command: (port, token) => [floor, `${port}`, token],
    missing: compile("bun", root, "serve.ts", floor),
  }, {
    name: SERVE,
    command: (port, token) => [binary, "serve", ...listen(port), "--token-file", token],
    reference: FLOOR,
    minRatio,
    missing: built,
  }];
}

/** One fetch at a time, a few SDKs in a pod, and far more than any pod sends. */
export const LOADS = [
  { connections: 1, threads: 1 },
  { connections: 8, threads: 2 },
  { connections: 64, threads: 2 },
];
/** The loads a gate applies to: one connection measures latency, not throughput. */
export const GATED_CONNECTIONS = [8, 64];

export interface ServerResult extends Pick<ServerSpec, "name" | "reference" | "minRatio"> {
  status: "measured" | "failed" | "missing";
  reason?: string;
  /** With requests/s and p99 over the reference's at the same load, when both were measured. */
  loads: (WrkResult & { vsReference?: { requestsPerSecond: number; p99: number } })[];
  /** Resident set in MiB, after its first answer and after every load. */
  rssMiB?: { idle: number; loaded?: number };
  sustainedRequests?: number;
}

/**
 * Loads every server that can run; one that fails (a non-2xx answer or a socket error, which
 * would make a benchmark of refusals) is a result with the reason, not an exception.
 */
export async function runServers(specs: readonly ServerSpec[], options: {
  /** The servers' environment (the agent's URL and token file), and a private directory. */
  env: Record<string, string>;
  dir: string;
  /** The agent's AccessKeyId in this run: a server is ready once it serves it. */
  accessKeyId: string;
  seconds: number;
  sustainedRequests: number;
  log(line: string): void;
}) {
  // The token every server demands (long enough for serve's check, no newline), and the header
  // file curl sends it from: never on a command line.
  const token = `bench-${randomUUID()}-${randomUUID()}`;
  const [tokenFile, headerFile] = [join(options.dir, "serve-token"), join(options.dir, "header")];
  writeFileSync(tokenFile, token, { mode: 0o600 });
  writeFileSync(headerFile, `Authorization: ${token}\n`, { mode: 0o600 });
  // Without wrk (optional in scripts/ensure-system-packages), every server is missing.
  const noWrk = spawnSync("wrk").error && "wrk is not installed (apt-get install wrk)";
  const live = new Map<ServerResult, { url: string; server: Started }>();
  const results: ServerResult[] = [];
  for (const { name, reference, minRatio, command, ...spec } of specs) {
    const missing = noWrk || spec.missing;
    const result: ServerResult = { name, reference, minRatio, status: "measured", loads: [] };
    results.push(missing ? Object.assign(result, { status: "missing", reason: missing }) : result);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v1/credentials`;
    if (!missing) live.set(result, { url, server: start(command(port, tokenFile), options.env) });
  }
  // One step on every live server in turn; a server whose step throws is failed and stopped.
  const step = async (what: string, act: (r: ServerResult, url: string, s: Started) => unknown) => {
    for (const [result, { url, server }] of live) {
      options.log(`${result.name}: ${what}`);
      try {
        await act(result, url, server);
      } catch (error) {
        const reason = (error as Error).message.replaceAll(token, "…");
        Object.assign(result, { status: "failed", reason });
        live.delete(result);
        await server.stop();
      }
    }
  };
  try {
    await step("start and warm up", async (result, url, server) => {
      await waitFor(result.name, server, () => servesAgent(url, headerFile, options.accessKeyId));
      result.rssMiB = { idle: rssMiB(server.pid) };
      runWrk(url, token, { connections: 8, threads: 2, seconds: 2 });
    });
    for (const load of LOADS) {
      await step(`wrk -c${load.connections}`, (result, url) => {
        result.loads.push(runWrk(url, token, { ...load, seconds: options.seconds }));
      });
    }
    await step(`${options.sustainedRequests} requests`, (result, url, server) => {
      const heaviest = LOADS.length - 1;
      const rate = result.loads[heaviest].requestsPerSecond;
      const seconds = Math.min(600, Math.ceil(options.sustainedRequests / rate));
      result.sustainedRequests = runWrk(url, token, { ...LOADS[heaviest], seconds }).requests;
      result.rssMiB!.loaded = rssMiB(server.pid);
    });
  } finally {
    await Promise.all([...live.values()].map(({ server }) => server.stop()));
  }
  return compareToReferences(results);
}

/** Each measured server's loads against its measured reference's, load by load. */
export function compareToReferences(results: ServerResult[]): ServerResult[] {
  for (const result of results) {
    const reference = results.find((r) => r.name === result.reference);
    if (result.status !== "measured" || reference?.status !== "measured") continue;
    result.loads.forEach((load, i) => {
      const { requestsPerSecond: rps, p99Ms } = reference.loads[i];
      load.vsReference = {
        requestsPerSecond: load.requestsPerSecond / rps,
        p99: load.p99Ms / p99Ms,
      };
    });
  }
  return results;
}

/** true once it serves the agent's credentials of this run; undefined while it is not ready. */
function servesAgent(url: string, headerFile: string, accessKeyId: string) {
  // curl reads the token from a file, never from its command line; --fail: not ready yet.
  const args = ["-sf", "--noproxy", "*", "--max-time", "2", "-H", `@${headerFile}`, url];
  const answer = spawnSync("curl", args, { encoding: "utf8" });
  if (answer.status !== 0) return undefined;
  // Never quote the body: it holds the credentials.
  if (JSON.parse(answer.stdout).AccessKeyId !== accessKeyId) {
    throw new Error("it served other credentials than the agent's");
  }
  return true;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().on("error", reject).listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS from Linux's /proc, in MiB. */
function rssMiB(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Math.round(Number(kib) / 102.4) / 10;
}
