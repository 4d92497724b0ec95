// One short real run of scripts/bench.ts (2 timed runs, 1 s serve loads, 4 pods, gates no binary
// can miss): the floors are built, the candidates checked and timed by hyperfine, serve and its
// floor loaded by wrk, epicac node too against serve, its cold path run on a fresh node, and
// results.json and results.md written with every ratio, results.md being what the run printed.

import { test } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT, runProcess } from "../support/epicac.ts";

const BUN = (globalThis as { Bun?: unknown }).Bun ? process.execPath : "bun";
/** wrk is optional in scripts/ensure-system-packages: without it, serve is listed as missing. */
const WRK = !spawnSync("wrk").error;

test("bench: a short real run writes results.json and results.md with every ratio", async () => {
  const out = mkdtempSync(join(tmpdir(), "epicac-bench-test-"));
  try {
    const run = await runProcess(BUN, [
      `${ROOT}scripts/bench.ts`,
      ...["--runs", "2", "--warmup", "0", "--max-ratio", "1000"],
      ...(WRK ? ["--min-serve-ratio", "0.001"] : []),
      ...["--serve-seconds", "1", "--serve-requests", "1000", "--node-pods", "4", "--out", out],
    ], { env: { HOME: out }, cwd: ROOT, killAfterMs: 170_000 });
    assert.equal(run.code, 0, `bench failed:\n${run.stderr}\n${run.stdout}`);
    const md = readFileSync(join(out, "results.md"), "utf8");
    assert.equal(run.stdout, md, "make bench prints results.md");

    const doc = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    assert.equal(doc.schema, 2);
    assert.match(doc.machine.git.revision, /^[0-9a-f]{40}$/);
    assert.equal(typeof doc.machine.git.dirty, "boolean");
    assert.match(doc.machine.tools.hyperfine, /^hyperfine \d/);
    const arch = doc.machine.arch;
    const entry = (id: string) => doc.coldStart.find((r: { id: string }) => r.id === id);
    for (const id of ["baseline", "floor-bun default", "floor-bun assume"]) {
      assert.equal(entry(id).status, "measured", `${id}: ${entry(id).reason}`);
      assert.equal(entry(id).timesMs.length, 2);
    }
    for (
      const [id, floor] of [
        [`epicac-bun-linux-${arch} default`, "floor-bun default"],
        [`epicac-bun-linux-${arch} assume`, "floor-bun assume"],
        ["module-bun default", "floor-bun default"],
      ]
    ) {
      const r = entry(id);
      assert.equal(r.status, "measured", `${id}: ${r.reason}`);
      assert.ok(r.peakRssMiB > 1, id);
      assert.equal(r.vsBaseline, r.medianMs / entry("baseline").medianMs, id);
      assert.equal(r.vsFloor, r.medianMs / entry(floor).medianMs, id);
      assert.ok(md.includes(`| ${r.label} | ${r.path} | `), `${id} has a row`);
    }
    // Files in the repository are named relative to it: the document can be committed.
    assert.deepEqual(entry(`epicac-bun-linux-${arch} default`).command, [
      `dist/epicac-bun-linux-${arch}`,
    ]);
    for (const r of doc.coldStart.filter((r: { status: string }) => r.status !== "measured")) {
      assert.equal(r.status, "missing", `${r.id}: ${r.reason}`);
    }

    // The cold path needs no wrk: 3 pods after the first, each holding an entry per route.
    const cold = doc.node.coldPath;
    assert.equal(cold.status, "measured", cold.reason);
    assert.equal(cold.pods, 3);
    assert.ok(cold.firstRequest.p50Ms > 0 && cold.firstRequest.p99Ms >= cold.firstRequest.p50Ms);
    assert.equal(cold.counters.epicac_cache_entries, 8);
    assert.equal(cold.counters.epicac_agent_calls_total, 4, "one call per pod");
    assert.ok(cold.rssMiB.idle > 1 && cold.rssMiB.filled > 1);
    assert.match(
      md,
      /^- Memory: RSS .* holding 8 entries \(0 evicted; the lowest over the 10 s after\)/m,
    );
    const memory = doc.gates.find((g: { unit: string }) => g.unit === "MiB");
    assert.deepEqual([memory.name, memory.value, memory.pass], [
      "epicac node: RSS growth holding 8 entries",
      cold.rssMiB.growth,
      true,
    ]);

    if (!WRK) {
      for (const s of [...doc.serve.servers, doc.node.warm]) {
        assert.match(`${s.status}: ${s.reason}`, /^missing: wrk/);
      }
      return;
    }
    const [floor, serve] = doc.serve.servers;
    assert.deepEqual([floor.name, serve.name, serve.reference], [
      "Bun.serve floor",
      "epicac serve",
      "Bun.serve floor",
    ]);
    for (const s of [floor, serve]) {
      assert.equal(s.status, "measured", `${s.name}: ${s.reason}`);
      assert.deepEqual(s.loads.map((l: { connections: number }) => l.connections), [1, 8, 64]);
      assert.ok(s.rssMiB.idle > 1 && s.rssMiB.loaded > 1 && s.sustainedRequests >= 1000);
    }
    for (const [i, load] of serve.loads.entries()) {
      const ratio = load.requestsPerSecond / floor.loads[i].requestsPerSecond;
      assert.equal(load.vsReference.requestsPerSecond, ratio);
      assert.ok(md.includes(`| epicac serve | ${load.connections} | `));
    }
    assert.ok(doc.serve.oneFetch.p50Ms > 0);
    const node = doc.node.warm;
    assert.deepEqual([node.name, node.status, node.reference], [
      "epicac node",
      "measured",
      "epicac serve",
    ], node.reason);
    for (const [i, load] of node.loads.entries()) {
      const ratio = load.requestsPerSecond / serve.loads[i].requestsPerSecond;
      assert.equal(load.vsReference.requestsPerSecond, ratio);
      assert.ok(md.includes(`| epicac node | ${load.connections} | `));
    }
    // Warm: one chain for the whole run, every other answer from the cache.
    assert.equal(node.counters.epicac_sts_chains_total, 1);
    const { epicac_requests_total: asked, epicac_cache_hits_total: hits } = node.counters;
    assert.ok(asked > node.sustainedRequests && hits === asked - 1, `${hits} hits of ${asked}`);
    assert.deepEqual(doc.gates.map((g: { pass: boolean }) => g.pass), [true, true, true, true]);
    assert.match(md, /^- epicac serve: requests\/s at 64 connections × Bun.serve floor's: /m);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
