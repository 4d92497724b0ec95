// scripts/bench/report.ts and the verdicts of servers.ts and wrk.ts: each candidate's status and
// its ratios to the baseline and to its floor, the gates at and past their limits (and failed
// when nothing was measured), each server against its reference, a wrk load with refusals
// failing, and results.json's shape with every ratio in results.md. And the benchmark's code
// has no import cycle.

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { BASELINE, type Candidate } from "../../scripts/bench/candidates.ts";
import { findCycles, importGraph } from "../../scripts/import-cycles.ts";
import type { MachineInfo } from "../../scripts/bench/machine.ts";
import type { Check } from "../../scripts/bench/check.ts";
import type { ColdPath } from "../../scripts/bench/cold-path.ts";
import {
  coldStart,
  coldStartGate,
  markdown,
  resultsDocument,
  serveGates,
} from "../../scripts/bench/report.ts";
import { compareToReferences, type ServerResult } from "../../scripts/bench/servers.ts";
import { wrkResult } from "../../scripts/bench/wrk.ts";
import { ROOT } from "../support/epicac.ts";

const c = (id: string, kind: Candidate["kind"], extra: Partial<Candidate> = {}): Candidate => ({
  id,
  label: `${id} label`,
  kind,
  path: "default",
  command: [`${ROOT}dist/${id}`, "--flag"],
  ...extra,
});
const CANDIDATES = [
  BASELINE,
  c("floor-bun default", "floor"),
  c("epicac-bun-linux-amd64 default", "epicac", { floor: "floor-bun default" }),
  c("module-bun default", "module", { floor: "floor-bun default" }),
  c("floor-deno default", "floor", { missing: "not built: no Deno binary" }),
  c("epicac-deno-linux-amd64 default", "epicac", { floor: "floor-deno default" }),
  c("crashes", "epicac"),
  c("crashes later", "epicac"),
];
const rss: Check = { peakRssBytes: 32 * 2 ** 20 };
const CHECKS = new Map<string, Check>([
  ["baseline", rss],
  ["floor-bun default", rss],
  ["epicac-bun-linux-amd64 default", rss],
  ["module-bun default", rss],
  ["epicac-deno-linux-amd64 default", rss],
  ["crashes", { problem: "check run 1: exited with 1: epicac: no token" }],
  ["crashes later", rss],
]);
const ok = (...timesMs: number[]) => ({ timesMs, exitCodes: timesMs.map(() => 0) });
const TIMINGS = new Map([
  ["baseline", ok(40, 30, 50)],
  ["floor-bun default", ok(8, 10, 12)],
  ["epicac-bun-linux-amd64 default", ok(11, 12, 13, 14)],
  ["module-bun default", ok(11, 11, 11)],
  ["epicac-deno-linux-amd64 default", ok(20, 20, 20)],
  ["crashes later", { timesMs: [5, 5, 5], exitCodes: [0, 139, 0] }],
]);
const results = coldStart(CANDIDATES, CHECKS, TIMINGS);
const byId = (id: string) => results.find((r) => r.id === id)!;

test("report: medians over the baseline's and over the floor's, measured in the same run", () => {
  assert.deepEqual(
    [byId("baseline").medianMs, byId("baseline").vsBaseline, byId("baseline").vsFloor],
    [40, 1, undefined],
  );
  const epicac = byId("epicac-bun-linux-amd64 default");
  assert.equal(epicac.status, "measured");
  assert.equal(epicac.medianMs, 12.5);
  assert.equal(epicac.vsBaseline, 12.5 / 40);
  assert.equal(epicac.vsFloor, 12.5 / 10);
  assert.equal(epicac.peakRssMiB, 32);
  assert.equal(byId("module-bun default").vsFloor, 1.1);
  // Its floor was not built: no floor ratio, the baseline's still.
  assert.equal(byId("epicac-deno-linux-amd64 default").vsFloor, undefined);
  assert.equal(byId("epicac-deno-linux-amd64 default").vsBaseline, 0.5);
});

