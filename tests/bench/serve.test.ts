// scripts/bench/serve.ts and serve-process.ts, the parts that need no running serve: the targets
// at and around their limits, RSS growth from /proc readings, the ratio to credential_process,
// the sizing of the sustained load, the Markdown section, and results that say why nothing was
// measured (no wrk, no binary) instead of throwing.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  formatLatency,
  metTargets,
  rssMiB,
  runServeBench,
  SERVE_TARGETS,
  type ServeBenchResult,
  type ServeLoadResult,
  serveMarkdown,
  serveRatio,
  sliceSeconds,
  thousands,
  WRK_MISSING,
} from "../../scripts/bench/serve.ts";
import { memoryOf, parseProcStatus } from "../../scripts/bench/serve-process.ts";

function load(connections: number, p99Ms: number, requestsPerSecond: number): ServeLoadResult {
  return {
    connections,
    threads: 2,
    seconds: 10.01,
    requestsPerSecond,
    p50Ms: 0.104,
    p99Ms,
    requests: Math.round(requestsPerSecond * 10),
    errors: 0,
  };
}

const RSS = rssMiB({ rss: 61_440, peak: 65_536 }, { rss: 62_464, peak: 70_656 });

function measured(overrides: Partial<ServeBenchResult> = {}): ServeBenchResult {
  const loads = [load(8, 0.85, 48_000.5), load(64, 4.2, 61_234.4)];
  return {
    status: "measured",
    binary: "/repo/dist/epicac-bun-linux-amd64",
    loads,
    sustained: {
      connections: 64,
      threads: 2,
      slices: 3,
      seconds: 16.5,
      requestsPerSecond: 60_618,
      worstP99Ms: 9.87,
      errors: 0,
    },
    oneFetchMs: 0.11,
    rssMiB: RSS,
    totalRequests: 1_000_200,
    targets: SERVE_TARGETS,
    met: metTargets(loads, RSS),
    ...overrides,
  };
}

test("serve: the targets are the stated ones", () => {
  assert.deepEqual(SERVE_TARGETS, { p99At8Ms: 1, rpsAt64: 20_000, rssGrowthMiB: 10 });
});

test("serve: each target is met at its limit and missed just past it", () => {
  const at = (p99: number, rps: number, growthKib: number) =>
    metTargets(
      [load(8, p99, 30_000), load(64, 5, rps)],
      rssMiB({ rss: 50_000, peak: 60_000 }, { rss: 50_000 + growthKib, peak: 60_000 }),
    );
  assert.deepEqual(at(1, 20_000, 10 * 1024), { p99At8: true, rpsAt64: true, rssGrowth: true });
  assert.deepEqual(at(1.01, 19_999.9, 10 * 1024 + 20), {
    p99At8: false,
    rpsAt64: false,
    rssGrowth: false,
  });
  // Neither the p99 at 64 connections nor the rate at 8 counts.
  assert.deepEqual(
    metTargets([load(8, 0.5, 100), load(64, 50, 25_000)], null),
    { p99At8: true, rpsAt64: true, rssGrowth: null },
  );
  assert.deepEqual(metTargets([], null), { p99At8: null, rpsAt64: null, rssGrowth: null });
  // A load with errors (401s, say) measured something else: it meets nothing.
  const rejected = { ...load(64, 0.5, 90_000), errors: 3 };
  assert.deepEqual(metTargets([{ ...load(8, 0.2, 90_000), errors: 1 }, rejected], null), {
    p99At8: null,
    rpsAt64: null,
    rssGrowth: null,
  });
});

test("serve: RSS readings in KiB become MiB, growth of current and peak alike", () => {
  assert.deepEqual(RSS, {
    afterWarmup: 60,
    afterMillion: 61,
    peakAfterWarmup: 64,
    peakAfterMillion: 69,
    growth: 1,
    peakGrowth: 5,
  });
  // A runtime may give memory back: growth can be negative.
  assert.equal(rssMiB({ rss: 2048, peak: 4096 }, { rss: 1024, peak: 4096 }).growth, -1);
});

test("serve: /proc status gives VmRSS and VmHWM", () => {
  const status = "Name:\tepicac\nVmPeak:\t  3908 kB\nVmSize:\t  3908 kB\n" +
    "VmHWM:\t    65536 kB\nVmRSS:\t    61440 kB\nRssAnon:\t     172 kB\n";
  assert.deepEqual(parseProcStatus(status), { rss: 61_440, peak: 65_536 });
  assert.throws(() => parseProcStatus("Name:\tepicac\nVmRSS:\t 1 kB\n"), /VmHWM/);
  const own = memoryOf(process.pid);
  assert.ok(own.rss > 0 && own.peak >= own.rss);
});

test("serve: the ratio is one fetch over one credential_process run", () => {
  assert.equal(serveRatio(0.1, 20), 0.005);
  assert.equal(serveRatio(5, 5), 1);
  assert.equal(serveRatio(0.1, 0), null);
  assert.equal(serveRatio(Number.NaN, 20), null);
  assert.equal(serveRatio(0, 20), null);
});

test("serve: sustained slices cover the rest at the measured rate, 1 to 30 s", () => {
  assert.equal(sliceSeconds(1_000_000, 60_000), 18); // 16.7 s, and 5% more
  assert.equal(sliceSeconds(1_000_000, 20_000), 30);
  assert.equal(sliceSeconds(100, 60_000), 1);
  assert.equal(sliceSeconds(1_000_000, 0), 30);
});

