// The generated parts of the documentation: every block between `<!-- generated:NAME -->` and
// `<!-- /generated:NAME -->` in the documentation's pages (check-docs.ts lists them) is written
// from the code (the inputs' declarations, doctor's checks, the metrics, the build's flag files)
// or from the benchmark's bench/results.json, never by hand.
//   deno run --allow-read --allow-write scripts/docs.ts [--check]
// --check (make check) fails, naming the block, when a page is not what the code gives.

import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { CHAIN_FLAGS } from "../src/cli/chain.ts";
import * as config from "../src/commands/config.ts";
import * as credentials from "../src/commands/credentials.ts";
import * as doctor from "../src/commands/doctor.ts";
import * as node from "../src/commands/node.ts";
import * as serve from "../src/commands/serve.ts";
import { CHECKS } from "../src/doctor/check-list.ts";
import { CHAIN_INPUTS, REFRESH_BEFORE } from "../src/inputs/chain.ts";
import { COMMAND_LINE, type Input, MODULE } from "../src/inputs/input.ts";
import { flagUsage } from "../src/cli/help.ts";
import { ROUTE_INPUTS } from "../src/node/routes-file.ts";
import { NODE_LIMITS, PROBE_LIMITS, SERVE_LIMITS } from "../src/serve/limits.ts";
import type { ServerLimits } from "../src/serve/server.ts";
import { type MetricFamily, nodeMetrics, serveMetrics } from "./metric-families.ts";
import type { ColdPath } from "./bench/cold-path.ts";
import { count, mib, ms, nodeMemory, type ResultsDocument, times } from "./bench/report.ts";
import { SERVE } from "./bench/servers.ts";
import { pages } from "./check-docs.ts";

type AnyInputs = Record<string, Input<unknown>>;

