// The timing loop. Candidates are interleaved run by run (round-robin), and the order rotates
// every round, so a burst of noise on a shared machine, or a warm cache left by the previous
// process, falls on all candidates alike rather than on whichever ran during it. Peak RSS is
// taken in a few extra rounds of its own, under a runner that can measure it without adding to
// the timed runs. Every run is checked; the first bad one marks its candidate failed and drops
// its numbers.

import type { Candidate } from "./candidates.ts";
import { checkRun, type Expectation, type RunOutcome } from "./validate.ts";

export interface RunResult extends RunOutcome {
  /** Wall time from spawn to exit, in milliseconds. */
  wallMs: number;
  /** Peak resident set size, in bytes, from a runner that measures it. */
  maxRssBytes?: number;
}

/** Runs one candidate once, synchronously, and reports what happened. */
export type Runner = (candidate: Candidate) => RunResult;

export interface MeasureOptions {
  /** Counted runs per candidate. */
  runs: number;
  /** Uncounted runs first (checked all the same). */
  warmup: number;
  expectationFor(candidate: Candidate): Expectation;
  runner: Runner;
  /** Extra rounds after the timed ones, under a runner that reports peak RSS. */
  memory?: { runs: number; runner: Runner };
  /** Called after each round, for progress on stderr. */
  onRound?(round: number, rounds: number): void;
}

export interface Measurement {
  candidate: Candidate;
  /** Wall times of the counted runs, in run order. */
  wallMs: number[];
  /** Peak RSS of the memory runs, in bytes (empty without a memory runner). */
  maxRssBytes: number[];
  /** Set when a run failed: which run, and what was wrong. */
  failure?: string;
}

/** `items` rotated left by `by` places. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const start = by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/** "warm-up run 1", "counted run 3" or "memory run 2", for failure messages. */
function runName(round: number, warmup: number, timed: number): string {
  if (round < warmup) return `warm-up run ${round + 1}`;
  if (round < timed) return `counted run ${round - warmup + 1}`;
  return `memory run ${round - timed + 1}`;
}

/** Lets pending events (a Ctrl-C, a SIGTERM) be handled between two runs. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Measures the candidates whose status is "ready"; the others are returned untouched. Each run
 * is synchronous; between runs the event loop gets a turn, outside the timed span.
 */
export async function measure(
  candidates: readonly Candidate[],
  options: MeasureOptions,
): Promise<Measurement[]> {
  const measurements = candidates.map((candidate): Measurement => ({
    candidate,
    wallMs: [],
    maxRssBytes: [],
  }));
  const timed = options.warmup + options.runs;
  const rounds = timed + (options.memory?.runs ?? 0);
  for (let round = 0; round < rounds; round++) {
    const active = measurements.filter((m) => m.candidate.status === "ready" && !m.failure);
    const memoryRound = round >= timed;
    const runner = memoryRound ? options.memory!.runner : options.runner;
    for (const m of rotate(active, round)) {
      const result = runner(m.candidate);
      const problem = checkRun(result, options.expectationFor(m.candidate));
      if (problem) {
        m.failure = `${runName(round, options.warmup, timed)}: ${problem}`;
        m.wallMs = [];
        m.maxRssBytes = [];
      } else if (memoryRound) {
        if (result.maxRssBytes !== undefined) m.maxRssBytes.push(result.maxRssBytes);
      } else if (round >= options.warmup) {
        m.wallMs.push(result.wallMs);
      }
      await yieldToEvents();
    }
    options.onRound?.(round + 1, rounds);
  }
  return measurements;
}
