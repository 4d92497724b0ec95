// The command line of every command: its inputs (declared in inputs/) become node:util
// parseArgs' options, and their values are read and checked through the declarations. Parsing
// is strict: an unknown flag or a positional argument is a usage error. (--help: help.ts.)

import process from "node:process";
import type { ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";
import {
  COMMAND_LINE,
  type Input,
  type Inputs,
  onOff,
  readValues,
  type Values,
} from "../inputs/input.ts";

export const HELP = onOff({ flag: "help", short: "h", help: "This help." });

/**
 * The values of a command's inputs (and --help), or a usage error naming the flag. No arguments
 * at all (the usual credential_process line) gives the defaults without loading node:util: that
 * module alone costs more start-up than the rest of a run's parsing.
 */
export function parseCommandLine<S extends Inputs>(
  argv: string[],
  inputs: S,
): Values<S & { help: typeof HELP }> {
  const all = { ...inputs, help: HELP };
  if (argv.length === 0) return readValues(all, {}, COMMAND_LINE);
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const input of Object.values(all) as Input<unknown>[]) {
    options[input.flag] = {
      type: input.placeholder === undefined ? "boolean" : "string",
      ...(input.multiple ? { multiple: true } : {}),
      ...(input.short ? { short: input.short } : {}),
    };
  }
  const { parseArgs } = process.getBuiltinModule("node:util");
  let given: Record<string, unknown>;
  try {
    given = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // parseArgs' own messages name the flag; keep their first sentence only.
    throw new UsageError(String((error as Error).message).split(". ")[0]);
  }
  // --help wins: the other flags' values are not even read.
  return readValues(all, given.help ? { help: true } : given, COMMAND_LINE);
}

/** Whether the argument list names this flag (as --flag, --flag=… or its short form). */
export function given(argv: string[], input: Input<unknown>): boolean {
  return argv.some((arg) =>
    arg === `--${input.flag}` || arg.startsWith(`--${input.flag}=`) ||
    (input.short !== undefined && arg === `-${input.short}`)
  );
}