test("report: missing and failed candidates say why, and carry no figure", () => {
  assert.deepEqual(
    ["floor-deno default", "crashes", "crashes later"].map((id) => {
      const { status, reason, medianMs } = byId(id);
      return { status, reason, medianMs };
    }),
    [
      { status: "missing", reason: "not built: no Deno binary", medianMs: undefined },
      {
        status: "failed",
        reason: "check run 1: exited with 1: epicac: no token",
        medianMs: undefined,
      },
      { status: "failed", reason: "timed run 2 exited with 139", medianMs: undefined },
    ],
  );
});

test("report: the cold-start gate at, past and without its limit", () => {
  const id = "epicac-bun-linux-amd64 default";
  assert.equal(coldStartGate(results, id, 0.3125).pass, true, "at the limit");
  assert.equal(coldStartGate(results, id, 0.31).pass, false, "just past it");
  assert.deepEqual(coldStartGate(results, "crashes", 100), {
    name: "crashes: median × curl | jq",
    bound: "at most",
    limit: 100,
    unit: "×",
    value: null,
    pass: false,
  });
});

const load = (connections: number, requestsPerSecond: number, p99Ms: number) => ({
  connections,
  requests: requestsPerSecond * 10,
  requestsPerSecond,
  p50Ms: p99Ms / 10,
  p99Ms,
});
const server = (name: string, loads: ReturnType<typeof load>[], extra = {}): ServerResult => ({
  name,
  status: "measured",
  loads,
  rssMiB: { idle: 40, loaded: 58 },
  sustainedRequests: 1_000_000,
  ...extra,
});
const floorLoads = () => [load(1, 20_000, 0.1), load(8, 40_000, 1), load(64, 50_000, 4)];

test("servers: each load against the reference's same load; the gate at 8 and 64 connections", () => {
  const servers = compareToReferences([
    server("floor", floorLoads()),
    server("serve", [load(1, 10_000, 0.2), load(8, 20_000, 2), load(64, 24_000, 8)], {
      reference: "floor",
      minRatio: 0.5,
    }),
  ]);
  assert.equal(servers[0].loads[0].vsReference, undefined, "the reference has none");
  assert.deepEqual(servers[1].loads.map((l) => l.vsReference), [
    { requestsPerSecond: 0.5, p99: 2 },
    { requestsPerSecond: 0.5, p99: 2 },
    { requestsPerSecond: 0.48, p99: 2 },
  ]);
  assert.deepEqual(serveGates(servers).map((g) => [g.name, g.value, g.pass]), [
    ["serve: requests/s at 8 connections × floor's", 0.5, true],
    ["serve: requests/s at 64 connections × floor's", 0.48, false],
  ]);
});

test("servers: without a measured reference there is no ratio, and the gate fails", () => {
  const servers = compareToReferences([
    server("floor", [], { status: "failed", reason: "wrk -t2 -c8 -d10s: 12 non-2xx answers" }),
    server("serve", floorLoads(), { reference: "floor", minRatio: 0.5 }),
  ]);
  assert.ok(servers[1].loads.every((l) => l.vsReference === undefined));
  assert.deepEqual(serveGates(servers).map((g) => [g.value, g.pass]), [[null, false], [
    null,
    false,
  ]]);
});

test("wrk: the report's figures, and a load with refusals or socket errors fails", () => {
  const report = (fields: object) =>
    `Running 10s test\n${
      JSON.stringify({
        requests: 500_000,
        durationUs: 10_000_000,
        non2xx: 0,
        socketErrors: 0,
        p50Us: 104,
        p99Us: 1590,
        ...fields,
      })
    }\n`;
  assert.deepEqual(wrkResult({ connections: 8, threads: 2, seconds: 10 }, report({})), {
    connections: 8,
    requests: 500_000,
    requestsPerSecond: 50_000,
    p50Ms: 0.104,
    p99Ms: 1.59,
  });
  const load8 = { connections: 8, threads: 2, seconds: 10 };
  assert.throws(() => wrkResult(load8, report({ non2xx: 3 })), /3 non-2xx answers/);
  assert.throws(() => wrkResult(load8, report({ socketErrors: 1 })), /1 socket errors/);
  assert.throws(() => wrkResult(load8, "Running 10s test\n"), /no report/);
});

