// One short real run of scripts/bench.ts (3 counted runs after 1 warm-up, native binaries only,
// a budget no binary can miss): the floors are built and timed, and the table, results.json and
// cold-start.svg are written and sane.

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
  floor: { id: string; medianMs: number; ratio: number } | null;
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
      "--serve-seconds",
      "1",
      "--serve-requests",
      "20000",
      "--out",
      out,
    ], { env: { HOME: out }, cwd: ROOT, killAfterMs: 170_000 });
    assert.equal(run.code, 0, `bench failed:\n${run.stderr}\n${run.stdout}`);

    // The table: one row per candidate, the baseline and the native Bun binary measured.
    const coldStart = run.stdout.split("\n## serve\n")[0];
    const rows = coldStart.split("\n").filter((line) => line.startsWith("| "));
    assert.equal(rows.length, 2 + 15, run.stdout);
    assert.match(run.stdout, /^\| curl \\\| jq \(baseline\) \| default \| measured \| /m);
    assert.match(run.stdout, /^\| epicac-bun-linux-(amd64|arm64) \| default \| measured \| /m);
    assert.match(run.stdout, /^\| epicac-bun-linux-(amd64|arm64) \| --assume \| measured \| /m);
    assert.match(run.stdout, /^\| bare fetch \(bun floor\) \| default \| measured \| /m);
    assert.match(
      run.stdout,
      /^\| bare fetch \+ AssumeRole \(bun floor\) \| --assume \| measured \| /m,
    );
    assert.match(
      run.stdout,
      /^epicac-bun-linux-\w+ \(native\): default path median [\d.]+ ms, [\d.]+× the baseline, [\d.]+× its floor \([\d.]+ ms\); --assume path median [\d.]+ ms, [\d.]+× the baseline, [\d.]+× its floor \([\d.]+ ms\)\. Baseline `curl \| jq` median [\d.]+ ms\. An application calling the module's fromContainer\(\): median [\d.]+ ms, [\d.]+× the bare fetch\.$/m,
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
    assert.equal(candidates.length, 15, "every candidate is listed, measured or not");
    assert.equal(new Set(candidates.map((c) => c.id)).size, 15);
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
    // Each measured native path is compared with its floor, measured in the same run, and so
    // is the application that uses the module.
    const compared = [
      [`epicac-bun-linux-${doc.machine.arch} default`, "default"],
      [`epicac-bun-linux-${doc.machine.arch} assume`, "assume"],
      ["module-bun default", "default"],
    ];
    for (const [id, path] of compared) {
      const epicac = candidates.find((c) => c.id === id)!;
      assert.equal(epicac.status, "measured", `${id}: ${epicac.reason}`);
      const floor = candidates.find((c) => c.id === `floor-bun ${path}`)!;
      assert.equal(floor.status, "measured", `${floor.id}: ${floor.reason}`);
      assert.equal(epicac.floor!.id, floor.id);
      assert.equal(epicac.floor!.medianMs, floor.wallMs!.median);
      assert.equal(epicac.floor!.ratio, epicac.wallMs!.median / floor.wallMs!.median);
    }

    // The serve section: measured where wrk is installed, else listed with the reason.
    const serve = doc.serve;
    assert.ok(serve, "results.json has a serve section");
    assert.match(run.stdout, /^## serve$/m);
    if (serve.status === "missing") {
      assert.match(serve.reason, /wrk/);
    } else {
      assert.equal(serve.status, "measured", serve.reason);
      assert.deepEqual(serve.loads.map((l: { connections: number }) => l.connections), [8, 64]);
      for (const load of serve.loads) {
        assert.equal(load.errors, 0);
        assert.ok(load.requestsPerSecond > 0 && load.p50Ms > 0 && load.p99Ms >= load.p50Ms);
      }
      assert.ok(serve.totalRequests >= 20000, String(serve.totalRequests));
      assert.ok(serve.rssMiB.afterWarmup > 1 && serve.rssMiB.afterMillion > 1);
      assert.ok(serve.oneFetchMs > 0);
      assert.equal(serve.oneFetchOverCredentialProcess, serve.oneFetchMs / bun!.wallMs!.median);
      assert.match(run.stdout, /^\| 64 \| 2 \| [\d.]+ \| [\d,]+ \| /m);
      assert.match(
        run.stdout,
        /^One credential fetch through the running serve .*× one credential_process run/m,
      );
    }

    const svg = readFileSync(join(out, "cold-start.svg"), "utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /);
    assert.ok(svg.trimEnd().endsWith("</svg>"));
    assert.match(svg, />curl \| jq \(baseline\)<\/text>/);
    assert.match(svg, />[\d.]+ ms · [\d.]+× · [\d.]+× floor<\/text>/);
    assert.ok(!/NaN|undefined|Infinity/.test(svg));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
