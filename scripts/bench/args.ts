// The benchmark's command line.

import { parseArgs } from "node:util";

export interface BenchArgs {
  runs: number;
  warmup: number;
  /** Where results.json and cold-start.svg go (default bench/ in the repository). */
  out?: string;
  maxRatio?: number;
  emulated: boolean;
  /** The serve section: seconds per load and requests of the sustained load; null: not run. */
  serve: { seconds: number; requests: number } | null;
  help: boolean;
}

export const USAGE =
  `usage: bun scripts/bench.ts [--runs N] [--warmup N] [--out DIR] [--max-ratio R]
                          [--no-emulated] [--serve-seconds S] [--serve-requests N] [--no-serve]
       make bench ARGS="…"

Times the cold start of each epicac binary in dist/ as a whole process, on the default path
and with one --assume hop, against the seed's \`curl … | jq …\` one-liner (the baseline). It
starts its own loopback peers (the EKS Pod Identity agent emulator and an STS stub), runs the
candidates round-robin, checks every run's output, prints a Markdown table, and writes
results.json and cold-start.svg. Each epicac path is also compared with its floor: a minimal
program on the same runtime, compiled in the same run with the same flags. Peak RSS comes from
a few extra runs under GNU time (/usr/bin/time -f %M); without it installed, RSS is not
reported. Then the serve section: the native Bun binary as \`epicac serve\`, loaded with wrk
at 8 and 64 connections, RSS before and after a million requests, and one fetch through serve
against one credential_process run.

  --runs N        counted runs per candidate (default 30)
  --warmup N      uncounted runs first, checked all the same (default 3)
  --out DIR       where results.json and cold-start.svg go (default bench/)
  --max-ratio R   exit 1 when the native Bun binary's default-path median is more than R times
                  the baseline's median measured in the same run (or cannot be measured)
  --no-emulated   list foreign-architecture binaries as skipped instead of timing them under
                  qemu-user (their times are never compared with native ones anyway)
  --serve-seconds S   seconds of each serve load (default 10)
  --serve-requests N  requests of the sustained serve load, for RSS growth (default 1000000)
  --no-serve      skip the serve section
  -h, --help      this text

Exit status: 0 done; 1 a candidate failed a run, or the --max-ratio budget was not met;
2 usage error. A binary that is not in dist/ is listed as missing and does not fail the run.`;

export class UsageError extends Error {}

function integer(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max = 10_000,
): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${name} takes a whole number from ${min} to ${max}, not "${text}"`);
  }
  return Number(text);
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        runs: { type: "string" },
        warmup: { type: "string" },
        out: { type: "string" },
        "max-ratio": { type: "string" },
        "no-emulated": { type: "boolean", default: false },
        "serve-seconds": { type: "string" },
        "serve-requests": { type: "string" },
        "no-serve": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const ratioText = values["max-ratio"];
  let maxRatio: number | undefined;
  if (ratioText !== undefined) {
    maxRatio = Number(ratioText);
    if (!/^\d+(\.\d+)?$/.test(ratioText) || !(maxRatio > 0)) {
      throw new UsageError(`--max-ratio takes a positive number, not "${ratioText}"`);
    }
  }
  if (values.out === "") throw new UsageError("--out takes a directory");
  return {
    runs: integer("runs", values.runs, 30, 1),
    warmup: integer("warmup", values.warmup, 3, 0),
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(maxRatio !== undefined ? { maxRatio } : {}),
    emulated: !values["no-emulated"],
    serve: values["no-serve"] ? null : {
      seconds: integer("serve-seconds", values["serve-seconds"], 10, 1, 600),
      requests: integer("serve-requests", values["serve-requests"], 1_000_000, 1000, 100_000_000),
    },
    help: values.help,
  };
}
