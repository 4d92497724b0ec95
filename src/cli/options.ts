// The command line: flags parsed strictly (an unknown flag is a usage error) and validated
// into the options the rest of epicac uses.

import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../http/retry.ts";
import { type Format, FORMATS } from "../output.ts";

export interface CredentialOptions {
  format: Format;
  timeoutMs: number;
  retry: RetryPolicy;
  debug: boolean;
}

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "credentials"; options: CredentialOptions };

const FLAGS = {
  format: { type: "string", default: "json" },
  timeout: { type: "string", default: "1" },
  retries: { type: "string", default: String(DEFAULT_RETRY_POLICY.retries) },
  deadline: { type: "string", default: String(DEFAULT_RETRY_POLICY.deadlineMs / 1000) },
  debug: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", short: "V", default: false },
} as const;

export function parseCommandLine(argv: string[]): Command {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (error) {
    // parseArgs' own messages name the flag; keep their first sentence only.
    throw new UsageError(String((error as Error).message).split(". ")[0]);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  if (!(FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, not '${values.format}'`);
  }
  return {
    kind: "credentials",
    options: {
      format: values.format as Format,
      timeoutMs: seconds("--timeout", values.timeout, 0.05, 60),
      retry: {
        ...DEFAULT_RETRY_POLICY,
        retries: integer("--retries", values.retries, 0, 10),
        deadlineMs: seconds("--deadline", values.deadline, 0.1, 120),
      },
      debug: values.debug,
    },
  };
}

/** A number of seconds within [min, max], in milliseconds. */
function seconds(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value < min || value > max) {
    throw new UsageError(`${flag} takes a number of seconds from ${min} to ${max}, not '${text}'`);
  }
  return Math.round(value * 1000);
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^(0|[1-9]\d*)$/.test(text) || value < min || value > max) {
    throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not '${text}'`);
  }
  return value;
}
