// The ratio budget (--max-ratio): epicac's native Bun binary, on the default path, may take at
// most R times the baseline's median cold start measured in the same run. Ratios, not absolute
// times, because a shared machine's noise moves both alike.

import type { Arch } from "./candidates.ts";
import type { CandidateResult } from "./results.ts";

export interface BudgetVerdict {
  maxRatio: number;
  candidateId: string;
  /** The measured ratio; undefined when it could not be measured. */
  ratio?: number;
  pass: boolean;
  message: string;
}

/** The candidate the budget applies to: the Bun binary for this machine, default path. */
export function budgetCandidateId(nativeArch: Arch): string {
  return `epicac-bun-linux-${nativeArch} default`;
}

/** Passes when the ratio is at most maxRatio; fails when it is over, or cannot be measured. */
export function checkBudget(
  results: readonly CandidateResult[],
  maxRatio: number,
  candidateId: string,
): BudgetVerdict {
  const verdict = (pass: boolean, message: string, ratio?: number): BudgetVerdict => ({
    maxRatio,
    candidateId,
    ...(ratio === undefined ? {} : { ratio }),
    pass,
    message,
  });
  const baseline = results.find((r) => r.kind === "baseline");
  const candidate = results.find((r) => r.id === candidateId);
  if (!baseline || baseline.status !== "measured") {
    return verdict(
      false,
      `cannot check the budget: the baseline was not measured (${baseline?.status ?? "absent"}${
        baseline?.reason ? `: ${baseline.reason}` : ""
      })`,
    );
  }
  if (!candidate || candidate.status !== "measured" || candidate.ratio === null) {
    return verdict(
      false,
      `cannot check the budget: ${candidateId} was not measured (${candidate?.status ?? "absent"}${
        candidate?.reason ? `: ${candidate.reason}` : ""
      })`,
    );
  }
  const ratio = candidate.ratio;
  const shown = `${candidateId} median is ${ratio.toFixed(2)}× the baseline's`;
  return ratio > maxRatio
    ? verdict(false, `over budget: ${shown}, more than the allowed ${maxRatio}×`, ratio)
    : verdict(true, `within budget: ${shown} (allowed: ${maxRatio}×)`, ratio);
}

/** 1 when a candidate failed a run or the budget was not met, else 0. */
export function exitCodeFor(results: readonly CandidateResult[], verdict?: BudgetVerdict): number {
  if (results.some((r) => r.status === "failed")) return 1;
  if (verdict && !verdict.pass) return 1;
  return 0;
}
