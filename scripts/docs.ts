// The generated parts of the documentation: every block between `<!-- generated:NAME -->` and
// `<!-- /generated:NAME -->` in README.md and docs/*.md is written from the code (the inputs'
// declarations, doctor's checks), never by hand.
//   deno run --allow-read --allow-write scripts/docs.ts [--check]
// --check (make check) fails, naming the block, when a page is not what the code gives.

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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
import { type MetricFamily, nodeMetrics, serveMetrics } from "./metric-families.ts";

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

export const BLOCKS: Record<string, () => string> = {
  "metrics:serve": () => metricTable(serveMetrics()),
  "metrics:node": () => metricTable(nodeMetrics()),
  "flags:chain": () => flagTable(Object.values(CHAIN_FLAGS) as Input<unknown>[]),
  "flags:credentials": () => flagTable(own(credentials.INPUTS)),
  "flags:doctor": () => flagTable(own(doctor.INPUTS)),
  "flags:serve": () => flagTable(own(serve.INPUTS)),
  "flags:node": () => flagTable(Object.values(node.INPUTS) as Input<unknown>[]),
  "options:routes": () => optionTable(Object.values(ROUTE_INPUTS) as Input<unknown>[]),
  "flags:config": () => flagTable(Object.values(config.INPUTS) as Input<unknown>[]),
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

function pages(): string[] {
  const docs = existsSync("docs") ? readdirSync("docs").filter((f) => f.endsWith(".md")) : [];
  return ["README.md", ...docs.map((f) => `docs/${f}`)];
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  const stale: string[] = [];
  for (const path of pages()) {
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
