// A command's --help, from its inputs' declarations: each flag with its help line, unit, default
// and variables, wrapped at 100 columns. Loaded only when --help is asked for.

import { type AnyInput, COMMAND_LINE, type Input } from "../inputs/input.ts";

/** A command's --help: a summary, the usage lines, its inputs by section, then notes. */
export interface HelpLayout {
  summary: string;
  usage: string[];
  intro?: string;
  sections: [title: string, inputs: AnyInput[]][];
  notes?: string;
}

const WIDTH = 100;
const COLUMN = 24;

export function helpText(layout: HelpLayout): string {
  const out = [layout.summary, "", "Usage:", ...layout.usage.map((line) => `  ${line}`), ""];
  if (layout.intro) out.push(layout.intro, "");
  for (const [title, inputs] of layout.sections) {
    out.push(`${title}:`);
    for (const input of inputs) out.push(...flagLines(input as Input<unknown>));
    out.push("");
  }
  if (layout.notes) out.push(layout.notes);
  return out.join("\n").replace(/\n*$/, "\n");
}

/** The flag as its usage shows it: "--timeout S", "-h, --help". */
export function flagUsage(input: Input<unknown>): string {
  const flag = `--${input.flag}${input.placeholder ? ` ${input.placeholder}` : ""}`;
  return input.short ? `-${input.short}, ${flag}` : flag;
}

/** What help adds to an input's line: its unit, default and variables, as the command line has them. */
export function flagDetails(input: Input<unknown>): string {
  const details: string[] = [];
  if (input.unit) details.push(input.unit.text);
  if (input.default !== undefined && input.default !== false) {
    details.push(`default ${input.shown?.(input.default, COMMAND_LINE) ?? String(input.default)}`);
  }
  if (input.env?.length) details.push(`else ${input.env.join(", then ")}`);
  return details.length ? ` (${details.join("; ")})` : "";
}

function flagLines(input: Input<unknown>): string[] {
  const line = `${input.help.replace(/\.$/, "")}${flagDetails(input)}.`;
  return [indented(`  ${flagUsage(input)}`, line, COLUMN)];
}

/**
 * `lead` (a flag, a name) and `text` wrapped at 100 columns, every line of `text` starting at
 * `column` (the first one below `lead` when `lead` does not fit before it).
 */
export function indented(lead: string, text: string, column: number): string {
  const lines: string[] = [];
  let line = lead.length < column - 1 ? lead.padEnd(column) : "";
  if (line === "") lines.push(lead);
  for (const word of text.split(" ")) {
    if (line.trimEnd().length > column && line.length + word.length > WIDTH) {
      lines.push(line.trimEnd());
      line = "";
    }
    if (line === "") line = " ".repeat(column);
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines.join("\n");
}