test("report: results.json's shape, and results.md shows every ratio", () => {
  const machine = {
    arch: "amd64",
    cpu: "CPU",
    cores: 2,
    loadAverage: [1, 2, 3],
    git: { revision: "0123456789abcdef", dirty: false },
  } as unknown as MachineInfo;
  const servers = compareToReferences([
    server("Bun.serve floor", floorLoads()),
    server("epicac serve", [load(1, 10_000, 0.2), load(8, 20_000, 2), load(64, 40_000, 8)], {
      reference: "Bun.serve floor",
      minRatio: 0.5,
    }),
  ]);
  const settings = { runs: 3, warmup: 1, runsPerRound: 3, checkRuns: 3, serveSeconds: 10 };
  const doc = resultsDocument({
    root: ROOT,
    machine,
    settings: { ...settings, serveRequests: 1_000_000 },
    coldStart: results,
    servers,
    maxRatio: 1.25,
  });
  assert.equal(doc.schema, 2);
  assert.deepEqual(doc.coldStart.map((r) => r.id), CANDIDATES.map((c) => c.id));
  assert.deepEqual(doc.coldStart[1].command, ["dist/floor-bun default", "--flag"], "relative");
  assert.deepEqual(doc.serve!.oneFetch, {
    p50Ms: 0.02,
    candidate: "epicac-bun-linux-amd64 default",
    medianMs: 12.5,
  });
  assert.deepEqual(doc.gates.map((g) => g.pass), [true, true, true]);

  const md = markdown(doc);
  for (
    const row of [
      "| curl \\| jq (baseline) | default | 40.0 ms | 30.0–50.0 ms | 1.00× |  | 32.0 MiB |",
      "| epicac-bun-linux-amd64 default label | default | 12.5 ms | 11.0–14.0 ms | 0.31× | 1.25× | 32.0 MiB |",
      "| module-bun default label | default | 11.0 ms | 11.0–11.0 ms | 0.28× | 1.10× | 32.0 MiB |",
      "- floor-deno default label, default: missing: not built: no Deno binary",
      "| epicac serve | 8 | 20,000 | 0.200 ms | 2.0 ms | Bun.serve floor | 0.50× | 2.00× |",
      "| epicac serve | 64 | 40,000 | 0.800 ms | 8.0 ms | Bun.serve floor | 0.80× | 2.00× |",
      "- epicac serve: RSS 40.0 MiB after its first answer, 58.0 MiB after every load (the last: 1,000,000 requests).",
      "- One credential fetch from the running epicac serve (p50 at 1 connection): 0.020 ms, 0.0016× one credential_process run of epicac-bun-linux-amd64 default (median 12.5 ms).",
      "- epicac-bun-linux-amd64 default: median × curl | jq: 0.31×, at most 1.25×: met",
      "- epicac serve: requests/s at 64 connections × Bun.serve floor's: 0.80×, at least 0.5×: met",
    ]
  ) assert.ok(md.split("\n").includes(row), `results.md lacks:\n${row}\n\n${md}`);
});

