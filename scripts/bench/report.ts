// What the benchmark reports: each candidate's cold start with its ratios to the baseline and to
// its floor, the serve and node sections, and the gates; results.md is made from results.json
// alone.

import type { Candidate } from "./candidates.ts";
import type { Check } from "./check.ts";
import type { ColdPath } from "./cold-path.ts";
import { median, type Timed } from "./hyperfine.ts";
import type { MachineInfo } from "./machine.ts";
import { NODE } from "./node.ts";
import { GATED_CONNECTIONS, SERVE, type ServerResult } from "./servers.ts";

export interface ColdStart extends Omit<Candidate, "missing"> {
  status: "measured" | "failed" | "missing";
  reason?: string;
  /** Over the timed runs of every round, in milliseconds. */
  timesMs?: number[];
  medianMs?: number;
  /** The largest of the check runs under GNU time. */
  peakRssMiB?: number;
  /** The median over the baseline's, and over its floor's. */
  vsBaseline?: number;
  vsFloor?: number;
}

/** Each candidate: missing, failed (its check or a timed run), or measured with its ratios. */
export function coldStart(
  candidates: readonly Candidate[],
  checks: ReadonlyMap<string, Check>,
  timings: ReadonlyMap<string, Timed>,
): ColdStart[] {
  const results = candidates.map(({ missing, ...c }): ColdStart => {
    const check = checks.get(c.id) ?? { problem: "not checked" };
    const { timesMs = [], exitCodes = [] } = timings.get(c.id) ?? {};
    const bad = exitCodes.findIndex((code) => code !== 0);
    if (missing) return { ...c, status: "missing", reason: missing };
    if ("problem" in check) return { ...c, status: "failed", reason: check.problem };
    if (timesMs.length === 0) return { ...c, status: "failed", reason: "not timed" };
    if (bad >= 0) {
      const reason = `timed run ${bad + 1} exited with ${exitCodes[bad] ?? "a signal"}`;
      return { ...c, status: "failed", reason };
    }
    const peakRssMiB = check.peakRssBytes / 2 ** 20;
    return { ...c, status: "measured", timesMs, medianMs: median(timesMs), peakRssMiB };
  });
  const medianOf = (id?: string) => results.find((r) => r.id === id)?.medianMs;
  for (const r of results.filter((r) => r.medianMs !== undefined)) {
    const [baseline, floor] = [medianOf("baseline"), medianOf(r.floor)];
    if (baseline) r.vsBaseline = r.medianMs! / baseline;
    if (floor) r.vsFloor = r.medianMs! / floor;
  }
  return results;
}

export interface Gate {
  name: string;
  bound: "at most" | "at least";
  limit: number;
  /** What value and limit count: a ratio, or MiB. */
  unit: "×" | "MiB";
  /** null: not measured, which fails the gate. */
  value: number | null;
  pass: boolean;
}

function gate(
  name: string,
  bound: Gate["bound"],
  limit: number,
  value = NaN,
  unit: Gate["unit"] = "×",
): Gate {
  const pass = bound === "at most" ? value <= limit : value >= limit;
  return { name, bound, limit, unit, value: Number.isNaN(value) ? null : value, pass };
}

/** The cold start's gate: the candidate's median over the baseline's, at most `maxRatio`. */
export function coldStartGate(results: readonly ColdStart[], id: string, maxRatio: number) {
  const ratio = results.find((r) => r.id === id)?.vsBaseline;
  return gate(`${id}: median × curl | jq`, "at most", maxRatio, ratio);
}

/** Each server with a minRatio: its requests/s over its reference's at 8 and at 64 connections. */
export function serveGates(servers: readonly ServerResult[]): Gate[] {
  return servers.flatMap(({ name, reference, minRatio, loads }) =>
    minRatio === undefined ? [] : GATED_CONNECTIONS.map((connections) => {
      const ratio = loads.find((l) => l.connections === connections)?.vsReference;
      const what = `${name}: requests/s at ${connections} connections × ${reference}'s`;
      return gate(what, "at least", minRatio, ratio?.requestsPerSecond);
    })
  );
}

/** What epicac node's cache of 10,000 entries may add to its resident memory. */
export const NODE_GROWTH_LIMIT_MIB = 40;

/**
 * epicac node's memory: its RSS holding an entry per pod and route over that after its first
 * answers, at most NODE_GROWTH_LIMIT_MIB. A failed cold path has no figure, which fails it.
 */
export function nodeMemoryGate(coldPath: ColdPath): Gate {
  const entries = coldPath.counters?.epicac_cache_entries;
  const held = entries === undefined ? "its cache" : `${count(entries)} entries`;
  const what = `${NODE}: RSS growth holding ${held}`;
  return gate(what, "at most", NODE_GROWTH_LIMIT_MIB, coldPath.rssMiB?.growth, "MiB");
}

