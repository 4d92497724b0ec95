// The serve benchmark: `epicac serve` proxying the loopback agent emulator, loaded by wrk (the
// client runs in its own process; this one only waits): throughput and latency at 8 and 64
// connections, RSS after a warm-up and after a sustained load of a million requests, the cost of
// one credential fetch through the running sidecar, and a clean exit on SIGTERM. Any non-2xx
// answer or socket error fails the measurement: a benchmark of 401s would be worthless.

import { basename, join } from "node:path";
import process from "node:process";
import { httpRequest } from "./peers.ts";
import { type MemoryKib, memoryOf, type ServeProcess, startServeProcess } from "./serve-process.ts";
import { describeLoad, scrub, startWrk, type WrkLoad, wrkProblem, type WrkResult } from "./wrk.ts";

export const WRK_MISSING = "wrk not installed (apt-get install wrk)";

/** What the sidecar is meant to achieve here; each is reported as met or not, never enforced. */
export const SERVE_TARGETS = { p99At8Ms: 1, rpsAt64: 20_000, rssGrowthMiB: 10 } as const;

/** The two measured loads: a few SDKs in a pod, and far more than any pod sends. */
const LOADS = [{ connections: 8, threads: 2 }, { connections: 64, threads: 2 }] as const;
const WARMUP = { connections: 8, threads: 2 } as const;
/** The sustained load runs in slices this long at most, so a stall shows in minutes, not hours. */
const MAX_SLICE_S = 30;
const READY_TIMEOUT_MS = 20_000;
/** serve gives requests in flight 4 s after SIGTERM; more than that is a failure to stop. */
const STOP_GRACE_MS = 10_000;

export interface ServeBenchOptions {
  /** The epicac binary to run as `BINARY serve`. */
  binary: string;
  /** The agent emulator's URL and token file, as a pod's AWS_CONTAINER_* variables name them. */
  agentUrl: string;
  agentTokenFile: string;
  /** A private scratch directory: serve's --token-file goes here. */
  dir: string;
  /** The rest of serve's environment (PATH, HOME). */
  env: Record<string, string>;
  /** The wrk executable; undefined: the result is "missing". */
  wrk: string | undefined;
  /** Seconds of each measured load (default 10). */
  secondsPerLoad?: number;
  /** Requests the sustained load must reach, counted from wrk's totals (default 1,000,000). */
  millionRequests?: number;
  /** The sustained load gives up, failed, after this many seconds (default 600). */
  millionTimeLimitS?: number;
  /** Uncounted first load (default 2 s). */
  warmupSeconds?: number;
  /** The one-connection run whose p50 is one fetch (default 3 s). */
  oneFetchSeconds?: number;
  /** When set, the first answer must carry this AccessKeyId (the agent's credentials of the run). */
  accessKeyId?: string;
  /** One line per step, for progress on stderr. */
  log?(line: string): void;
}

export interface ServeLoadResult {
  connections: number;
  threads: number;
  /** As wrk measured it (a little over the -d asked for). */
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
}

export interface SustainedLoad {
  connections: number;
  threads: number;
  /** How many wrk runs it took to reach the target. */
  slices: number;
  /** Their measured durations, added up. */
  seconds: number;
  /** requests over seconds. */
  requestsPerSecond: number;
  /** The largest p99 of any slice (percentiles of slices cannot be merged). */
  worstP99Ms: number;
  errors: number;
}

export interface ServeRss {
  afterWarmup: number;
  afterMillion: number;
  peakAfterWarmup: number;
  peakAfterMillion: number;
  /** Resident now after the sustained load minus resident after the warm-up: what stays. */
  growth: number;
  /** The same for the high-water mark: what the loads needed at most on top. */
  peakGrowth: number;
}

export interface ServeBenchResult {
  status: "measured" | "missing" | "failed";
  reason?: string;
  binary: string;
  /** The measured loads, 8 then 64 connections. */
  loads: ServeLoadResult[];
  sustained: SustainedLoad | null;
  /** p50 of wrk -t1 -c1: one credential fetch from the running sidecar, in milliseconds. */
  oneFetchMs: number | null;
  /** In MiB; null until both readings were taken. */
  rssMiB: ServeRss | null;
  /** The sustained load's requests, from wrk's totals: at least millionRequests when measured. */
  totalRequests: number;
  targets: typeof SERVE_TARGETS;
  /** null: not measured. */
  met: { p99At8: boolean | null; rpsAt64: boolean | null; rssGrowth: boolean | null };
}