/** A command's inputs that are not the chain's (those have a table of their own). */
function own(inputs: AnyInputs): Input<unknown>[] {
  const chain = new Set<Input<unknown>>(Object.values(CHAIN_FLAGS) as Input<unknown>[]);
  return Object.values(inputs).filter((input) => !chain.has(input));
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const code = (text: string) => `\`${cell(text)}\``;

function shown(input: Input<unknown>, caller: typeof COMMAND_LINE): string {
  if (input.default === undefined || input.default === false) return "";
  return code(input.shown?.(input.default, caller) ?? String(input.default));
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

function flagTable(inputs: Input<unknown>[]): string {
  return table(
    ["Flag", "Default", "Variable", "Meaning"],
    inputs.map((input) => [
      code(flagUsage(input)),
      shown(input, COMMAND_LINE),
      (input.env ?? []).map(code).join(", then "),
      cell(`${input.help}${input.unit ? ` In ${input.unit.text}.` : ""}`),
    ]),
  );
}

function optionTable(inputs: Input<unknown>[]): string {
  return table(
    ["Option", "Type", "Default", "Meaning"],
    inputs.map((input) => [
      code(input.option!),
      code(input.type),
      shown(input, MODULE),
      cell(`${input.help}${input.unit ? ` In ${input.unit.module}.` : ""}`),
    ]),
  );
}

function metricTable(families: MetricFamily[]): string {
  return table(
    ["Metric", "Type", "Meaning"],
    families.map((f) => [code(f.name), f.type, cell(f.help)]),
  );
}

/** One of the build's flag files (scripts/*-flags): its flags, comments left out. */
function flagFile(name: string): string {
  const text = readFileSync(new URL(name, import.meta.url), "utf8");
  const flags = text.split("\n").map((line) => line.trim()).filter((l) => l && !l.startsWith("#"));
  return `\`scripts/${name}\`: ${flags.map(code).join(" ")}`;
}

// The benchmark's figures, from bench/results.json as make bench last wrote it, with the run
// they come from: a figure is quoted only from there.
let results: ResultsDocument | undefined;
function bench(): ResultsDocument {
  return results ??= JSON.parse(
    readFileSync(new URL("../bench/results.json", import.meta.url), "utf8"),
  );
}

function measuredBy(doc: ResultsDocument): string {
  const { machine: m } = doc;
  const revision = `${m.git.revision?.slice(0, 12)}${m.git.dirty ? " (dirty tree)" : ""}`;
  return `From \`bench/results.json\`: \`make bench\` at git ${revision}, ` +
    `${doc.generatedAt.slice(0, 10)}, linux-${m.arch}, ${m.cpu}, ${m.cores} cores.`;
}

function coldStartBlock(): string {
  const doc = bench();
  const measured = doc.coldStart.filter((r) => r.status === "measured");
  const other = doc.coldStart.filter((r) => r.status !== "measured");
  return [
    measuredBy(doc),
    "",
    table(
      ["Program", "Path", "Median", "× `curl \\| jq`", "× its floor", "Peak RSS"],
      measured.map((r) => [
        cell(r.label),
        r.path,
        ms(r.medianMs!),
        times(r.vsBaseline),
        times(r.vsFloor),
        mib(r.peakRssMiB),
      ]),
    ),
    ...(other.length ? ["", ...other.map((r) => `- ${r.label}, ${r.path}: ${r.reason}`)] : []),
  ].join("\n");
}

function serveBlock(): string {
  const doc = bench();
  const servers = [...(doc.serve?.servers ?? []), ...(doc.node?.warm ? [doc.node.warm] : [])];
  const compared = servers.filter((s) => s.reference && s.status === "measured");
  const cold = doc.node?.coldPath;
  if (compared.length === 0) return `${measuredBy(doc)} No server was measured in that run.`;
  return [
    measuredBy(doc),
    "",
    table(
      ["Server", "Connections", "Requests/s × reference", "p99 × reference", "Reference"],
      compared.flatMap((s) =>
        s.loads.map((l) => [
          cell(s.name),
          String(l.connections),
          times(l.vsReference?.requestsPerSecond),
          times(l.vsReference?.p99),
          cell(s.reference!),
        ])
      ),
    ),
    ...(cold?.status === "measured" && cold.firstRequest
      ? [
        "",
        `\`epicac node\`'s cold path, each of ${count(cold.pods)} pods' first request (the agent ` +
        `and an STS stub behind it): p50 ${ms(cold.firstRequest.p50Ms)}, p99 ` +
        `${ms(cold.firstRequest.p99Ms)}.`,
      ]
      : []),
  ].join("\n");
}

function memoryBlock(): string {
  const doc = bench();
  const binary = `epicac-bun-linux-${doc.machine.arch}`;
  const run = (path: string) =>
    doc.coldStart.find((r) => r.kind === "epicac" && r.path === path && r.status === "measured");
  const rows: string[][] = [];
  for (const [path, what] of [["default", "a run"], ["assume", "a run with `--assume`"]]) {
    const r = run(path);
    if (r) rows.push([`credential_process: ${what}`, `${mib(r.peakRssMiB)} at its peak`, r.label]);
  }
  const serve = doc.serve?.servers.find((s) => s.name === SERVE);
  if (serve?.rssMiB) {
    rows.push([
      "`epicac serve`, per pod",
      `${mib(serve.rssMiB.idle)} after its first answer, ${mib(serve.rssMiB.loaded)} after ${
        count(serve.sustainedRequests)
      } requests`,
      binary,
    ]);
  }
  const held = (cold: ColdPath | null | undefined) =>
    cold?.status === "measured" && cold.rssMiB ? nodeMemory(cold) : "not in this run";
  const long = doc.node?.longTokens;
  rows.push(["`epicac node`, per node", held(doc.node?.coldPath), binary]);
  if (long) {
    rows.push([
      `\`epicac node\`, per node, session tokens of ${count(long.tokenLength)} characters`,
      held(long),
      binary,
    ]);
  }
  return [measuredBy(doc), "", table(["What", "Resident memory", "Measured on"], rows)].join("\n");
}

/** The fixed limits of each listener, as the servers hold them. */
function limitsBlock(): string {
  const listeners = [SERVE_LIMITS, NODE_LIMITS, PROBE_LIMITS];
  const seconds = (v?: number) => v === undefined ? "" : `${v / 1000} s`;
  const kib = (v?: number) => v === undefined ? "" : `${v / 1024} KiB`;
  const rows: [string, (l: ServerLimits) => string][] = [
    ["A request's head arrives within", (l) => seconds(l.headerTimeoutMs)],
    ["A request's head is at most", (l) => kib(l.maxHeaderBytes)],
    ["An idle connection is closed after", (l) => seconds(l.idleTimeoutMs)],
    ["An answer is taken within", (l) => seconds(l.writeTimeoutMs)],
    ["Output left waiting on a connection, at most", (l) => kib(l.maxQueuedBytes)],
    ["Connections at once", (l) => count(l.maxConnections)],
    ["Connections from one address", (l) => l.maxPerAddress ? count(l.maxPerAddress) : "any"],
  ];
  return table(
    ["Limit", "`serve --listen`", "`node --listen`", "`--probe-listen`"],
    rows.map(([what, value]) => [what, ...listeners.map(value)]),
  );
}

export const BLOCKS: Record<string, () => string> = {
  "limits:servers": limitsBlock,
  "bench:cold-start": coldStartBlock,
  "bench:serve": serveBlock,
  "bench:memory": memoryBlock,
  "build:flags": () =>
    ["bun-compile-flags", "deno-bundle-flags", "deno-compile-flags"].map((f) => `- ${flagFile(f)}`)
      .join("\n"),
  "metrics:serve": () => metricTable(serveMetrics()),
  "metrics:node": () => metricTable(nodeMetrics()),
  "flags:chain": () => flagTable(Object.values(CHAIN_FLAGS) as Input<unknown>[]),
  "flags:credentials": () => flagTable(own(credentials.INPUTS)),
  "flags:doctor": () => flagTable(own(doctor.INPUTS)),
  "flags:serve": () => flagTable(own(serve.INPUTS)),
  "flags:node": () => flagTable(Object.values(node.INPUTS) as Input<unknown>[]),
  "options:routes": () => optionTable(Object.values(ROUTE_INPUTS) as Input<unknown>[]),
  "flags:config": () => flagTable(Object.values(config.INPUTS) as Input<unknown>[]),
  "flags:config-trust": () => flagTable(Object.values(config.TRUST_INPUTS) as Input<unknown>[]),
  "options:module": () =>
    optionTable([...Object.values(CHAIN_INPUTS), REFRESH_BEFORE] as Input<unknown>[]),
  "checks:doctor": () =>
    table(["Check", "What it looks at"], CHECKS.map(({ name, what }) => [code(name), cell(what)])),
};

const BLOCK = /<!-- generated:([\w:-]+) -->\n[\s\S]*?<!-- \/generated:\1 -->/g;

/** The page with every generated block as the code gives it; unknown blocks are an error. */
export function regenerate(page: string, where: string): string {
  return page.replace(BLOCK, (_, name: string) => {
    const block = BLOCKS[name];
    if (!block) throw new Error(`${where}: no generator for the block ${name}`);
    return `<!-- generated:${name} -->\n${block()}\n<!-- /generated:${name} -->`;
  });
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  const stale: string[] = [];
  for (const path of pages(".")) {
    const page = readFileSync(path, "utf8");
    const fresh = regenerate(page, path);
    if (fresh === page) continue;
    if (check) stale.push(path);
    else writeFileSync(path, fresh);
  }
  if (stale.length > 0) {
    console.error(
      `docs: generated blocks are stale in ${
        stale.join(", ")
      }: run make docs and commit the result`,
    );
    process.exit(1);
  }
}
