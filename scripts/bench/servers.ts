// The serve section: servers that answer credentials on loopback, each loaded by wrk and compared
// with a reference measured in the same run: `epicac serve` (the native Bun binary, proxying the
// agent emulator) against its floor, a bare Bun.serve (floors/serve.ts). Another server is one
// more entry in the list (node.ts adds `epicac node`, against serve), asked on its own path with
// its own Authorization, and ready once it answers its own credentials. The loads are
// interleaved: each runs on every server before the next one starts, so machine-load drift hits
// every server alike. Last, a sustained load on each gives its resident memory after many
// requests.

import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { NATIVE_ARCH } from "./candidates.ts";
import { compile } from "./floors.ts";
import { start, type Started, waitFor } from "./peers.ts";
import { runWrk, type WrkResult } from "./wrk.ts";
import { rssKiB } from "../../tests/support/proc.ts";

export interface ServerSpec {
  name: string;
  /** Its command: listen on 127.0.0.1:PORT. */
  command(port: number): string[];
  /** Where on it credentials are asked for. */
  path: string;
  /** The Authorization its requests carry (never on a command line). */
  authorization: string;
  /** The credentials it must answer: their AccessKeyId, and whose they are. */
  answers: { accessKeyId: string | RegExp; whose: string };
  /** The name of the server its figures are divided by; absent for a reference. */
  reference?: string;
  /** A gate: the least requests/s at 8 and 64 connections, as a fraction of the reference's. */
  minRatio?: number;
  /** What it counted of itself, read after the loads (its metrics). */
  counters?(): Promise<Record<string, number>>;
  /** Why it cannot run; absent when it can. */
  missing?: string;
}

export const SERVE = "epicac serve";
const FLOOR = "Bun.serve floor";

/**
 * epicac serve and its floor, both demanding one token of this run (long enough for serve's
 * check, no newline) and answering the agent's credentials.
 */
export function serveSpecs(
  root: string,
  dir: string,
  agentKeyId: string,
  minRatio?: number,
): ServerSpec[] {
  const binary = join(root, "dist", `epicac-bun-linux-${NATIVE_ARCH}`);
  const floor = join(dir, "floor-serve");
  const built = existsSync(binary) ? undefined : `${binary} was not built (see make build)`;
  const token = `bench-${randomUUID()}-${randomUUID()}`;
  const tokenFile = join(dir, "serve-token");
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const asks = {
    path: "/v1/credentials",
    authorization: token,
    answers: { accessKeyId: agentKeyId, whose: "the agent's" },
  };
  return [{
    name: FLOOR,
    command: (port) => [floor, `${port}`, tokenFile],
    ...asks,
    missing: compile("bun", root, "serve.ts", floor),
  }, {
    name: SERVE,
    command: (
      port,
    ) => [binary, "serve", "--listen", `127.0.0.1:${port}`, "--token-file", tokenFile],
    ...asks,
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
  counters?: Record<string, number>;
}

/**
 * Loads every server that can run; one that fails (a non-2xx answer or a socket error, which
 * would make a benchmark of refusals) is a result with the reason, not an exception.
 */
export async function runServers(specs: readonly ServerSpec[], options: {
  /** The servers' environment (the agent's URL and token file), and a private directory. */
  env: Record<string, string>;
  dir: string;
  seconds: number;
  sustainedRequests: number;
  log(line: string): void;
}) {
  // Without wrk (optional in scripts/ensure-system-packages), every server is missing.
  const noWrk = spawnSync("wrk").error && "wrk is not installed (apt-get install wrk)";
  type Live = { spec: ServerSpec; url: string; headerFile: string; server: Started };
  const live = new Map<ServerResult, Live>();
  const results: ServerResult[] = [];
  for (const [i, spec] of specs.entries()) {
    const { name, reference, minRatio } = spec;
    const missing = noWrk || spec.missing;
    const result: ServerResult = { name, reference, minRatio, status: "measured", loads: [] };
    results.push(missing ? Object.assign(result, { status: "missing", reason: missing }) : result);
    if (missing) continue;
    const port = await freePort();
    // The file curl sends the Authorization from: never a command line.
    const headerFile = join(options.dir, `header-${i}`);
    writeFileSync(headerFile, `Authorization: ${spec.authorization}\n`, { mode: 0o600 });
    const url = `http://127.0.0.1:${port}${spec.path}`;
    live.set(result, { spec, url, headerFile, server: start(spec.command(port), options.env) });
  }
  // One step on every live server in turn; a server whose step throws is failed and stopped.
  const step = async (what: string, act: (r: ServerResult, live: Live) => unknown) => {
    for (const [result, server] of live) {
      options.log(`${result.name}: ${what}`);
      try {
        await act(result, server);
      } catch (error) {
        const reason = (error as Error).message.replaceAll(server.spec.authorization, "…");
        Object.assign(result, { status: "failed", reason });
        live.delete(result);
        await server.server.stop();
      }
    }
  };
  try {
    await step("start and warm up", async (result, { spec, url, headerFile, server }) => {
      await waitFor(result.name, server, () => serves(url, headerFile, spec.answers));
      result.rssMiB = { idle: rssMiB(server.pid) };
      runWrk(url, spec.authorization, { connections: 8, threads: 2, seconds: 2 });
    });
    for (const load of LOADS) {
      await step(`wrk -c${load.connections}`, (result, { spec, url }) => {
        const seconds = options.seconds;
        result.loads.push(runWrk(url, spec.authorization, { ...load, seconds }));
      });
    }
    await step(`${options.sustainedRequests} requests`, async (result, { spec, url, server }) => {
      const heaviest = LOADS.length - 1;
      const rate = result.loads[heaviest].requestsPerSecond;
      const seconds = Math.min(600, Math.ceil(options.sustainedRequests / rate));
      const load = { ...LOADS[heaviest], seconds };
      result.sustainedRequests = runWrk(url, spec.authorization, load).requests;
      result.rssMiB!.loaded = rssMiB(server.pid);
      result.counters = await spec.counters?.();
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

/** true once it serves the credentials it must; undefined while it is not ready. */
function serves(url: string, headerFile: string, answers: ServerSpec["answers"]) {
  // curl reads the token from a file, never from its command line; --fail: not ready yet.
  const args = ["-sf", "--noproxy", "*", "--max-time", "2", "-H", `@${headerFile}`, url];
  const answer = spawnSync("curl", args, { encoding: "utf8" });
  if (answer.status !== 0) return undefined;
  // Never quote the body: it holds the credentials.
  const served = JSON.parse(answer.stdout).AccessKeyId;
  const { accessKeyId, whose } = answers;
  if (typeof accessKeyId === "string" ? served !== accessKeyId : !accessKeyId.test(served)) {
    throw new Error(`it served other credentials than ${whose}`);
  }
  return true;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().on("error", reject).listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS from Linux's /proc, in MiB to a tenth. */
export function rssMiB(pid: number): number {
  return Math.round(rssKiB(pid) / 102.4) / 10;
}