const mib = (kib: number) => Math.round((kib / 1024) * 100) / 100;

/** RSS in MiB from the readings after the warm-up and after the sustained load. */
export function rssMiB(afterWarmup: MemoryKib, afterMillion: MemoryKib): ServeRss {
  return {
    afterWarmup: mib(afterWarmup.rss),
    afterMillion: mib(afterMillion.rss),
    peakAfterWarmup: mib(afterWarmup.peak),
    peakAfterMillion: mib(afterMillion.peak),
    growth: mib(afterMillion.rss - afterWarmup.rss),
    peakGrowth: mib(afterMillion.peak - afterWarmup.peak),
  };
}

/** Each target against what was measured; null where the figure is missing or came with errors. */
export function metTargets(
  loads: readonly ServeLoadResult[],
  rss: ServeRss | null,
): ServeBenchResult["met"] {
  const at = (connections: number) =>
    loads.find((l) => l.connections === connections && l.errors === 0);
  const at8 = at(8);
  const at64 = at(64);
  return {
    p99At8: at8 ? at8.p99Ms <= SERVE_TARGETS.p99At8Ms : null,
    rpsAt64: at64 ? at64.requestsPerSecond >= SERVE_TARGETS.rpsAt64 : null,
    rssGrowth: rss ? rss.growth <= SERVE_TARGETS.rssGrowthMiB : null,
  };
}

/** One fetch through serve over one credential_process run; null when either is unusable. */
export function serveRatio(oneFetchMs: number, credentialProcessMedianMs: number): number | null {
  const usable = (ms: number) => Number.isFinite(ms) && ms > 0;
  return usable(oneFetchMs) && usable(credentialProcessMedianMs)
    ? oneFetchMs / credentialProcessMedianMs
    : null;
}

function loadResult(load: WrkLoad, wrk: WrkResult): ServeLoadResult {
  return {
    connections: load.connections,
    threads: load.threads,
    seconds: Math.round(wrk.durationS * 100) / 100,
    requestsPerSecond: wrk.requestsPerSecond,
    p50Ms: wrk.latencyMs.p50,
    p99Ms: wrk.latencyMs.p99,
    requests: wrk.requests,
    errors: wrk.errors,
  };
}

/** The seconds of the next sustained slice: enough for the rest at the measured rate, bounded. */
export function sliceSeconds(remaining: number, requestsPerSecond: number): number {
  if (!(requestsPerSecond > 0)) return MAX_SLICE_S;
  return Math.min(MAX_SLICE_S, Math.max(1, Math.ceil((remaining / requestsPerSecond) * 1.05)));
}

