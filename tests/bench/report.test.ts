// scripts/bench/results.ts, budget.ts, report.ts and svg.ts on hand-made measurements: ratios
// against the baseline (none for emulated runs) and against each path's floor, the --max-ratio
// budget at, over and under its limit, and a report and chart that list missing candidates
// instead of dropping them.

import { test } from "node:test";
import assert from "node:assert/strict";
import { type Candidate, floorId } from "../../scripts/bench/candidates.ts";
import type { Measurement } from "../../scripts/bench/measure.ts";
import { budgetCandidateId, checkBudget, exitCodeFor } from "../../scripts/bench/budget.ts";
import { type CandidateResult, toResult, withRatios } from "../../scripts/bench/results.ts";
import { closingNote, markdownTable, notMeasuredNotes } from "../../scripts/bench/report.ts";
import { coldStartSvg } from "../../scripts/bench/svg.ts";

function candidate(
  id: string,
  overrides: Partial<Candidate> = {},
): Candidate {
  return {
    id,
    label: id.split(" ")[0],
    kind: "epicac",
    runtime: "bun",
    arch: "amd64",
    path: id.endsWith("assume") ? "assume" : "default",
    emulated: false,
    command: [id],
    files: [`/dist/${id.split(" ")[0]}`],
    status: "ready",
    ...overrides,
  };
}

function measured(c: Candidate, wallMs: number[], failure?: string): Measurement {
  return { candidate: c, wallMs, maxRssBytes: wallMs.length ? [30 << 20, 32 << 20] : [], failure };
}

const BUN = budgetCandidateId("amd64");

/**
 * A run with baseline median 20 ms, the native Bun default path at `bunMedian` ms, its floor at
 * 25 ms, and the --assume floor not built.
 */
function results(bunMedian: number, overrides: { baseline?: Partial<Candidate> } = {}) {
  const size = (file: string) => (file.startsWith("/dist/") ? 100 << 20 : undefined);
  return withRatios([
    measured(
      candidate("baseline", {
        kind: "baseline",
        runtime: undefined,
        label: "curl | jq (baseline)",
        files: [],
        ...overrides.baseline,
      }),
      [19, 20, 21],
    ),
    measured(
      candidate(floorId("bun", "default"), { kind: "floor", label: "bare fetch (bun floor)" }),
      [24, 25, 26],
    ),
    measured(
      candidate("module-bun default", {
        kind: "module",
        label: "module fromContainer() (bun app)",
      }),
      [26, 27.5, 29],
    ),
    measured(
      candidate(floorId("bun", "assume"), {
        kind: "floor",
        label: "bare fetch + AssumeRole (bun floor)",
        status: "missing",
        reason: "the bun build failed",
      }),
      [],
    ),
    measured(candidate(BUN), [bunMedian - 1, bunMedian, bunMedian + 1]),
    measured(candidate("epicac-bun-linux-amd64 assume"), [59, 60, 61]),
    measured(
      candidate("epicac-deno-linux-amd64 default", {
        runtime: "deno",
        status: "missing",
        reason: "dist/epicac-deno-linux-amd64 was not built",
      }),
      [],
    ),
    measured(
      candidate("epicac-bun-linux-arm64 default", {
        label: "epicac-bun-linux-arm64 (emulated)",
        arch: "arm64",
        emulated: true,
      }),
      [700, 710, 720],
    ),
  ].map((m) => toResult(m, size)));
}

const find = (list: CandidateResult[], id: string) => list.find((r) => r.id === id)!;

test("results: ratios are medians over the baseline's; emulated candidates get none", () => {
  const list = results(30);
  assert.equal(find(list, "baseline").ratio, 1);
  assert.equal(find(list, BUN).ratio, 1.5);
  assert.equal(find(list, "epicac-bun-linux-amd64 assume").ratio, 3);
  assert.equal(find(list, "epicac-bun-linux-arm64 default").ratio, null);
  assert.equal(find(list, "epicac-deno-linux-amd64 default").ratio, null);
  assert.deepEqual(find(list, BUN).wallMs, { count: 3, min: 29, median: 30, p95: 31, max: 31 });
  assert.equal(find(list, BUN).peakRssBytes, 32 << 20);
  assert.equal(find(list, BUN).sizeBytes, 100 << 20);
});

test("results: an epicac path's floor ratio is over its own runtime and path's floor", () => {
  const list = results(30);
  assert.deepEqual(find(list, BUN).floor, {
    id: floorId("bun", "default"),
    medianMs: 25,
    ratio: 1.2,
  });
  assert.equal(find(list, floorId("bun", "default")).ratio, 1.25, "a floor has a baseline ratio");
  assert.equal(find(list, floorId("bun", "default")).floor, null, "but no floor of its own");
  assert.equal(find(list, "epicac-bun-linux-amd64 assume").floor, null, "its floor is missing");
  assert.equal(find(list, "epicac-bun-linux-arm64 default").floor, null, "emulated");
  assert.equal(find(list, "module-bun default").floor?.ratio, 1.1, "the module's app, too");
});