test("serve: numbers are shown the same in every locale", () => {
  assert.equal(thousands(1_000_200), "1,000,200");
  assert.equal(thousands(999.6), "1,000");
  assert.equal(thousands(12), "12");
  assert.equal(formatLatency(0.017), "0.017 ms");
  assert.equal(formatLatency(4.19), "4.19 ms");
  assert.equal(formatLatency(12.345), "12.3 ms");
});

test("serve: the Markdown section of a measured run", () => {
  const text = serveMarkdown(measured(), 21.5);
  assert.ok(text.startsWith("## serve\n\n"));
  assert.match(text, /`epicac-bun-linux-amd64 serve`/);
  assert.ok(!text.includes("/repo/dist"));
  assert.match(
    text,
    /\| Connections \| Threads \| Seconds \| Requests\/s \| p50 \| p99 \| Requests \| Errors \|/,
  );
  assert.match(text, /\| 8 \| 2 \| 10\.0 \| 48,001 \| 0\.104 ms \| 0\.850 ms \| 480,005 \| 0 \|/);
  assert.match(text, /\| 64 \| 2 \| 10\.0 \| 61,234 \| 0\.104 ms \| 4\.20 ms \| 612,344 \| 0 \|/);
  assert.match(
    text,
    /\| 64 \(sustained, 3 runs\) \| 2 \| 16\.5 \| 60,618 \| — \| ≤ 9\.87 ms \| 1,000,200 \| 0 \|/,
  );
  // Both measured loads ran between the readings too.
  assert.match(
    text,
    /RSS: 60\.0 MiB after the warm-up, 61\.0 MiB after 2,092,549 more requests \(\+1\.0 MiB\)/,
  );
  assert.match(text, /peak 64\.0 MiB then 69\.0 MiB \(\+5\.0 MiB\)/);
  assert.match(text, /0\.110 ms, 0\.0051× one credential_process run \(median 21\.5 ms\)/);
  assert.match(text, /p99 at 8 connections ≤ 1 ms: met \(0\.850 ms\)/);
  assert.match(text, /requests\/s at 64 connections ≥ 20,000: met \(61,234\)/);
  assert.match(text, /RSS growth ≤ 10 MiB: met \(\+1\.0 MiB\)/);
});

test("serve: missed targets and no credential_process median say so", () => {
  const loads = [load(8, 4.19, 62_476), load(64, 8.35, 18_000)];
  const rss = rssMiB({ rss: 61_440, peak: 65_536 }, { rss: 61_440 + 12 * 1024, peak: 80_000 });
  const text = serveMarkdown(measured({ loads, rssMiB: rss, met: metTargets(loads, rss) }));
  assert.match(text, /p99 at 8 connections ≤ 1 ms: NOT met \(4\.19 ms\)/);
  assert.match(text, /requests\/s at 64 connections ≥ 20,000: NOT met \(18,000\)/);
  assert.match(text, /RSS growth ≤ 10 MiB: NOT met \(\+12\.0 MiB\)/);
  assert.match(text, /0\.110 ms, no credential_process median to compare with/);
});

test("serve: a failed run shows its reason, what it measured before, and the bad load", () => {
  const loads = [load(8, 0.85, 48_000), { ...load(64, 3, 60_000), errors: 512 }];
  const text = serveMarkdown(
    measured({
      status: "failed",
      reason: "wrk -t2 -c64 -d10s: 512 non-2xx responses in 600000 requests",
      loads,
      sustained: null,
      oneFetchMs: null,
      rssMiB: null,
      totalRequests: 0,
      met: metTargets(loads, null),
    }),
    21.5,
  );
  assert.match(text, /FAILED: wrk -t2 -c64 -d10s: 512 non-2xx responses/);
  assert.match(text, /\| 8 \| 2 \| .* \| 480,000 \| 0 \|/);
  assert.match(text, /\| 64 \| 2 \| .* \| 600,000 \| 512 \|/);
  assert.ok(!text.includes("sustained"));
  assert.ok(!text.includes("RSS:"));
  assert.ok(!text.includes("One credential fetch"));
  assert.match(text, /requests\/s at 64 connections ≥ 20,000: not measured;/);
  assert.match(text, /RSS growth ≤ 10 MiB: not measured\./);
});

test("serve: without wrk the result is missing, and says how to get it", async () => {
  const result = await runServeBench({
    binary: "/nonexistent/epicac",
    agentUrl: "http://127.0.0.1:1/v1/credentials",
    agentTokenFile: "/nonexistent/token",
    dir: "/nonexistent",
    env: {},
    wrk: undefined,
  });
  assert.equal(result.status, "missing");
  assert.equal(result.reason, WRK_MISSING);
  assert.equal(result.reason, "wrk not installed (apt-get install wrk)");
  assert.deepEqual(result.loads, []);
  assert.deepEqual(result.met, { p99At8: null, rpsAt64: null, rssGrowth: null });
  // Plain JSON: nothing is lost on the way to results.json.
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result);
  assert.equal(serveMarkdown(result), "## serve\n\nNot measured: " + WRK_MISSING + ".\n");
});

test("serve: a binary that cannot start is a failed result, not an exception", async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-serve-bench-test-"));
  try {
    const result = await runServeBench({
      binary: join(dir, "absent-epicac"),
      agentUrl: "http://127.0.0.1:1/v1/credentials",
      agentTokenFile: join(dir, "token"),
      dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
      wrk: "/usr/bin/wrk",
    });
    assert.equal(result.status, "failed");
    assert.match(result.reason ?? "", /serve could not start/);
    assert.equal(result.oneFetchMs, null);
    assert.match(serveMarkdown(result), /FAILED: serve could not start/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
