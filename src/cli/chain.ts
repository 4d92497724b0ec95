// The command-line inputs of every command that runs the chain (the credentials command, doctor,
// and serve without the cache), and what they ask for: the chain's options, the cache, --debug.

import type { Env } from "../env.ts";
import {
  ASSUME,
  CACHE_DIR,
  CHAIN_INPUTS,
  DEADLINE,
  DEBUG,
  DURATION,
  EXTERNAL_ID,
  REFRESH_BEFORE,
  REGION,
  RETRIES,
  SESSION_NAME,
  SOURCE,
  SOURCE_IDENTITY,
  STS_ENDPOINT,
  TAGS,
  TIMEOUT,
} from "../inputs/chain.ts";
import { type AnyInput, COMMAND_LINE, fromEnvironment, type Values } from "../inputs/input.ts";
import { type ChainOptions, chainOptions, checkRefreshWindow } from "../options.ts";

export const CHAIN_FLAGS = {
  ...CHAIN_INPUTS,
  debug: DEBUG,
  cacheDir: CACHE_DIR,
  refreshBeforeMs: REFRESH_BEFORE,
};

/** How every chain command's help groups these flags (the cache's only where it applies). */
export function chainSections(withCache: boolean): [string, AnyInput[]][] {
  return [
    ["Reliability", [TIMEOUT, RETRIES, DEADLINE, DEBUG]],
    ["Source", [SOURCE]],
    [
      "Role chaining (each hop signs sts:AssumeRole with the previous hop's credentials)",
      [ASSUME, SESSION_NAME, EXTERNAL_ID, DURATION, SOURCE_IDENTITY, TAGS, REGION, STS_ENDPOINT],
    ],
    ...(withCache ? [["Cache", [CACHE_DIR, REFRESH_BEFORE]] as [string, AnyInput[]]] : []),
  ];
}

/** What a chain command is asked to do: the chain, the cache, and --debug. */
export interface ChainCommand {
  chain: ChainOptions;
  cache?: { dir: string; refreshBeforeMs: number };
  debug: boolean;
}

export function chainCommand(values: Values<typeof CHAIN_FLAGS>, env: Env): ChainCommand {
  const chain = chainOptions(values, env, COMMAND_LINE);
  const dir = values.cacheDir ?? fromEnvironment(CACHE_DIR, env);
  if (dir !== undefined) {
    checkRefreshWindow(
      chain,
      values.refreshBeforeMs,
      "with --cache-dir, every entry would already be due for refresh",
    );
  }
  return {
    chain,
    cache: dir === undefined ? undefined : { dir, refreshBeforeMs: values.refreshBeforeMs },
    debug: values.debug,
  };
}