test("budget: under, at and over the limit", () => {
  const list = results(30); // ratio 1.5
  assert.equal(checkBudget(list, 2, BUN).pass, true);
  const at = checkBudget(list, 1.5, BUN);
  assert.equal(at.pass, true, "a ratio equal to the budget is within it");
  assert.equal(at.ratio, 1.5);
  const over = checkBudget(list, 1.49, BUN);
  assert.equal(over.pass, false);
  assert.match(over.message, /over budget: .*1\.50× .*1\.49×/);
  assert.equal(exitCodeFor(list, over), 1);
  assert.equal(exitCodeFor(list, at), 0);
  assert.equal(exitCodeFor(list), 0, "no budget asked: no budget failure");
});

test("budget: fails when the baseline or the Bun binary was not measured", () => {
  const noBaseline = results(30, { baseline: { status: "missing", reason: "jq not on PATH" } });
  const verdict = checkBudget(noBaseline, 100, BUN);
  assert.equal(verdict.pass, false);
  assert.match(verdict.message, /cannot check .*baseline .*missing: jq not on PATH/);
  assert.equal(find(noBaseline, BUN).ratio, null);

  const failedBun = withRatios(
    results(30).map((r) =>
      r.id === BUN ? { ...r, status: "failed" as const, reason: "counted run 1: exited with 1" } : r
    ),
  );
  const failed = checkBudget(failedBun, 100, BUN);
  assert.equal(failed.pass, false);
  assert.match(failed.message, /cannot check .*failed: counted run 1/);
  assert.equal(exitCodeFor(failedBun), 1, "a failed candidate fails the run by itself");
});

test("report: missing candidates stay in the table and the notes, with the reason", () => {
  const list = results(30);
  const table = markdownTable(list);
  const rows = table.split("\n");
  assert.equal(rows.length, 2 + list.length, "one row per candidate");
  assert.match(
    table,
    /\| curl \\\| jq \(baseline\) \| default \| measured \| 19\.0 ms \| 20\.0 ms /,
  );
  assert.match(table, /\| epicac-deno-linux-amd64 \| default \| missing \| — \|/);
  assert.match(table, /\| epicac-bun-linux-arm64 \(emulated\) .* n\/a \(emulated\) \|/);
  assert.match(table, /\| 1\.50× \| 1\.20× \| 32\.0 MiB \| 100\.0 MiB \|/);
  assert.match(table, /\| bare fetch \(bun floor\) \| default \| measured \| .* \| 1\.25× \| — \|/);
  assert.match(
    table,
    /\| epicac-bun-linux-amd64 \| --assume \| .* \| 3\.00× \| n\/a \(no floor\) \|/,
  );
  assert.deepEqual(notMeasuredNotes(list), [
    "- bare fetch + AssumeRole (bun floor) --assume: MISSING: the bun build failed",
    "- epicac-deno-linux-amd64 default: MISSING: dist/epicac-deno-linux-amd64 was not built",
  ]);
  assert.equal(
    closingNote(list, "amd64"),
    "epicac-bun-linux-amd64 (native): default path median 30.0 ms, 1.50× the baseline, " +
      "1.20× its floor (25.0 ms); --assume path median 60.0 ms, 3.00× the baseline, " +
      "no floor measured. Baseline `curl | jq` median 20.0 ms. An application calling the " +
      "module's fromContainer(): median 27.5 ms, 1.10× the bare fetch.",
  );
});

test("svg: one row per candidate, missing ones marked, same input gives the same bytes", () => {
  const list = results(30);
  const svg = coldStartSvg(list, { arch: "amd64", runs: 3, warmup: 1 });
  assert.equal(svg, coldStartSvg(list, { arch: "amd64", runs: 3, warmup: 1 }));
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*viewBox=/);
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.match(svg, />curl \| jq \(baseline\)<\/text>/);
  assert.match(svg, />30\.0 ms · 1\.50× · 1\.20× floor<\/text>/);
  assert.match(svg, />bare fetch \(bun floor\)<\/text>/);
  assert.match(svg, />epicac-deno-linux-amd64<\/text>\n<text [^>]*class="absent">missing</);
  assert.match(svg, /Emulated linux-arm64 under qemu-user/);
  assert.match(svg, />710\.0 ms<\/text>/, "emulated: a time, no ratio");
  assert.equal((svg.match(/<rect /g) ?? []).length, 1 + 6, "background and six bars");
  assert.ok(!/NaN|undefined|Infinity/.test(svg));
});
