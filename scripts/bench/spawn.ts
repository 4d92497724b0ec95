// Runs one candidate once with Bun.spawnSync: a blocking spawn-to-exit with no event loop in
// between. Bun's own types are not used so that `deno check` can check this file; the few fields
// needed are declared below.
//
// Peak RSS does not come from Bun.spawnSync's resourceUsage: Bun starts children with vfork, and
// Linux records the parent's high-water RSS in the child at exec, so every child would report at
// least the benchmark's own RSS (tens of MiB). GNU time forks from its own small process and
// reports the child's ru_maxrss (%M), so the memory runs go through /usr/bin/time instead.

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Candidate } from "./candidates.ts";
import type { Runner, RunResult } from "./measure.ts";

interface SpawnSyncResult {
  exitCode: number | null;
  signalCode?: string | null;
  stdout?: Uint8Array;
  stderr?: Uint8Array;
  exitedDueToTimeout?: boolean;
}

export interface BunApi {
  version: string;
  spawnSync(command: string[], options: {
    env: Record<string, string>;
    cwd?: string;
    stdin: "ignore";
    stdout: "pipe";
    stderr: "pipe";
    timeout: number;
  }): SpawnSyncResult;
}

/** Bun's global when running under Bun, else undefined. */
export function bunApi(): BunApi | undefined {
  return (globalThis as { Bun?: BunApi }).Bun;
}

/** Generous bounds: epicac's own --deadline is 5 s; qemu-user is far slower than native. */
const NATIVE_TIMEOUT_MS = 30_000;
const EMULATED_TIMEOUT_MS = 120_000;

export const GNU_TIME = "/usr/bin/time";

function run(
  bun: BunApi,
  command: string[],
  emulated: boolean,
  env: Record<string, string>,
  cwd: string,
): RunResult {
  const decoder = new TextDecoder();
  const started = performance.now();
  let result: SpawnSyncResult;
  try {
    result = bun.spawnSync(command, {
      env,
      cwd,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: emulated ? EMULATED_TIMEOUT_MS : NATIVE_TIMEOUT_MS,
    });
  } catch (error) {
    // Not executable, or gone: a failed run like any other, not a crash of the benchmark.
    const why = error instanceof Error ? error.message : String(error);
    return {
      wallMs: 0,
      exitCode: 127,
      timedOut: false,
      stdout: "",
      stderr: `cannot start: ${why}`,
    };
  }
  const wallMs = performance.now() - started;
  return {
    wallMs,
    exitCode: result.exitCode,
    signal: result.signalCode ?? null,
    timedOut: result.exitedDueToTimeout === true,
    stdout: result.stdout ? decoder.decode(result.stdout) : "",
    stderr: result.stderr ? decoder.decode(result.stderr) : "",
  };
}

/** The timing Runner: the candidate's command alone, with exactly `env` and `cwd`. */
export function bunRunner(bun: BunApi, env: Record<string, string>, cwd: string): Runner {
  return (candidate: Candidate) => run(bun, candidate.command, candidate.emulated, env, cwd);
}

/** The peak RSS in bytes from GNU time's `-f %M` output file (KiB on its last line). */
export function parseGnuTimeKib(text: string): number | undefined {
  const last = text.trim().split("\n").at(-1)?.trim() ?? "";
  return /^\d+$/.test(last) ? Number(last) * 1024 : undefined;
}

/**
 * The memory Runner: the command under `/usr/bin/time -f %M`, or undefined when GNU time is not
 * installed (checked by measuring /bin/true once).
 */
export function gnuTimeRunner(
  bun: BunApi,
  env: Record<string, string>,
  cwd: string,
): Runner | undefined {
  const report = join(cwd, "gnu-time.out");
  const measureUnder = (command: string[], emulated: boolean) => {
    rmSync(report, { force: true });
    const result = run(bun, [GNU_TIME, "-f", "%M", "-o", report, ...command], emulated, env, cwd);
    let bytes: number | undefined;
    try {
      bytes = parseGnuTimeKib(readFileSync(report, "utf8"));
    } catch {
      bytes = undefined;
    }
    return { ...result, ...(bytes === undefined ? {} : { maxRssBytes: bytes }) };
  };
  try {
    if (measureUnder(["true"], false).maxRssBytes === undefined) return undefined;
  } catch {
    return undefined;
  }
  return (candidate: Candidate) => measureUnder(candidate.command, candidate.emulated);
}