/** The document, with the gates; commands name files relative to the repository. */
export function resultsDocument(input: {
  root: string;
  machine: MachineInfo;
  settings: Record<string, number>;
  coldStart: ColdStart[];
  servers?: ServerResult[];
  /**
   * The node section, when it ran: its cold path, unless node could not run, and the same with
   * session tokens as long as real ones.
   */
  node?: { coldPath?: ColdPath; longTokens?: ColdPath };
  maxRatio?: number;
}) {
  const { root, machine, settings, servers } = input;
  const candidate = (path: string) => `epicac-bun-linux-${machine.arch} ${path}`;
  const run = (path: string) => {
    const medianMs = input.coldStart.find((r) => r.id === candidate(path))?.medianMs;
    return medianMs ? { candidate: candidate(path), medianMs } : null;
  };
  const p50Ms = servers?.find((s) => s.name === SERVE)?.loads[0]?.p50Ms;
  const coldStart = input.coldStart.map((r) => ({
    ...r,
    command: r.command.map((arg) => arg.replace(root, "")),
  }));
  // One fetch from the running serve (p50 at 1 connection) and one credential_process run.
  const oneRun = run("default");
  const oneFetch = p50Ms && oneRun ? { p50Ms, ...oneRun } : null;
  const nodeColdPath = input.node?.coldPath;
  return {
    schema: 2,
    generatedAt: new Date().toISOString(),
    machine,
    settings,
    coldStart,
    serve: servers ? { servers: servers.filter((s) => s.name !== NODE), oneFetch } : null,
    node: input.node
      ? {
        warm: servers?.find((s) => s.name === NODE) ?? null,
        coldPath: input.node.coldPath ?? null,
        longTokens: input.node.longTokens ?? null,
        // A pod's first request against one credential_process run that also chains a role.
        assumeRun: run("assume"),
      }
      : null,
    gates: [
      ...(input.maxRatio ? [coldStartGate(coldStart, candidate("default"), input.maxRatio)] : []),
      ...serveGates(servers ?? []),
      // Only a node that ran: a binary missing from dist/ fails nothing.
      ...(nodeColdPath ? [nodeMemoryGate(nodeColdPath)] : []),
    ],
  };
}

export type ResultsDocument = ReturnType<typeof resultsDocument>;

// How figures are written, here and in the documentation's generated blocks (scripts/docs.ts).
export const ms = (value: number) => `${value.toFixed(value < 1 ? 3 : 1)} ms`;
export const times = (value?: number) =>
  value === undefined ? "" : `${value < 0.01 ? value.toPrecision(2) : value.toFixed(2)}×`;
export const mib = (value?: number) => value === undefined ? "" : `${value.toFixed(1)} MiB`;
export const count = (n = 0) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** A measured node's memory before and after it filled its cache. */
export function nodeMemory(cold: ColdPath): string {
  const { rssMiB: rss, counters: c } = cold;
  return `${mib(rss!.idle)} after its first answers, ${mib(rss!.filled)} holding ` +
    `${count(c?.epicac_cache_entries)} entries`;
}
const table = (header: string[], rows: string[][]) =>
  [header, header.map(() => "---"), ...rows, []].map((cells) =>
    cells.length ? `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |` : ""
  );

export function markdown(doc: ResultsDocument): string {
  const { machine: m, settings: s, serve } = doc;
  const lines = [
    "# epicac benchmark",
    "",
    `${doc.generatedAt}, git ${m.git.revision?.slice(0, 12)}${m.git.dirty ? " (dirty)" : ""}, ` +
    `linux-${m.arch}, ${m.cpu} (${m.cores} cores), load average ${m.loadAverage.join(" ")} at ` +
    "the start. Absolute times on a shared machine are noise; ratios within one run are not.",
  ];
  // An empty cold start is one skipped (--no-cold-start): the baseline always runs otherwise.
  if (doc.coldStart.length > 0) {
    lines.push(
      "",
      "## Cold start",
      "",
      `Each candidate as a whole process: ${s.checkRuns} checked runs under GNU time (its output, ` +
        `peak RSS), then ${s.runs} runs timed by hyperfine after ${s.warmup} warm-up, interleaved: ` +
        `rounds of ${s.runsPerRound} runs of every candidate in turn.`,
      "",
      ...table(
        ["Candidate", "Path", "Median", "Range", "× `curl | jq`", "× floor", "Peak RSS"],
        doc.coldStart.filter((r) => r.medianMs !== undefined).map((r) => {
          const range = `${Math.min(...r.timesMs!).toFixed(1)}–${ms(Math.max(...r.timesMs!))}`;
          const ratios = [times(r.vsBaseline), times(r.vsFloor), mib(r.peakRssMiB)];
          return [r.label, r.path, ms(r.medianMs!), range, ...ratios];
        }),
      ),
      ...doc.coldStart.filter((r) => r.status !== "measured")
        .map((r) => `- ${r.label}, ${r.path}: ${r.status}: ${r.reason}`),
    );
  }
  if (serve) {
    lines.push(
      "",
      "## serve",
      "",
      `wrk on the same machine, ${s.serveSeconds} s per load after a 2 s warm-up, each load on ` +
        `every server in turn; then at least ${count(s.serveRequests)} requests at 64 connections.`,
      "",
      ...serverLines(serve.servers),
    );
    const one = serve.oneFetch;
    if (one) {
      lines.push(
        `- One credential fetch from the running ${SERVE} (p50 at 1 connection): ` +
          `${ms(one.p50Ms)}, ${times(one.p50Ms / one.medianMs)} one credential_process run of ` +
          `${one.candidate} (median ${ms(one.medianMs)}).`,
      );
    }
  }
  if (doc.node) lines.push(...nodeLines(doc.node));
  lines.push("", "## Gates", "");
  if (doc.gates.length === 0) lines.push("None asked for.");
  for (const g of doc.gates) {
    const [value, limit] = g.unit === "MiB"
      ? [mib(g.value ?? undefined), `${g.limit} MiB`]
      : [times(g.value ?? undefined), `${g.limit}×`];
    const shown = g.value === null ? "not measured" : value;
    lines.push(`- ${g.name}: ${shown}, ${g.bound} ${limit}: ${g.pass ? "met" : "NOT MET"}`);
  }
  return lines.join("\n") + "\n";
}

