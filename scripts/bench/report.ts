// The human report (a Markdown table and a closing note, then the serve section, for stdout) and
// the JSON document (bench/results.json).

import { BASELINE_SCRIPT } from "./candidates.ts";
import type { BudgetVerdict } from "./budget.ts";
import type { CandidateResult } from "./results.ts";
import type { MachineInfo } from "./machine.ts";
import { type ServeBenchResult, serveMarkdown, serveRatio } from "./serve.ts";

export interface Settings {
  runs: number;
  warmup: number;
  /** Extra runs per candidate under GNU time, for peak RSS (0 when it is not installed). */
  memoryRuns: number;
}

export const METHOD = {
  order: "round-robin: one run of each candidate per round, the order rotated every round",
  wallTime: "spawn to exit of the whole process, timed by the benchmark around Bun.spawnSync",
  peakRss: "the largest ru_maxrss of a few extra runs per candidate under GNU time " +
    "(/usr/bin/time -f %M), which is the largest single process of the run: for the baseline " +
    "the largest of sh, curl and jq (which run at once, so together they use more), and for an " +
    "emulated binary qemu-user's own",
  size: "the binary; for the baseline the curl and jq executables only, without their shared " +
    "libraries",
  floors: "minimal reference programs compiled in the same run with the same runtime and " +
    "flags as epicac (scripts/bun-compile-flags): default path, read the token file, GET the " +
    "agent, print; --assume path, the same and one bare @aws-sdk/client-sts AssumeRole " +
    "(scripts/bench/floors/)",
  validation: "every run, warm-up included, must exit 0 and print one line of credential_process " +
    "JSON with the credentials the loopback peers served; the first bad run fails the candidate",
  baseline: {
    runAs: "sh -c SCRIPT, one whole process like any credential_process (sh included)",
    script: BASELINE_SCRIPT,
    changedFromSeed: "curl -s: without it curl writes a progress meter to stderr",
  },
} as const;

export function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

export function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1 ? `${mib.toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

export function formatRatio(result: CandidateResult): string {
  if (result.ratio !== null) return `${result.ratio.toFixed(2)}×`;
  if (result.status !== "measured") return "—";
  return result.emulated ? "n/a (emulated)" : "n/a (no baseline)";
}

/** An epicac candidate's ratio to its floor; "—" for the baseline and the floors themselves. */
export function formatFloorRatio(result: CandidateResult): string {
  if (result.floor) return `${result.floor.ratio.toFixed(2)}×`;
  if ((result.kind !== "epicac" && result.kind !== "module") || result.status !== "measured") {
    return "—";
  }
  return result.emulated ? "n/a (emulated)" : "n/a (no floor)";
}

const PATH_LABEL = { default: "default", assume: "--assume" } as const;

export function markdownTable(results: readonly CandidateResult[]): string {
  const header = [
    "Candidate",
    "Path",
    "Status",
    "Min",
    "Median",
    "p95",
    "Max",
    "× baseline",
    "× floor",
    "Peak RSS",
    "Size",
  ];
  const rows = results.map((r) => {
    const s = r.wallMs;
    const dash = "—";
    return [
      r.label,
      PATH_LABEL[r.path],
      r.status,
      s ? formatMs(s.min) : dash,
      s ? formatMs(s.median) : dash,
      s ? formatMs(s.p95) : dash,
      s ? formatMs(s.max) : dash,
      formatRatio(r),
      formatFloorRatio(r),
      r.peakRssBytes !== undefined ? formatBytes(r.peakRssBytes) : dash,
      r.sizeBytes !== undefined ? formatBytes(r.sizeBytes) : dash,
    ];
  });
  // A "|" inside a cell (the baseline's name) would end the cell.
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** One line per candidate that was not measured, with the reason: nothing is left out silently. */
export function notMeasuredNotes(results: readonly CandidateResult[]): string[] {
  return results
    .filter((r) => r.status !== "measured")
    .map((r) => `- ${r.label} ${PATH_LABEL[r.path]}: ${r.status.toUpperCase()}: ${r.reason ?? ""}`);
}

/**
 * The closing note: the native Bun binary's medians and ratios to the baseline and to each
 * path's floor (with the floor's own median), the README's headline figures.
 */
export function closingNote(results: readonly CandidateResult[], nativeArch: string): string {
  const baseline = results.find((r) => r.kind === "baseline");
  const bun = (path: "default" | "assume") =>
    results.find((r) =>
      r.kind === "epicac" && r.runtime === "bun" && r.arch === nativeArch && r.path === path
    );
  if (!baseline?.wallMs) {
    return `No ratios: the baseline was not measured (${baseline?.reason ?? "absent"}).`;
  }
  const parts = (["default", "assume"] as const).map((path) => {
    const r = bun(path);
    const what = `${PATH_LABEL[path]} path`;
    if (!r?.wallMs || r.ratio === null) return `${what} not measured (${r?.reason ?? "absent"})`;
    const floor = r.floor
      ? `${r.floor.ratio.toFixed(2)}× its floor (${formatMs(r.floor.medianMs)})`
      : "no floor measured";
    return `${what} median ${formatMs(r.wallMs.median)}, ${
      r.ratio.toFixed(2)
    }× the baseline, ${floor}`;
  });
  const module = results.find((r) => r.kind === "module" && r.runtime === "bun");
  const moduleNote = module?.floor
    ? ` An application calling the module's fromContainer(): median ${
      formatMs(module.wallMs!.median)
    }, ${module.floor.ratio.toFixed(2)}× the bare fetch.`
    : "";
  return `epicac-bun-linux-${nativeArch} (native): ${parts.join("; ")}. ` +
    `Baseline \`curl | jq\` median ${formatMs(baseline.wallMs.median)}.${moduleNote}`;
}