test("report: the node section, warm against serve, its cold path and its memory", () => {
  const machine = { arch: "amd64", git: {}, loadAverage: [] } as unknown as MachineInfo;
  const counters = {
    epicac_requests_total: 2_000_001,
    epicac_cache_hits_total: 2_000_000,
    epicac_agent_calls_total: 3,
    epicac_sts_chains_total: 1,
  };
  const servers = compareToReferences([
    server("epicac serve", floorLoads()),
    server("epicac node", [load(1, 10_000, 0.2), load(8, 20_000, 2), load(64, 25_000, 8)], {
      reference: "epicac serve",
      counters,
    }),
  ]);
  const coldPath = (growth: number, tokenLength = 0): ColdPath => ({
    status: "measured",
    pods: 4999,
    tokenLength,
    pacePerSecond: 150,
    settleMs: 10_000,
    firstRequest: { p50Ms: 3.125, p99Ms: 12.5 },
    rssMiB: { idle: 50, filled: 50 + growth, growth },
    counters: { epicac_cache_entries: 10_000, epicac_cache_evictions_total: 0 },
  });
  const doc = (growth: number) =>
    resultsDocument({
      root: ROOT,
      machine,
      settings: {},
      coldStart: coldStart(
        [c("epicac-bun-linux-amd64 assume", "epicac")],
        new Map([["epicac-bun-linux-amd64 assume", rss]]),
        new Map([["epicac-bun-linux-amd64 assume", ok(50, 62.5, 75)]]),
      ),
      servers,
      node: { coldPath: coldPath(growth), longTokens: coldPath(70, 1024) },
    });
  const within = doc(40);
  assert.deepEqual(within.serve!.servers.map((s) => s.name), ["epicac serve"]);
  assert.equal(within.node!.warm!.loads[2].vsReference!.requestsPerSecond, 0.5);
  assert.deepEqual(within.node!.assumeRun, {
    candidate: "epicac-bun-linux-amd64 assume",
    medianMs: 62.5,
  });
  // The memory gate: at most 40 MiB over idle, met at the limit and not just past it.
  const memoryGate = (growth: number) => doc(growth).gates.find((g) => g.unit === "MiB");
  assert.deepEqual(memoryGate(40), {
    name: "epicac node: RSS growth holding 10,000 entries",
    bound: "at most",
    limit: 40,
    unit: "MiB",
    value: 40,
    pass: true,
  });
  assert.equal(memoryGate(40.1)!.pass, false);
  assert.equal(doc(40).gates.length, 1, "session tokens as long as real ones are shown, not gated");

  const md = markdown(within).split("\n");
  for (
    const row of [
      "## node",
      "| epicac node | 64 | 25,000 | 0.800 ms | 8.0 ms | epicac serve | 0.50× | 2.00× |",
      "- epicac node: RSS 40.0 MiB after its first answer, 58.0 MiB after every load (the last: 1,000,000 requests). Its own count: requests 2,000,001, answered from its cache 2,000,000, calls to the agent 3, chains 1.",
      "- Cold path, a fresh epicac node (agent and STS stub behind it): the first request of each of 4,999 pods, one at a time, 150 a second at most (under its own limit on calls to the agent): p50 3.1 ms, p99 12.5 ms; the p50 is 0.05× one credential_process run of epicac-bun-linux-amd64 assume (median 62.5 ms), which makes the same two calls.",
      "- Memory: RSS 50.0 MiB after its first answers, 90.0 MiB holding 10,000 entries (0 evicted; the lowest over the 10 s after): 40.0 MiB more.",
      "- The same with session tokens of 1,024 characters, as long as real ones, in the agent's and STS's answers: RSS 50.0 MiB after its first answers, 120.0 MiB holding 10,000 entries: 70.0 MiB more.",
      "- epicac node: RSS growth holding 10,000 entries: 40.0 MiB, at most 40 MiB: met",
    ]
  ) assert.ok(md.includes(row), `results.md lacks:\n${row}\n\n${md.join("\n")}`);
  assert.ok(
    markdown(doc(40.1)).includes(
      "- epicac node: RSS growth holding 10,000 entries: 40.1 MiB, at most 40 MiB: NOT MET",
    ),
  );
  assert.ok(md.includes("## Cold start"), "a cold start that ran is shown");
  const failed = resultsDocument({
    root: ROOT,
    machine,
    settings: {},
    coldStart: [],
    servers,
    node: {
      coldPath: {
        status: "failed",
        reason: "epicac node: 429: Too Many Requests",
        pods: 9,
        tokenLength: 0,
        pacePerSecond: 150,
        settleMs: 10_000,
      },
    },
  });
  const failedMd = markdown(failed);
  assert.ok(failedMd.includes("- Cold path: failed: epicac node: 429: Too Many Requests"));
  assert.deepEqual(failed.gates.map((g) => [g.name, g.value, g.pass]), [
    ["epicac node: RSS growth holding its cache", null, false],
  ]);
  assert.ok(failedMd.includes("- epicac node: RSS growth holding its cache: not measured, "));
  // A node that did not run (its binary missing from dist/) has no gate.
  const absent = resultsDocument({ root: ROOT, machine, settings: {}, coldStart: [], node: {} });
  assert.deepEqual(absent.gates, []);
  assert.ok(!failedMd.includes("## Cold start"), "a skipped cold start is not shown");
});

test("the benchmark's code has no import cycle, type-only imports included", () => {
  assert.deepEqual(findCycles(importGraph(join(ROOT, "scripts"))), []);
});
