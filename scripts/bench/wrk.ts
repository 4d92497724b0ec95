// One wrk run against a loopback URL, and its text report parsed: requests per second, the
// latency percentiles of --latency, the request count, and every error wrk counted. wrk is the
// client so that the benchmark's own process only waits while the server is measured.
//
// The Authorization header has to go on wrk's command line; it is never part of what this
// module returns or throws (wrk's output is scrubbed of it all the same).

import { spawn } from "node:child_process";

export interface WrkLatencyMs {
  p50: number;
  p75: number;
  p90: number;
  p99: number;
}

export interface WrkSocketErrors {
  connect: number;
  read: number;
  write: number;
  timeout: number;
}

export interface WrkResult {
  requestsPerSecond: number;
  latencyMs: WrkLatencyMs;
  /** Completed requests, from wrk's "N requests in T" line. */
  requests: number;
  /** Non-2xx answers plus socket errors: anything but 0 means the run measured the wrong thing. */
  errors: number;
  /** wrk's "Non-2xx or 3xx responses" (which, despite the name, counts statuses above 399). */
  non2xx: number;
  socketErrors: WrkSocketErrors;
  /** How long the run really took, from the same line. */
  durationS: number;
}

export interface WrkLoad {
  threads: number;
  connections: number;
  /** wrk's -d takes whole seconds. */
  seconds: number;
  url: string;
  /** Sent as the Authorization header of every request. */
  authorization: string;
}

/** wrk's time units (format_time_us in its units.c), in milliseconds. */
const UNIT_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const TIME = String.raw`(\d+(?:\.\d+)?)(us|ms|s|m|h)`;

/** "276.00us", "1.53ms", "1.22s" (and "1.00m", which wrk prints past 60 s) in milliseconds. */
export function wrkTimeMs(text: string): number {
  const match = new RegExp(`^${TIME}$`).exec(text.trim());
  if (!match) throw new Error(`not a wrk time: "${text}"`);
  return inMs(match[1], match[2]);
}

/** wrk prints two decimals: rounding drops the float noise of the unit change (0.104, not …01). */
function inMs(value: string, unit: string): number {
  return Number((Number(value) * UNIT_MS[unit]).toFixed(6));
}

function count(text: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Parses wrk's report; throws when a part the benchmark needs is not there. */
export function parseWrkOutput(text: string): WrkResult {
  const percentiles = new Map<string, number>();
  for (const match of text.matchAll(new RegExp(String.raw`^\s*(\d+)%\s+${TIME}\s*$`, "gm"))) {
    percentiles.set(match[1], inMs(match[2], match[3]));
  }
  const wanted = ["50", "75", "90", "99"] as const;
  const absent = wanted.filter((p) => !percentiles.has(p));
  if (absent.length > 0) {
    throw new Error(
      `wrk printed no latency distribution (${absent.map((p) => `${p}%`).join(", ")} missing; ` +
        "it needs --latency)",
    );
  }
  const total = new RegExp(String.raw`^\s*(\d+) requests in ${TIME},`, "m").exec(text);
  if (!total) throw new Error('wrk printed no "N requests in T" line');
  const requestsPerSecond = count(text, /^Requests\/sec:\s+(\d+(?:\.\d+)?)\s*$/m);
  if (requestsPerSecond === undefined) throw new Error('wrk printed no "Requests/sec" line');

  const non2xx = count(text, /^\s*Non-2xx or 3xx responses:\s+(\d+)\s*$/m) ?? 0;
  const sockets = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors: WrkSocketErrors = {
    connect: Number(sockets?.[1] ?? 0),
    read: Number(sockets?.[2] ?? 0),
    write: Number(sockets?.[3] ?? 0),
    timeout: Number(sockets?.[4] ?? 0),
  };
  const socketTotal = socketErrors.connect + socketErrors.read + socketErrors.write +
    socketErrors.timeout;
  return {
    requestsPerSecond,
    latencyMs: {
      p50: percentiles.get("50")!,
      p75: percentiles.get("75")!,
      p90: percentiles.get("90")!,
      p99: percentiles.get("99")!,
    },
    requests: Number(total[1]),
    errors: non2xx + socketTotal,
    non2xx,
    socketErrors,
    durationS: inMs(total[2], total[3]) / 1000,
  };
}

/** What went wrong in a run, in words ("12 non-2xx responses, 3 socket errors (timeout 3)"). */
export function wrkProblem(result: WrkResult): string | undefined {
  if (result.errors === 0) return undefined;
  const parts: string[] = [];
  if (result.non2xx > 0) parts.push(`${result.non2xx} non-2xx responses`);
  const sockets = Object.entries(result.socketErrors).filter(([, n]) => n > 0);
  if (sockets.length > 0) {
    const total = sockets.reduce((sum, [, n]) => sum + n, 0);
    parts.push(`${total} socket errors (${sockets.map(([kind, n]) => `${kind} ${n}`).join(", ")})`);
  }
  return `${parts.join(", ")} in ${result.requests} requests`;
}

/** How a load is named in messages: wrk's own flags, without the header. */
export function describeLoad(load: Pick<WrkLoad, "threads" | "connections" | "seconds">): string {
  return `wrk -t${load.threads} -c${load.connections} -d${load.seconds}s`;
}

/** wrk's arguments for a load (the header included: never log these). */
export function wrkArgs(load: WrkLoad): string[] {
  for (const [name, value] of Object.entries(load)) {
    if (typeof value === "number" && !(Number.isInteger(value) && value >= 1)) {
      throw new RangeError(`wrk's ${name} must be a whole number from 1, not ${value}`);
    }
  }
  if (load.connections < load.threads) {
    throw new RangeError("wrk needs at least as many connections as threads");
  }
  return [
    "-t",
    String(load.threads),
    "-c",
    String(load.connections),
    "-d",
    `${load.seconds}s`,
    "--latency",
    "-H",
    `Authorization: ${load.authorization}`,
    load.url,
  ];
}

/** `text` with every occurrence of `secret` replaced, for messages made of a tool's output. */
export function scrub(text: string, secret: string): string {
  return secret ? text.replaceAll(secret, "<token>") : text;
}

export interface WrkRun {
  /** The running wrk's pid, so that an exit handler can end it. */
  pid: number | undefined;
  result: Promise<WrkResult>;
}

/**
 * Starts wrk and resolves with its parsed report once it exits. Rejects when it cannot start,
 * exits non-zero, or prints a report without the parts above; messages never hold the token.
 */
export function startWrk(wrk: string, load: WrkLoad): WrkRun {
  const child = spawn(wrk, wrkArgs(load), { stdio: ["ignore", "pipe", "pipe"] });
  const result = new Promise<WrkResult>((resolve, reject) => {
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const name = describeLoad(load);
    child.on("error", (error) => reject(new Error(`${name} could not start: ${error.message}`)));
    child.on("close", (code, signal) => {
      const said = scrub(output.trim(), load.authorization).slice(-2000);
      if (code !== 0) {
        reject(new Error(`${name} exited (code ${code}, signal ${signal}): ${said}`));
        return;
      }
      try {
        resolve(parseWrkOutput(output));
      } catch (error) {
        reject(new Error(`${name}: ${(error as Error).message}; it printed: ${said}`));
      }
    });
  });
  return { pid: child.pid, result };
}

/** startWrk, waited for. */
export function runWrk(wrk: string, load: WrkLoad): Promise<WrkResult> {
  return startWrk(wrk, load).result;
}