export const NO_RSS = "not measured: /usr/bin/time (GNU time) is not installed " +
  "(apt-get install time); Bun's own resourceUsage cannot be used, because a child started " +
  "with vfork reports at least its parent's RSS";

export interface ReportInput {
  machine: MachineInfo;
  /** false when GNU time was not there to measure peak RSS. */
  rssMeasured: boolean;
  settings: Settings;
  results: readonly CandidateResult[];
  budget?: BudgetVerdict;
  /** The serve section, when it was run. */
  serve?: ServeBenchResult;
  files?: string[];
}

/** The native Bun binary's default-path median: what one credential_process run costs. */
function credentialProcessMs(input: ReportInput): number | undefined {
  return input.results.find((r) =>
    r.kind === "epicac" && r.runtime === "bun" && r.arch === input.machine.arch &&
    r.path === "default"
  )?.wallMs?.median;
}

export function markdownReport(input: ReportInput): string {
  const { machine, settings, results, budget } = input;
  const lines = [
    "## epicac cold start",
    "",
    `${settings.runs} counted runs per candidate after ${settings.warmup} warm-up, round-robin; ` +
    `linux-${machine.arch}, ${machine.cpuModel} (${machine.cpus} cores), ` +
    `git ${machine.git.revision?.slice(0, 12) ?? "unknown"}${machine.git.dirty ? " (dirty)" : ""}.`,
    "",
    markdownTable(results),
    "",
  ];
  const notes = notMeasuredNotes(results);
  if (notes.length > 0) lines.push("Not measured:", "", ...notes, "");
  lines.push(
    "Wall time: " + METHOD.wallTime + ". Peak RSS: " +
      (input.rssMeasured ? METHOD.peakRss : NO_RSS) + ". Size: " + METHOD.size +
      ". Emulated (qemu-user) candidates get no ratio: they are not comparable with native ones.",
    "",
    closingNote(results, machine.arch),
  );
  if (budget) lines.push("", `Budget: ${budget.message}.`);
  if (input.serve) lines.push("", serveMarkdown(input.serve, credentialProcessMs(input)).trimEnd());
  if (input.files?.length) lines.push("", `Wrote ${input.files.join(" and ")}.`);
  return lines.join("\n") + "\n";
}

/** results.json: commands name files relative to the repository, so the file is commit-friendly. */
export function resultsDocument(input: ReportInput, root: string): unknown {
  const relative = (arg: string) => (arg.startsWith(root) ? arg.slice(root.length) : arg);
  return {
    schema: 1,
    generatedAt: new Date().toISOString(),
    machine: input.machine,
    settings: input.settings,
    method: input.rssMeasured ? METHOD : { ...METHOD, peakRss: NO_RSS },
    budget: input.budget ?? null,
    candidates: input.results.map((r) => ({ ...r, command: r.command.map(relative) })),
    serve: input.serve ? serveDocument(input.serve, credentialProcessMs(input), relative) : null,
  };
}

function serveDocument(
  serve: ServeBenchResult,
  credentialProcess: number | undefined,
  relative: (arg: string) => string,
) {
  const ratio = serve.oneFetchMs !== null && credentialProcess !== undefined
    ? serveRatio(serve.oneFetchMs, credentialProcess)
    : null;
  return { ...serve, binary: relative(serve.binary), oneFetchOverCredentialProcess: ratio };
}
