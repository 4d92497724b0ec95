// src/commands/credentials.ts with src/cli/flags.ts: the command line, parsed strictly into the
// options the rest of epicac uses. Anything the user gets wrong is a UsageError (exit 2) naming
// the flag.

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRequest, type Request } from "../../src/commands/credentials.ts";
import { EpicacError, exitCodeFor, UsageError } from "../../src/errors.ts";

const parseCommandLine = (argv: string[]): Request => parseRequest(argv, {});

/** The parts of a credentials request these tests look at, flat. */
function options(argv: string[]) {
  const request = parseCommandLine(argv);
  assert.equal(request.kind, "credentials");
  const { format, command } = request as Extract<Request, { kind: "credentials" }>;
  return {
    format,
    timeoutMs: command.chain.timeoutMs,
    retry: command.chain.retry,
    debug: command.debug,
  };
}

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, `${JSON.stringify(argv)}: ${String(error)}`);
    assert.equal(exitCodeFor(error), 2);
    return error;
  }
  assert.fail(`${JSON.stringify(argv)} was accepted`);
}

/** The options this file is about; other flags add fields of their own. */
const core = options;

test("no flags: json, 1 s timeout, 3 retries, 5 s deadline, no debug", () => {
  assert.deepEqual(core([]), {
    format: "json",
    timeoutMs: 1000,
    retry: { retries: 3, baseDelayMs: 100, maxDelayMs: 1000, deadlineMs: 5000 },
    debug: false,
  });
});

test("--format takes json or env, as a separate or an = argument", () => {
  assert.equal(options(["--format", "env"]).format, "env");
  assert.equal(options(["--format=env"]).format, "env");
  assert.equal(options(["--format", "json"]).format, "json");
});

test("--format refuses any other value, listing the formats", () => {
  for (const value of ["yaml", "JSON", "", "env "]) {
    const error = usageError(["--format", value]);
    assert.equal(error.message, `--format must be one of json, env, not '${value}'`);
    assert.equal(error.hint, "see epicac --help");
  }
});

test("--timeout takes seconds, fractions included, and gives milliseconds", () => {
  assert.equal(options(["--timeout", "2.5"]).timeoutMs, 2500);
  assert.equal(options(["--timeout", "0.05"]).timeoutMs, 50);
  assert.equal(options(["--timeout", "60"]).timeoutMs, 60_000);
  assert.equal(options(["--timeout=0.25"]).timeoutMs, 250);
});

test("--timeout refuses values outside 0.05-60 and non-numbers", () => {
  for (
    const value of ["0.049", "0", "-1", "60.001", "61", "soon", "", " ", "NaN", "Infinity", "1s"]
  ) {
    const error = usageError([`--timeout=${value}`]);
    assert.equal(
      error.message,
      `--timeout takes a number of seconds from 0.05 to 60, not '${value}'`,
      value,
    );
  }
});

test("--retries takes a whole number from 0 to 10", () => {
  assert.equal(options(["--retries", "0"]).retry.retries, 0);
  assert.equal(options(["--retries", "10"]).retry.retries, 10);
  assert.equal(options(["--retries", "5"]).retry.retries, 5);
});

test("--retries refuses fractions, negatives, out-of-range numbers and words", () => {
  for (const value of ["11", "1.5", "-1", "", " 2", "2 ", "1e1", "three", "0x3"]) {
    const error = usageError([`--retries=${value}`]);
    assert.equal(
      error.message,
      `--retries takes a whole number from 0 to 10, not '${value}'`,
      value,
    );
  }
});

test("--deadline takes seconds from 0.1 to 120", () => {
  assert.equal(options(["--deadline", "0.1"]).retry.deadlineMs, 100);
  assert.equal(options(["--deadline", "120"]).retry.deadlineMs, 120_000);
  assert.equal(options(["--deadline", "7.5"]).retry.deadlineMs, 7500);
  for (const value of ["0.09", "0", "120.5", "later"]) {
    const error = usageError([`--deadline=${value}`]);
    assert.equal(
      error.message,
      `--deadline takes a number of seconds from 0.1 to 120, not '${value}'`,
    );
  }
});

test("--retries and --deadline keep the default backoff", () => {
  const { retry } = options(["--retries", "7", "--deadline", "9"]);
  assert.deepEqual(retry, { retries: 7, baseDelayMs: 100, maxDelayMs: 1000, deadlineMs: 9000 });
});

test("--debug turns debug logging on", () => {
  assert.equal(options(["--debug"]).debug, true);
});

test("all flags together", () => {
  assert.deepEqual(
    core(["--format", "env", "--timeout", "3", "--retries", "1", "--deadline", "20", "--debug"]),
    {
      format: "env",
      timeoutMs: 3000,
      retry: { retries: 1, baseDelayMs: 100, maxDelayMs: 1000, deadlineMs: 20_000 },
      debug: true,
    },
  );
});

test("--help and -h ask for the help text", () => {
  assert.deepEqual(parseCommandLine(["--help"]), { kind: "help" });
  assert.deepEqual(parseCommandLine(["-h"]), { kind: "help" });
});

test("--version and -V ask for the version line", () => {
  assert.deepEqual(parseCommandLine(["--version"]), { kind: "version" });
  assert.deepEqual(parseCommandLine(["-V"]), { kind: "version" });
});

test("--help wins over --version and over other flags' values", () => {
  assert.deepEqual(parseCommandLine(["--version", "--help"]), { kind: "help" });
  assert.deepEqual(parseCommandLine(["--format", "yaml", "--help"]), { kind: "help" });
});

test("an unknown flag is a usage error naming it, in one sentence", () => {
  for (const flag of ["--no-such-flag", "-x", "--Format"]) {
    const error = usageError([flag]);
    assert.match(error.message, new RegExp(`^Unknown option '${flag}'$`));
  }
});

test("a positional argument is a usage error naming it", () => {
  const error = usageError(["extra"]);
  assert.match(error.message, /^Unexpected argument 'extra'$/);
  usageError(["--debug", "credentials"]);
});

test("a flag missing its value is a usage error", () => {
  for (const flag of ["--format", "--timeout", "--retries", "--deadline"]) {
    const error = usageError([flag]);
    assert.match(error.message, new RegExp(flag));
  }
});

test("a boolean flag given a value is a usage error", () => {
  const error = usageError(["--debug=yes"]);
  assert.match(error.message, /--debug/);
});

test("usage errors are EpicacErrors whose message is one sentence", () => {
  const error = usageError(["--nope"]);
  assert.ok(error instanceof EpicacError);
  assert.doesNotMatch(error.message, /\. /);
  assert.doesNotMatch(error.message, /\n/);
});
