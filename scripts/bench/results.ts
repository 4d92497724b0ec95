// Measurements turned into what is reported per candidate: status, wall-time statistics, peak
// RSS, file size, the ratio to the baseline's median and the ratio to its floor's.

import { type Candidate, floorId } from "./candidates.ts";
import type { Measurement } from "./measure.ts";
import { summarize, type Summary } from "./stats.ts";

export type ResultStatus = "measured" | "failed" | "missing" | "skipped";

/** What was measured, labelled like the candidate it was measured for. */
export interface CandidateResult extends
  Pick<
    Candidate,
    "id" | "label" | "kind" | "runtime" | "arch" | "path" | "emulated" | "command"
  > {
  status: ResultStatus;
  /** Why it was not measured: missing, skipped, or the failed run and what was wrong. */
  reason?: string;
  /** Total size of `files` in bytes; undefined when none of them exists. */
  sizeBytes?: number;
  wallMs?: Summary;
  /** The counted wall times, in run order. */
  samplesMs: number[];
  /** The largest peak RSS over the counted runs, in bytes. */
  peakRssBytes?: number;
  /** Median over the baseline's median; null when not compared (emulated, or no baseline). */
  ratio: number | null;
  /**
   * An epicac (or module) candidate's median over its floor's (same runtime and path), with the floor's
   * median beside it; null when not compared (emulated, or the floor was not measured).
   */
  floor: { id: string; medianMs: number; ratio: number } | null;
}

/** A candidate's result, before ratios are known. */
export function toResult(m: Measurement, sizeOf: (file: string) => number | undefined) {
  const c: Candidate = m.candidate;
  const sizes = c.files.map(sizeOf).filter((size): size is number => size !== undefined);
  const status: ResultStatus = c.status === "missing"
    ? "missing"
    : c.status === "skipped"
    ? "skipped"
    : m.failure
    ? "failed"
    : "measured";
  const result: CandidateResult = {
    id: c.id,
    label: c.label,
    kind: c.kind,
    ...(c.runtime ? { runtime: c.runtime } : {}),
    arch: c.arch,
    path: c.path,
    emulated: c.emulated,
    status,
    ...(m.failure ? { reason: m.failure } : c.reason ? { reason: c.reason } : {}),
    command: c.command,
    ...(sizes.length > 0 ? { sizeBytes: sizes.reduce((a, b) => a + b, 0) } : {}),
    samplesMs: status === "measured" ? m.wallMs : [],
    ratio: null,
    floor: null,
  };
  if (status === "measured" && m.wallMs.length > 0) result.wallMs = summarize(m.wallMs);
  if (status === "measured" && m.maxRssBytes.length > 0) {
    result.peakRssBytes = Math.max(...m.maxRssBytes);
  }
  return result;
}

/**
 * Sets each measured native candidate's ratio to the baseline's median, when the baseline was
 * measured, and each epicac candidate's ratio to its floor's. Emulated candidates keep null:
 * qemu-user time says nothing about native speed.
 */
export function withRatios(results: CandidateResult[]): CandidateResult[] {
  const baseline = results.find((r) => r.kind === "baseline");
  const base = baseline?.status === "measured" ? baseline.wallMs?.median : undefined;
  const medianOf = (id: string) => results.find((r) => r.id === id)?.wallMs?.median;
  return results.map((r) => {
    if (r.kind === "baseline") return { ...r, ratio: base === undefined ? null : 1 };
    const comparable = !r.emulated && r.wallMs !== undefined;
    const ratio = comparable && base !== undefined && base > 0 ? r.wallMs!.median / base : null;
    const id = r.runtime ? floorId(r.runtime, r.path) : undefined;
    const floorMs = (r.kind === "epicac" || r.kind === "module") && id ? medianOf(id) : undefined;
    const floor = comparable && floorMs !== undefined && floorMs > 0
      ? { id: id!, medianMs: floorMs, ratio: r.wallMs!.median / floorMs }
      : null;
    return { ...r, ratio, floor };
  });
}
