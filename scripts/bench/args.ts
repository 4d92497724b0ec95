// The benchmark's command line.

import { parseArgs } from "node:util";
import { MAX_ENTRIES } from "../../src/node/inputs.ts";
import { ROUTES } from "./node.ts";

/** Each pod fills an entry per route: at most as many as node holds by default. */
const MAX_NODE_PODS = MAX_ENTRIES.default / ROUTES.length;

export const USAGE =
  `usage: bun scripts/bench.ts [--runs N] [--warmup N] [--out DIR] [--max-ratio R]
         [--min-serve-ratio R] [--serve-seconds S] [--serve-requests N] [--node-pods N]
         [--no-cold-start] [--no-serve] [--no-node]
       make bench ARGS="…"

The cold start of each epicac binary in dist/ built for this machine (the default path, and one
--assume hop) against the seed's \`curl | jq\` one-liner and against its floor, a minimal program
on the same runtime compiled in this run with the same flags; then \`epicac serve\` against its
floor, a bare Bun.serve, under wrk; then \`epicac node\` against \`epicac serve\` under the same loads
(one pod, one route: every answer cached), its cold path (each of many pods' first request, to
the agent and STS) and its resident memory holding an entry for each pod and route. Writes
results.json and results.md, and prints results.md.

  --runs N             timed runs per candidate (default 30)
  --warmup N           untimed runs of each candidate first (default 3)
  --out DIR            where results.json and results.md go (default bench/)
  --max-ratio R        fail when the native Bun binary's default-path median is over R times
                       the baseline's, or was not measured
  --min-serve-ratio R  fail when serve's requests/s at 8 or 64 connections is under R times
                       its floor's, or was not measured
  --serve-seconds S    seconds of each serve load (default 10)
  --serve-requests N   requests of the sustained load before the last RSS (default 1000000)
  --node-pods N        pods of the node section's cold path, each asking for 2 routes (default
                       and at most ${MAX_NODE_PODS}: node holds ${MAX_ENTRIES.default} entries by default)
  --no-cold-start      skip the cold start section
  --no-serve           skip the serve section, and the node section, measured against serve
  --no-node            skip the node section

Needs hyperfine, GNU time, curl, jq and wrk (make tools installs them). Exit status: 0 done;
1 a program failed its check or a timed run, or a gate was not met; 2 usage error. A binary
that is not in dist/ is listed as missing and fails nothing.`;

export class UsageError extends Error {}

export function parseBenchArgs(argv: string[]) {
  const text = { type: "string" } as const;
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        runs: text,
        warmup: text,
        out: text,
        "max-ratio": text,
        "min-serve-ratio": text,
        "serve-seconds": text,
        "serve-requests": text,
        "node-pods": text,
        "no-cold-start": { type: "boolean", default: false },
        "no-serve": { type: "boolean", default: false },
        "no-node": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const whole = (name: keyof typeof values, fallback: number, min: number, max: number) => {
    const given = values[name] as string | undefined;
    if (given === undefined) return fallback;
    if (!/^\d+$/.test(given) || +given < min || +given > max) {
      throw new UsageError(`--${name} takes a whole number from ${min} to ${max}, not "${given}"`);
    }
    return Number(given);
  };
  const ratio = (name: "max-ratio" | "min-serve-ratio") => {
    const given = values[name];
    if (given !== undefined && !(/^\d+(\.\d+)?$/.test(given) && +given > 0)) {
      throw new UsageError(`--${name} takes a positive number, not "${given}"`);
    }
    return given === undefined ? undefined : Number(given);
  };
  if (values.out === "") throw new UsageError("--out takes a directory");
  return {
    runs: whole("runs", 30, 1, 10_000),
    warmup: whole("warmup", 3, 0, 100),
    out: values.out,
    maxRatio: ratio("max-ratio"),
    minServeRatio: ratio("min-serve-ratio"),
    coldStart: !values["no-cold-start"],
    serve: !values["no-serve"],
    node: !values["no-serve"] && !values["no-node"],
    serveSeconds: whole("serve-seconds", 10, 1, 600),
    serveRequests: whole("serve-requests", 1_000_000, 1000, 1e8),
    nodePods: whole("node-pods", MAX_NODE_PODS, 2, MAX_NODE_PODS),
    help: values.help,
  };
}
