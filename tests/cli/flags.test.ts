// src/cli/flags.ts and help.ts: a command's inputs as its command line: strict parsing, no node:util for no
// arguments, and a --help that lists every input with its unit, default and variables.

import { test } from "node:test";
import assert from "node:assert/strict";
import { CHAIN_FLAGS, chainSections } from "../../src/cli/chain.ts";
import { parseCommandLine } from "../../src/cli/flags.ts";
import { helpText } from "../../src/cli/help.ts";
import { UsageError } from "../../src/errors.ts";
import type { Input } from "../../src/inputs/input.ts";

test("no arguments give every default, as values", () => {
  const values = parseCommandLine([], CHAIN_FLAGS);
  assert.equal(values.timeoutMs, 1000);
  assert.equal(values.refreshBeforeMs, 900_000);
  assert.equal(values.debug, false);
  assert.equal(values.help, false);
  assert.equal(values.assume, undefined);
});

test("arguments are read through the declarations; an unknown flag or a positional is a usage error", () => {
  const values = parseCommandLine(
    ["--assume", "arn:aws:iam::123456789012:role/a", "--timeout=2.5", "--debug"],
    CHAIN_FLAGS,
  );
  assert.deepEqual(values.assume, ["arn:aws:iam::123456789012:role/a"]);
  assert.equal(values.timeoutMs, 2500);
  assert.equal(values.debug, true);
  // --help wins over anything else given, even a bad value.
  assert.equal(parseCommandLine(["--timeout", "bad", "-h"], CHAIN_FLAGS).help, true);
  assert.throws(() => parseCommandLine(["--nope"], CHAIN_FLAGS), UsageError);
  assert.throws(() => parseCommandLine(["extra"], CHAIN_FLAGS), UsageError);
  assert.throws(() => parseCommandLine(["--debug=yes"], CHAIN_FLAGS), UsageError);
});

test("help lists every input with its unit, default and variables, wrapped at 100 columns", () => {
  const sections = chainSections(true);
  const help = helpText({ summary: "s", usage: ["u"], sections });
  for (const input of sections.flatMap(([, inputs]) => inputs) as Input<unknown>[]) {
    assert.ok(help.includes(`--${input.flag}`), input.flag);
  }
  assert.match(
    help,
    /--timeout S +How long one request may take, the whole answer included \(seconds;\s+default\s+1\)\./,
  );
  assert.match(help, /--region R[\s\S]*else AWS_REGION, then\s+AWS_DEFAULT_REGION/);
  assert.ok(help.split("\n").every((line) => line.length <= 100));
});
