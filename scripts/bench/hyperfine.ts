// The cold starts, run and timed by hyperfine, interleaved: the timed runs are split into rounds
// of at most RUNS_PER_ROUND runs, each round is one hyperfine invocation over every candidate in
// an order rotated by one place per round, and the runs of all rounds are merged per candidate.
// A burst of load on the shared machine then falls on every candidate alike, rather than on
// whichever one hyperfine was running at the time. The warm-up runs go to the first round.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Candidate } from "./candidates.ts";

export const RUNS_PER_ROUND = 3;

/** A candidate's runs over all rounds: wall times in milliseconds, and exit codes. */
export interface Timed {
  timesMs: number[];
  exitCodes: (number | null)[];
}

/** The fields used here of one hyperfine --export-json document (times in seconds). */
export interface HyperfineExport {
  results: { command: string; times: number[]; exit_codes: (number | null)[] }[];
}

/** `arg` as one word of hyperfine's -N command line, which it splits as a POSIX shell would. */
export const shellWord = (arg: string) =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;

/** hyperfine's arguments for each round; each command is named by its candidate's id. */
export function roundArgs(
  candidates: readonly Candidate[],
  options: { runs: number; warmup: number; exportFile(round: number): string },
): string[][] {
  return Array.from({ length: Math.ceil(options.runs / RUNS_PER_ROUND) }, (_, round) => {
    const turn = round % candidates.length;
    const order = [...candidates.slice(turn), ...candidates.slice(0, turn)];
    return [
      "-N",
      "--style=none",
      // A pipe, as a credential_process's caller gives (epicac refuses to print to /dev/null).
      "--output=pipe",
      // Exit codes are checked per candidate, from the export.
      "--ignore-failure",
      `--runs=${Math.min(RUNS_PER_ROUND, options.runs - round * RUNS_PER_ROUND)}`,
      `--warmup=${round === 0 ? options.warmup : 0}`,
      `--export-json=${options.exportFile(round)}`,
      ...order.flatMap((c) => ["-n", c.id, c.command.map(shellWord).join(" ")]),
    ];
  });
}

/** The runs of every round, merged per candidate id. */
export function mergeRounds(exports: readonly HyperfineExport[]): Map<string, Timed> {
  const merged = new Map<string, Timed>();
  for (const { command, times, exit_codes } of exports.flatMap((e) => e.results)) {
    const timed = merged.get(command) ?? { timesMs: [], exitCodes: [] };
    timed.timesMs.push(...times.map((seconds) => seconds * 1000));
    timed.exitCodes.push(...exit_codes);
    merged.set(command, timed);
  }
  return merged;
}

/** Times the candidates, round by round; throws with hyperfine's message when it fails. */
export function timeCandidates(
  candidates: readonly Candidate[],
  options: { runs: number; warmup: number; env: Record<string, string>; dir: string },
  log: (line: string) => void,
): Map<string, Timed> {
  if (candidates.length === 0) return new Map();
  const exportFile = (round: number) => join(options.dir, `hyperfine-${round}.json`);
  const rounds = roundArgs(candidates, { ...options, exportFile });
  return mergeRounds(rounds.map((args, round) => {
    log(`hyperfine round ${round + 1}/${rounds.length}`);
    // Bounded like the check runs: 30 s a run at most.
    const timeout = 30_000 * (RUNS_PER_ROUND + options.warmup) * candidates.length;
    const done = spawnSync("hyperfine", args, { env: options.env, cwd: options.dir, timeout });
    if (done.status !== 0) {
      throw new Error(`hyperfine failed: ${String(done.stderr).trim() || done.error?.message}`);
    }
    return JSON.parse(readFileSync(exportFile(round), "utf8"));
  }));
}

/** The middle value, or the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
