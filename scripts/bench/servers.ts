// The serve section: servers that answer credentials on loopback, each loaded by wrk and compared
// with a reference measured in the same run: `epicac serve` (the native Bun binary, proxying the
// agent emulator) against its floor, a bare Bun.serve (floors/serve.ts). Another server is one
// more entry in the list. The loads are interleaved: each runs on every server before the next
// one starts, so machine-load drift hits every server alike. Last, a sustained load on each
// gives its resident memory after many requests.

import { existsSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { NATIVE_ARCH } from "./candidates.ts";
import { compile } from "./floors.ts";
import { start, type Started, waitFor } from "./peers.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

export interface ServerSpec {
  name: string;
  /** Its command, to listen on 127.0.0.1:PORT and serve GET /v1/credentials to the token. */
  command(port: number): string[];
  /** The name of the server its figures are divided by; absent for a reference. */
  reference?: string;
  /** A gate: the least requests/s at 8 and 64 connections, as a fraction of the reference's. */
  minRatio?: number;
  /** Why it cannot run; absent when it can. */
  missing?: string;
}

export const SERVE = "epicac serve";
const FLOOR = "Bun.serve floor";

/** epicac serve and its floor, both demanding the token in `tokenFile`. */
export function serveSpecs(root: string, dir: string, tokenFile: string, minRatio?: number) {
  const binary = join(root, "dist", `epicac-bun-linux-${NATIVE_ARCH}`);
  const floor = join(dir, "floor-serve");
  const listen = (port: number) => ["--listen", `127.0.0.1:${port}`, "--token-file", tokenFile];
  return [
    {
      name: FLOOR,
      command: (port) => [floor, `${port}`, tokenFile],
      missing: compile("bun", root, "serve.ts", floor),
    },
    {
      name: SERVE,
      command: (port) => [binary, "serve", ...listen(port)],
      reference: FLOOR,
      minRatio,
      missing: existsSync(binary) ? undefined : `${binary} was not built (see make build)`,
    },
  ] satisfies ServerSpec[];
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
  rssMiB: { idle?: number; loaded?: number };
  sustainedRequests?: number;
}

/**
 * Loads every server that can run; one that fails (a non-2xx answer or a socket error, which
 * would make a benchmark of refusals) is a result with the reason, not an exception.
 */
export async function runServers(specs: readonly ServerSpec[], options: {
  /** The servers' environment (the agent's URL and token file), and the token they demand. */
  env: Record<string, string>;
  tokenFile: string;
  /** The agent's AccessKeyId in this run: a server is ready once it serves it. */
  accessKeyId: string;
  seconds: number;
  sustainedRequests: number;
  log(line: string): void;
}) {
  const token = readFileSync(options.tokenFile, "utf8").trim();
  const live = new Map<ServerResult, { url: string; server: Started }>();
  const results: ServerResult[] = [];
  for (const { name, reference, minRatio, missing, command } of specs) {
    const result: ServerResult = {
      name,
      reference,
      minRatio,
      status: "measured",
      loads: [],
      rssMiB: {},
    };
    results.push(missing ? Object.assign(result, { status: "missing", reason: missing }) : result);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v1/credentials`;
    if (!missing) live.set(result, { url, server: start(command(port), options.env) });
  }
  // One step on every live server in turn; a server whose step throws is failed and stopped.
  const step = async (what: string, act: (r: ServerResult, url: string, s: Started) => unknown) => {
    for (const [result, { url, server }] of live) {
      options.log(`${result.name}: ${what}`);
      await Promise.resolve(act(result, url, server)).catch(async (error: Error) => {
        Object.assign(result, { status: "failed", reason: error.message.replaceAll(token, "…") });
        live.delete(result);
        await server.stop();
      });
    }
  };
  try {
    await step("start and warm up", async (result, url, server) => {
      await waitFor(result.name, server, () => servesAgent(url, token, options.accessKeyId));
      result.rssMiB.idle = rssMiB(server.pid);
      runWrk(url, token, { connections: 8, threads: 2, seconds: 2 });
    });
    for (const load of LOADS) {
      await step(`wrk -c${load.connections}`, (result, url) => {
        result.loads.push(runWrk(url, token, { ...load, seconds: options.seconds }));
      });
    }
    await step(`${options.sustainedRequests} requests`, (result, url, server) => {
      const rate = result.loads[LOADS.length - 1].requestsPerSecond;
      const seconds = Math.min(600, Math.ceil(options.sustainedRequests / rate));
      result.sustainedRequests = runWrk(url, token, { ...LOADS[2], seconds }).requests;
      result.rssMiB.loaded = rssMiB(server.pid);
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
      const { requestsPerSecond, p99Ms } = reference.loads[i];
      load.vsReference = {
        requestsPerSecond: load.requestsPerSecond / requestsPerSecond,
        p99: load.p99Ms / p99Ms,
      };
    });
  }
  return results;
}

/** true once it serves the agent's credentials of this run; undefined while it is not ready. */
async function servesAgent(url: string, token: string, accessKeyId: string) {
  const answer = await new Promise<{ status?: number; body: string }>((resolve) => {
    const headers = { authorization: token, connection: "close" };
    // node:http, which never goes through a proxy (fetch may).
    const asked = request(url, { headers, timeout: 2000 }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode, body }));
    });
    asked.on("error", () => resolve({ body: "" })).on("timeout", () => asked.destroy());
    asked.end();
  });
  if (answer.status !== 200) return undefined;
  // Never quote the body: it holds the credentials.
  if (JSON.parse(answer.body).AccessKeyId !== accessKeyId) {
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
