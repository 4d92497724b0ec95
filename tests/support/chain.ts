// Chain options as a caller builds them: values read through the declarations, then assembled.

import type { Env } from "../../src/env.ts";
import { CHAIN_INPUTS } from "../../src/inputs/chain.ts";
import { COMMAND_LINE, MODULE, readValues } from "../../src/inputs/input.ts";
import { type ChainOptions, chainOptions } from "../../src/options.ts";

/** The options the module builds from these options (times in milliseconds). */
export function moduleChain(options: Record<string, unknown>, env: Env = {}): ChainOptions {
  return chainOptions(readValues(CHAIN_INPUTS, options, MODULE), env, MODULE);
}

/** The options the command line builds from these flags' values (keyed by flag). */
export function commandLineChain(flags: Record<string, unknown>, env: Env = {}): ChainOptions {
  return chainOptions(readValues(CHAIN_INPUTS, flags, COMMAND_LINE), env, COMMAND_LINE);
}