/** Each server's loads as a table's rows, then its memory, what it counted, or why it did not run. */
function serverLines(servers: readonly ServerResult[]): string[] {
  return [
    ...table(
      ["Server", "Connections", "Requests/s", "p50", "p99", "Against", "× requests/s", "× p99"],
      servers.flatMap((r) =>
        r.loads.map((l) => {
          const figures = [
            `${l.connections}`,
            count(l.requestsPerSecond),
            ms(l.p50Ms),
            ms(l.p99Ms),
          ];
          const ratios = l.vsReference
            ? [times(l.vsReference.requestsPerSecond), times(l.vsReference.p99)]
            : [];
          return [r.name, ...figures, ...(ratios.length ? [r.reference!, ...ratios] : [])];
        })
      ),
    ),
    ...servers.map((r) =>
      r.status === "measured"
        ? `- ${r.name}: RSS ${mib(r.rssMiB?.idle)} after its first answer, ` +
          `${mib(r.rssMiB?.loaded)} after every load (the last: ${count(r.sustainedRequests)} ` +
          "requests)." + (r.counters ? ` ${counted(r.counters)}` : "")
        : `- ${r.name}: ${r.status}: ${r.reason}`
    ),
  ];
}

/** What epicac node counted of itself: whether its answers came from its cache. */
const counted = (c: Record<string, number>) =>
  `Its own count: requests ${count(c.epicac_requests_total)}, answered from its cache ` +
  `${count(c.epicac_cache_hits_total)}, calls to the agent ${count(c.epicac_agent_calls_total)}, ` +
  `chains ${count(c.epicac_sts_chains_total)}.`;

function nodeLines(node: NonNullable<ResultsDocument["node"]>): string[] {
  const lines = [
    "",
    "## node",
    "",
    "Warm: the same loads, in the same turns, with one pod's token on one route (the agent " +
    "remembers an accepted token for a minute: it is asked again once a minute).",
    "",
    ...serverLines(node.warm ? [node.warm] : []),
  ];
  const cold = node.coldPath;
  if (!cold) return lines;
  if (cold.status === "failed") return [...lines, `- Cold path: failed: ${cold.reason}`];
  const { firstRequest: first, rssMiB: rss, counters: c } = cold;
  const run = node.assumeRun;
  return [
    ...lines,
    `- Cold path, a fresh ${NODE} (agent and STS stub behind it): the first request of each of ` +
    `${count(cold.pods)} pods, one at a time, ${cold.pacePerSecond} a second at most (under its ` +
    `own limit on calls to the agent): p50 ${ms(first!.p50Ms)}, p99 ${ms(first!.p99Ms)}` +
    (run
      ? `; the p50 is ${times(first!.p50Ms / run.medianMs)} one credential_process run of ` +
        `${run.candidate} (median ${ms(run.medianMs)}), which makes the same two calls.`
      : "."),
    `- Memory: RSS ${nodeMemory(cold)} (${count(c?.epicac_cache_evictions_total)} evicted; ` +
    `the lowest over the ${cold.settleMs / 1000} s after): ${mib(rss!.growth)} more.`,
    ...longTokenLines(node.longTokens),
  ];
}

/** The memory of a node whose agent and STS answer with session tokens as long as real ones. */
function longTokenLines(cold: ColdPath | null): string[] {
  if (!cold) return [];
  const what = `- The same with session tokens of ${count(cold.tokenLength)} characters, as long ` +
    `as real ones, in the agent's and STS's answers`;
  if (cold.status === "failed") return [`${what}: failed: ${cold.reason}`];
  return [`${what}: RSS ${nodeMemory(cold)}: ${mib(cold.rssMiB!.growth)} more.`];
}
