// A self-contained SVG bar chart of each candidate's median cold start, for the README. Native
// and emulated candidates are drawn as separate groups, each on its own scale, because qemu-user
// times are an order of magnitude longer and not comparable. Output depends only on the results:
// no timestamps, ids or randomness, so a re-run changes only the numbers.

import type { CandidateResult } from "./results.ts";

export interface ChartOptions {
  arch: string;
  runs: number;
  warmup: number;
}

const WIDTH = 880;
const LABEL_X = 16;
const BAR_X = 310;
const BAR_MAX = 300;
const ROW = 26;
const BAR_HEIGHT = 16;

const COLORS: Record<string, string> = {
  baseline: "#6b7280",
  floor: "#adb5bd",
  bun: "#d9480f",
  deno: "#1971c2",
};

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** The label without "(emulated)": the group's title says so, and the row stays short. */
function rowLabel(r: CandidateResult): string {
  const name = r.label.replace(/ \(emulated\)$/, "");
  return r.path === "assume" && r.kind !== "floor" ? `${name} --assume` : name;
}

/** The median, then the ratio to the baseline, then (epicac only) to its floor. */
function valueLabel(r: CandidateResult): string {
  const ms = `${r.wallMs!.median.toFixed(1)} ms`;
  const vsBaseline = r.ratio !== null && r.kind !== "baseline" ? ` · ${r.ratio.toFixed(2)}×` : "";
  const vsFloor = r.floor ? ` · ${r.floor.ratio.toFixed(2)}× floor` : "";
  return ms + vsBaseline + vsFloor;
}

function group(title: string, results: CandidateResult[], top: number): [string[], number] {
  const parts = [
    `<text x="${LABEL_X}" y="${top + 14}" class="group">${escapeXml(title)}</text>`,
  ];
  const longest = Math.max(0, ...results.map((r) => r.wallMs?.median ?? 0));
  let y = top + 24;
  for (const r of results) {
    const middle = y + ROW / 2;
    parts.push(
      `<text x="${LABEL_X}" y="${middle + 4}" class="label">${escapeXml(rowLabel(r))}</text>`,
    );
    if (r.status === "measured" && r.wallMs && longest > 0) {
      const width = Math.max(1, (r.wallMs.median / longest) * BAR_MAX);
      const color = COLORS[r.kind === "floor" ? "floor" : r.runtime ?? "baseline"];
      const opacity = r.path === "assume" ? ' fill-opacity="0.6"' : "";
      parts.push(
        `<rect x="${BAR_X}" y="${middle - BAR_HEIGHT / 2}" width="${width.toFixed(1)}" ` +
          `height="${BAR_HEIGHT}" fill="${color}"${opacity}/>`,
        `<text x="${(BAR_X + width + 6).toFixed(1)}" y="${middle + 4}" class="value">${
          escapeXml(valueLabel(r))
        }</text>`,
      );
    } else {
      const style = r.status === "failed" ? "failed" : "absent";
      parts.push(`<text x="${BAR_X}" y="${middle + 4}" class="${style}">${r.status}</text>`);
    }
    y += ROW;
  }
  return [parts, y + 10];
}

export function coldStartSvg(results: readonly CandidateResult[], options: ChartOptions): string {
  const native = results.filter((r) => !r.emulated);
  const emulated = results.filter((r) => r.emulated);
  const body: string[] = [];
  let y = 62;
  let parts: string[];
  [parts, y] = group(
    `Native linux-${options.arch} (ratios against curl | jq, and epicac against its floor)`,
    native,
    y,
  );
  body.push(...parts);
  if (emulated.length > 0) {
    const title = `Emulated linux-${emulated[0].arch} under qemu-user (own scale, not compared)`;
    [parts, y] = group(title, emulated, y);
    body.push(...parts);
  }
  const height = y + 4;
  const subtitle = `median wall time of ${options.runs} runs after ${options.warmup} warm-up, ` +
    `candidates interleaved round-robin; shorter is better`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="title">`,
    `<title id="title">epicac cold start: median wall time per candidate</title>`,
    "<style>text{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;fill:#1f2328}" +
    ".title{font-size:17px;font-weight:600}.subtitle{font-size:12px;fill:#57606a}" +
    ".group{font-size:13px;font-weight:600}.label{font-size:13px}.value{font-size:12px}" +
    ".absent{font-size:12px;font-style:italic;fill:#8c959f}" +
    ".failed{font-size:12px;font-weight:600;fill:#cf222e}</style>",
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LABEL_X}" y="26" class="title">epicac cold start</text>`,
    `<text x="${LABEL_X}" y="46" class="subtitle">${escapeXml(subtitle)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
