// src/cli/flags.ts: no arguments give exactly what node:util's parseArgs gives (without loading
// it), for every command's flags; arguments are parsed strictly, an unknown flag is a usage error.

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { CHAIN_FLAGS, parseFlags } from "../../src/cli/flags.ts";
import { UsageError } from "../../src/errors.ts";

const WITH_EVERY_KIND = {
  ...CHAIN_FLAGS,
  format: { type: "string", default: "json" },
  listen: { type: "string", default: "127.0.0.1:9911" },
  route: { type: "string", multiple: true },
  "no-default-route": { type: "boolean", default: false },
} as const;

test("flags: no arguments give parseArgs' own defaults", () => {
  const parsed = parseArgs({ args: [], options: WITH_EVERY_KIND, strict: true }).values;
  assert.deepEqual({ ...parseFlags([], WITH_EVERY_KIND) }, { ...parsed });
  assert.equal(parseFlags([], WITH_EVERY_KIND).format, "json");
  assert.equal(parseFlags([], WITH_EVERY_KIND).debug, false);
  assert.equal(parseFlags([], WITH_EVERY_KIND).assume, undefined);
});

test("flags: arguments are parsed strictly; an unknown flag or a positional is a usage error", () => {
  const values = parseFlags(["--assume", "a", "--assume", "b", "--debug"], CHAIN_FLAGS);
  assert.deepEqual(values.assume, ["a", "b"]);
  assert.equal(values.debug, true);
  assert.throws(() => parseFlags(["--nope"], CHAIN_FLAGS), UsageError);
  assert.throws(() => parseFlags(["extra"], CHAIN_FLAGS), UsageError);
});
