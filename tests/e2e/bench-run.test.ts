// One short real run of scripts/bench.ts (3 counted runs after 1 warm-up, native binaries only,
// a budget no binary can miss): the table, results.json and cold-start.svg are written and sane.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT, runProcess } from "../support/epicac.ts";

const BUN = (globalThis as { Bun?: unknown }).Bun ? process.execPath : "bun";

interface ResultEntry {
  id: string;
  status: string;
  emulated: boolean;
  kind: string;
  reason?: string;
  command: string[];
  ratio: number | null;
  wallMs?: { count: number; min: number; median: number; p95: number; max: number };
  samplesMs: number[];
  peakRssBytes?: number;
  sizeBytes?: number;
}

test("bench: a short real run prints the table and writes sane JSON and SVG", async () => {
  const out = mkdtempSync(join(tmpdir(), "epicac-bench-test-"));
  try {
    const run = await runProcess(BUN, [
      `${ROOT}scripts/bench.ts`,
      "--runs",
      "3",
      "--warmup",
      "1",
      "--no-emulated",
      "--max-ratio",
      "1000",
      "--out",
      out,
    ], { env: { HOME: out }, cwd: ROOT, killAfterMs: 110_000 });
    assert.equal(run.code, 0, `bench failed:\n${run.stderr}\n${run.stdout}`);

    // The table: one row per candidate, the baseline and the native Bun binary measured.
    const rows = run.stdout.split("\n").filter((line) => line.startsWith("| "));
    assert.equal(rows.length, 2 + 9, run.stdout);
    assert.match(run.stdout, /^\| curl \\\| jq \(baseline\) \| default \| measured \| /m);
    assert.match(run.stdout, /^\| epicac-bun-linux-(amd64|arm64) \| default \| measured \| /m);
    assert.match(run.stdout, /^\| epicac-bun-linux-(amd64|arm64) \| --assume \| measured \| /m);
    assert.match(
      run.stdout,
      /^epicac-bun-linux-\w+ \(native\): default path median [\d.]+ ms, [\d.]+× the baseline; --assume path median [\d.]+ ms, [\d.]+× the baseline\. Baseline `curl \| jq` median [\d.]+ ms\.$/m,
    );
    assert.match(run.stdout, /^Budget: within budget: .*\(allowed: 1000×\)\.$/m);

    const doc = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    assert.equal(doc.schema, 1);
    assert.equal(doc.settings.runs, 3);
    assert.equal(doc.settings.warmup, 1);
    assert.match(doc.machine.git.revision, /^[0-9a-f]{40}$/);
    assert.match(doc.machine.runtimes.bench, /^bun \d/);
    assert.equal(doc.budget.pass, true);
    const candidates: ResultEntry[] = doc.candidates;
    assert.equal(candidates.length, 9, "every candidate is listed, measured or not");
    assert.equal(new Set(candidates.map((c) => c.id)).size, 9);
    for (const c of candidates) {
      if (c.status !== "measured") {
        assert.ok(["missing", "skipped"].includes(c.status), `${c.id}: ${c.status} ${c.reason}`);
        assert.ok(c.reason, `${c.id} says why it was not measured`);
        continue;
      }
      const s = c.wallMs!;
      assert.equal(s.count, 3, c.id);
      assert.equal(c.samplesMs.length, 3, c.id);
      assert.ok(0 < s.min && s.min <= s.median && s.median <= s.p95 && s.p95 <= s.max, c.id);
      assert.ok(c.sizeBytes! > 0, c.id);
      if (doc.settings.memoryRuns > 0) assert.ok(c.peakRssBytes! > 1024 * 1024, c.id);
      if (!c.emulated) assert.ok(c.ratio! > 0, c.id);
    }
    assert.ok(candidates.filter((c) => c.emulated).every((c) => c.status !== "measured"));
    assert.equal(candidates.find((c) => c.kind === "baseline")!.status, "measured");
    // Paths in the repository are written relative to it: the file can be committed.
    const bun = candidates.find((c) => c.id === `epicac-bun-linux-${doc.machine.arch} default`);
    assert.deepEqual(bun!.command, [`dist/epicac-bun-linux-${doc.machine.arch}`]);

    const svg = readFileSync(join(out, "cold-start.svg"), "utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /);
    assert.ok(svg.trimEnd().endsWith("</svg>"));
    assert.match(svg, />curl \| jq \(baseline\)<\/text>/);
    assert.match(svg, />[\d.]+ ms · [\d.]+×<\/text>/);
    assert.ok(!/NaN|undefined|Infinity/.test(svg));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
