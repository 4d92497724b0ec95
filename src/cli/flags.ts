// The flags every command that runs the credentials chain takes (the credentials command and
// doctor), parsed strictly (an unknown flag is a usage error) and turned into the options
// builder's input. Times on the command line are seconds; options.ts holds the defaults.

import process from "node:process";
import type { ParseArgsConfig } from "node:util";
import type { Env } from "../env.ts";
import { UsageError } from "../errors.ts";
import {
  buildChainOptions,
  type ChainInput,
  type ChainOptions,
  checkRefreshWindow,
  type InputNames,
  type Limited,
  limited,
  outOfRange,
  withinLimits,
} from "../options.ts";

export const CHAIN_FLAGS = {
  timeout: { type: "string" },
  retries: { type: "string" },
  deadline: { type: "string" },
  debug: { type: "boolean", default: false },
  source: { type: "string" },
  assume: { type: "string", multiple: true },
  "session-name": { type: "string" },
  "external-id": { type: "string" },
  duration: { type: "string" },
  "source-identity": { type: "string" },
  tag: { type: "string", multiple: true },
  region: { type: "string" },
  "sts-endpoint": { type: "string" },
  "cache-dir": { type: "string" },
  "refresh-before": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** How messages name the options builder's inputs on the command line. */
export const FLAG_NAMES: InputNames = {
  seconds: true,
  name: (input) =>
    ({
      timeoutMs: "--timeout",
      retries: "--retries",
      deadlineMs: "--deadline",
      refreshBeforeMs: "--refresh-before",
      source: "--source",
      assume: "--assume",
      region: "--region",
      stsEndpoint: "--sts-endpoint",
    })[input],
};

type Flags = NonNullable<ParseArgsConfig["options"]>;
type FlagValues<T extends Flags> = ReturnType<
  typeof import("node:util").parseArgs<{ options: T; strict: true; allowPositionals: false }>
>["values"];

/**
 * The flags' values, or a usage error naming the flag parseArgs refused. No arguments at all
 * (the usual credential_process line) gives the defaults without loading node:util: that module
 * alone costs more start-up than the rest of a run's parsing.
 */
export function parseFlags<T extends Flags>(argv: string[], flags: T): FlagValues<T> {
  if (argv.length === 0) return defaultsOf(flags);
  const { parseArgs } = process.getBuiltinModule("node:util");
  try {
    return parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // parseArgs' own messages name the flag; keep their first sentence only.
    throw new UsageError(String((error as Error).message).split(". ")[0]);
  }
}

/** What parseArgs gives for no arguments: each flag that has a default, with it. */
function defaultsOf<T extends Flags>(flags: T): FlagValues<T> {
  const values: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(flags)) {
    if (flag.default !== undefined) values[name] = flag.default;
  }
  return values as FlagValues<T>;
}

export type ChainFlagValues = FlagValues<typeof CHAIN_FLAGS>;

/** What a chain command is asked to do: the chain, the cache, and --debug. */
export interface ChainCommand {
  chain: ChainOptions;
  cache?: { dir: string; refreshBeforeMs: number };
  debug: boolean;
}

/** The options builder's input, from the flags (times converted, checked for form). */
export function chainInput(values: ChainFlagValues, env: Env): ChainInput {
  return {
    env,
    source: values.source,
    assume: values.assume,
    session: {
      sessionName: values["session-name"],
      externalId: values["external-id"],
      duration: values.duration,
      sourceIdentity: values["source-identity"],
      tags: values.tag,
    },
    region: values.region,
    stsEndpoint: values["sts-endpoint"],
    timeoutMs: seconds("timeoutMs", values.timeout),
    retries: wholeNumber(values.retries),
    deadlineMs: seconds("deadlineMs", values.deadline),
  };
}

export function chainCommand(values: ChainFlagValues, env: Env): ChainCommand {
  const chain = buildChainOptions(chainInput(values, env), FLAG_NAMES);
  const dir = values["cache-dir"] ?? env.EPICAC_CACHE_DIR;
  if (dir === "") throw new UsageError("--cache-dir (EPICAC_CACHE_DIR) is empty");
  const refreshBeforeMs = limited(
    "refreshBeforeMs",
    seconds("refreshBeforeMs", values["refresh-before"]),
    FLAG_NAMES,
  );
  if (dir !== undefined) {
    checkRefreshWindow(
      chain,
      refreshBeforeMs,
      { duration: "--duration", refreshBefore: "--refresh-before", seconds: true },
      "with --cache-dir, every entry would already be due for refresh",
    );
  }
  return {
    chain,
    cache: dir === undefined ? undefined : { dir, refreshBeforeMs },
    debug: values.debug,
  };
}

/** A flag's seconds as milliseconds, within the input's limits, or a usage error. */
export function seconds(input: Limited, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Math.round(Number(text) * 1000);
  if (!/^\d+(\.\d+)?$/.test(text) || !withinLimits(input, ms)) {
    throw new UsageError(outOfRange(input, FLAG_NAMES, text));
  }
  return ms;
}

function wholeNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(0|[1-9]\d*)$/.test(text) || !withinLimits("retries", Number(text))) {
    throw new UsageError(outOfRange("retries", FLAG_NAMES, text));
  }
  return Number(text);
}