/** Runs the serve benchmark; never throws: what went wrong is the result's reason. */
export async function runServeBench(options: ServeBenchOptions): Promise<ServeBenchResult> {
  const result: ServeBenchResult = {
    status: "failed",
    binary: options.binary,
    loads: [],
    sustained: null,
    oneFetchMs: null,
    rssMiB: null,
    totalRequests: 0,
    targets: SERVE_TARGETS,
    met: { p99At8: null, rpsAt64: null, rssGrowth: null },
  };
  const wrk = options.wrk;
  if (!wrk) return { ...result, status: "missing", reason: WRK_MISSING };
  const secondsPerLoad = options.secondsPerLoad ?? 10;
  const target = options.millionRequests ?? 1_000_000;
  const timeLimitS = options.millionTimeLimitS ?? 600;
  const log = options.log ?? (() => {});

  let serve: ServeProcess | undefined;
  let wrkPid: number | undefined;
  // An error, Ctrl-C or SIGTERM of the benchmark must not leave serve (or wrk) running.
  const killAll = () => {
    serve?.kill();
    if (wrkPid !== undefined) {
      try {
        process.kill(wrkPid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  process.on("exit", killAll);

  /**
   * One wrk run, handed to `record` (a failed result shows the bad load too), then checked:
   * errors of any kind throw, so that no result with a bad load is ever "measured".
   */
  const load = async (
    shape: { connections: number; threads: number },
    seconds: number,
    record?: (spec: WrkLoad, measured: WrkResult) => void,
  ) => {
    const spec: WrkLoad = { ...shape, seconds, url: serve!.url, authorization: serve!.token };
    log(`serve: ${describeLoad(spec)}`);
    const run = startWrk(wrk, spec);
    wrkPid = run.pid;
    const measured = await run.result.finally(() => (wrkPid = undefined));
    record?.(spec, measured);
    const problem = wrkProblem(measured);
    if (problem) throw new Error(`${describeLoad(spec)}: ${problem}`);
    return { spec, measured };
  };

  try {
    serve = await startServeProcess({
      binary: options.binary,
      tokenFile: join(options.dir, "serve-token"),
      env: {
        ...options.env,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: options.agentUrl,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: options.agentTokenFile,
      },
      cwd: options.dir,
      startTimeoutMs: READY_TIMEOUT_MS,
    });
    await serve.waitForEvent("refreshed", READY_TIMEOUT_MS);
    await checkFirstAnswer(serve, options.accessKeyId);

    await load(WARMUP, options.warmupSeconds ?? 2);
    const afterWarmup = memoryOf(serve.pid);

    for (const shape of LOADS) {
      await load(shape, secondsPerLoad, (spec, measured) => {
        result.loads.push(loadResult(spec, measured));
      });
    }

    const heavy = LOADS[LOADS.length - 1];
    let rate = result.loads[result.loads.length - 1].requestsPerSecond;
    const sustained: SustainedLoad = {
      ...heavy,
      slices: 0,
      seconds: 0,
      requestsPerSecond: 0,
      worstP99Ms: 0,
      errors: 0,
    };
    result.sustained = sustained;
    while (result.totalRequests < target) {
      if (sustained.seconds >= timeLimitS) {
        throw new Error(
          `the sustained load reached ${result.totalRequests} of ${target} requests in ` +
            `${Math.round(sustained.seconds)} s, the limit`,
        );
      }
      const seconds = sliceSeconds(target - result.totalRequests, rate);
      const { measured } = await load(heavy, seconds, (_spec, slice) => {
        result.totalRequests += slice.requests;
        sustained.slices++;
        sustained.seconds = Math.round((sustained.seconds + slice.durationS) * 100) / 100;
        sustained.requestsPerSecond = Math.round(result.totalRequests / sustained.seconds);
        sustained.worstP99Ms = Math.max(sustained.worstP99Ms, slice.latencyMs.p99);
        sustained.errors += slice.errors;
      });
      if (measured.requests === 0) throw new Error("a sustained slice completed no request");
      rate = measured.requestsPerSecond;
    }
    result.rssMiB = rssMiB(afterWarmup, memoryOf(serve.pid));

    const { measured: single } = await load(
      { connections: 1, threads: 1 },
      options.oneFetchSeconds ?? 3,
    );
    result.oneFetchMs = single.latencyMs.p50;

    log("serve: SIGTERM");
    const stopped = await serve.stop(STOP_GRACE_MS);
    if (stopped.killed || stopped.code !== 0) {
      throw new Error(
        stopped.killed
          ? `serve was still running ${STOP_GRACE_MS / 1000} s after SIGTERM (killed)`
          : `serve exited with code ${stopped.code} (signal ${stopped.signal}) after SIGTERM`,
      );
    }
    result.status = "measured";
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result.reason = serve ? scrub(message, serve.token) : message;
    await serve?.stop(STOP_GRACE_MS);
  } finally {
    killAll();
    process.off("exit", killAll);
  }
  result.met = metTargets(result.loads, result.rssMiB);
  return result;
}

/** The default route answers the token with the agent's credentials before any load starts. */
async function checkFirstAnswer(serve: ServeProcess, accessKeyId: string | undefined) {
  const answer = await httpRequest(serve.url, { headers: { authorization: serve.token } });
  if (answer.status !== 200) {
    throw new Error(`serve answered the first request with HTTP ${answer.status}`);
  }
  let served: unknown;
  try {
    served = JSON.parse(answer.body).AccessKeyId;
  } catch {
    served = undefined;
  }
  // Never quote the body: it holds the credentials.
  if (typeof served !== "string" || (accessKeyId !== undefined && served !== accessKeyId)) {
    throw new Error("serve's first answer does not hold the agent's credentials of this run");
  }
}

/** 1234567 as "1,234,567", the same in every locale. */
export function thousands(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Sub-millisecond latencies keep three decimals (wrk reports microseconds). */
export function formatLatency(ms: number): string {
  return `${ms.toFixed(ms < 1 ? 3 : ms < 10 ? 2 : 1)} ms`;
}

const formatMiB = (value: number) => `${value.toFixed(1)} MiB`;
const signed = (value: number) => `${value >= 0 ? "+" : "−"}${formatMiB(Math.abs(value))}`;
const verdict = (met: boolean | null) => met === null ? "not measured" : met ? "met" : "NOT met";

/** The serve section of the report. */
export function serveMarkdown(
  result: ServeBenchResult,
  credentialProcessMedianMs?: number,
): string {
  const lines = ["## serve", ""];
  const name = basename(result.binary);
  if (result.status === "missing") {
    lines.push(`Not measured: ${result.reason ?? "missing"}.`);
    return lines.join("\n") + "\n";
  }
  lines.push(
    `\`${name} serve\` on 127.0.0.1 proxying the agent emulator, loaded by wrk on the same ` +
      "machine after an uncounted warm-up; any non-2xx answer or socket error fails the run.",
    "",
  );
  if (result.status === "failed") lines.push(`FAILED: ${result.reason ?? "unknown"}`, "");

  const header = [
    "Connections",
    "Threads",
    "Seconds",
    "Requests/s",
    "p50",
    "p99",
    "Requests",
    "Errors",
  ];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const rows = result.loads.map((l) => [
    String(l.connections),
    String(l.threads),
    l.seconds.toFixed(1),
    thousands(l.requestsPerSecond),
    formatLatency(l.p50Ms),
    formatLatency(l.p99Ms),
    thousands(l.requests),
    thousands(l.errors),
  ]);
  const s = result.sustained;
  if (s && s.slices > 0) {
    rows.push([
      `${s.connections} (sustained, ${s.slices} ${s.slices === 1 ? "run" : "runs"})`,
      String(s.threads),
      s.seconds.toFixed(1),
      thousands(s.requestsPerSecond),
      "—",
      `≤ ${formatLatency(s.worstP99Ms)}`,
      thousands(result.totalRequests),
      thousands(s.errors),
    ]);
  }
  if (rows.length > 0) {
    lines.push(line(header), line(header.map(() => "---")), ...rows.map(line), "");
  }

  const rss = result.rssMiB;
  if (rss) {
    // Both measured loads ran between the two readings too.
    const between = result.loads.reduce((sum, l) => sum + l.requests, result.totalRequests);
    lines.push(
      `RSS: ${formatMiB(rss.afterWarmup)} after the warm-up, ${formatMiB(rss.afterMillion)} ` +
        `after ${thousands(between)} more requests (${signed(rss.growth)}); ` +
        `peak ${formatMiB(rss.peakAfterWarmup)} then ${formatMiB(rss.peakAfterMillion)} ` +
        `(${signed(rss.peakGrowth)}).`,
      "",
    );
  }
  if (result.oneFetchMs !== null) {
    const ratio = credentialProcessMedianMs === undefined
      ? null
      : serveRatio(result.oneFetchMs, credentialProcessMedianMs);
    const against = ratio === null
      ? "no credential_process median to compare with"
      : `${ratio.toPrecision(2)}× one credential_process run (median ` +
        `${formatLatency(credentialProcessMedianMs!)})`;
    lines.push(
      `One credential fetch through the running serve (p50 of wrk -t1 -c1): ` +
        `${formatLatency(result.oneFetchMs)}, ${against}.`,
      "",
    );
  }
  const t = result.targets;
  // The loads the verdicts were made on: none with errors.
  const clean = (connections: number) =>
    result.loads.find((l) => l.connections === connections && l.errors === 0);
  const at8 = clean(8);
  const at64 = clean(64);
  const shown = (text: string | undefined) => (text === undefined ? "" : ` (${text})`);
  lines.push(
    "Targets: " + [
      `p99 at 8 connections ≤ ${t.p99At8Ms} ms: ${verdict(result.met.p99At8)}` +
      shown(at8 && formatLatency(at8.p99Ms)),
      `requests/s at 64 connections ≥ ${thousands(t.rpsAt64)}: ${verdict(result.met.rpsAt64)}` +
      shown(at64 && thousands(at64.requestsPerSecond)),
      `RSS growth ≤ ${t.rssGrowthMiB} MiB: ${verdict(result.met.rssGrowth)}` +
      shown(rss ? signed(rss.growth) : undefined),
    ].join("; ") + ".",
  );
  return lines.join("\n") + "\n";
}
