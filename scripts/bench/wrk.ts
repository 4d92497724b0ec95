// One wrk run against a loopback URL. wrk-report.lua's done() prints wrk's figures as one JSON
// line; the token reaches the script through the environment, never a command line. wrk runs
// while this process waits: the servers are processes of their own.

import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./wrk-report.lua", import.meta.url));

export type Load = { connections: number; threads: number; seconds: number };

export interface WrkResult {
  connections: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** The figures in wrk's output; throws when there is no report, or wrk counted any error. */
export function wrkResult(load: Load, output: string): WrkResult {
  const report = JSON.parse(output.split("\n").findLast((line) => line.startsWith("{")) ?? "{}");
  const { requests, durationUs, non2xx, socketErrors, p50Us, p99Us } = report;
  if (!(requests > 0)) throw new Error("no request completed, or no report");
  if (non2xx + socketErrors > 0) {
    // A load of refused requests would measure the wrong thing.
    throw new Error(`${non2xx} non-2xx answers, ${socketErrors} socket errors in ${requests}`);
  }
  const requestsPerSecond = Math.round(requests / (durationUs / 1e6));
  const [p50Ms, p99Ms] = [p50Us / 1000, p99Us / 1000];
  return { connections: load.connections, requests, requestsPerSecond, p50Ms, p99Ms };
}

/** Loads `url` with requests that carry `token`; messages never hold the token. */
export function runWrk(url: string, token: string, load: Load): WrkResult {
  const flags = [`-t${load.threads}`, `-c${load.connections}`, `-d${load.seconds}s`];
  const done = spawnSync("wrk", [...flags, "-s", SCRIPT, url], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", WRK_AUTHORIZATION: token },
    encoding: "utf8",
    timeout: (load.seconds + 60) * 1000,
  });
  try {
    if (done.status !== 0) throw new Error(`${done.error ?? done.status}: ${done.stderr.trim()}`);
    return wrkResult(load, done.stdout);
  } catch (error) {
    throw new Error(`wrk ${flags.join(" ")}: ${(error as Error).message}`.replaceAll(token, "…"));
  }
}
