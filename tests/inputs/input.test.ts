// src/inputs/input.ts: how a value is read from each caller, in the declaration's unit, with the
// input's default when it is not given; and how a refusal names the input.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  choice,
  COMMAND_LINE,
  milliseconds,
  MODULE,
  readValues,
  variable,
  wholeNumber,
  within,
} from "../../src/inputs/input.ts";
import { EpicacError, UsageError } from "../../src/errors.ts";
import { thrownBy } from "../support/assertions.ts";

const usageError = (fn: () => unknown) => thrownBy(UsageError, fn);

const WAIT = milliseconds({
  flag: "wait",
  option: "waitMs",
  default: 1000,
  min: 50,
  max: 60_000,
  help: "How long to wait.",
});
const TRIES = wholeNumber({
  flag: "tries",
  option: "tries",
  default: 3,
  min: 0,
  max: 10,
  help: "",
});
const MODE = choice({ flag: "mode", words: ["a", "b"], help: "" });

test("a time is given in seconds on the command line and in milliseconds to the module", () => {
  assert.equal(WAIT.read("1.5", COMMAND_LINE), 1500);
  assert.equal(WAIT.read("0.05", COMMAND_LINE), 50);
  assert.equal(WAIT.read(1500, MODULE), 1500);
  assert.equal(
    usageError(() => WAIT.read("100", COMMAND_LINE)).message,
    "--wait takes a number of seconds from 0.05 to 60, not '100'",
  );
  assert.equal(
    usageError(() => WAIT.read(100_000, MODULE)).message,
    "waitMs takes a number of milliseconds from 50 to 60000, not '100000'",
  );
  for (const bad of ["", "1e3", "-1", " 1", "1s", "0x10", "Infinity"]) {
    usageError(() => WAIT.read(bad, COMMAND_LINE));
  }
  for (const bad of ["1000", NaN, Infinity, null]) usageError(() => WAIT.read(bad, MODULE));
});

test("a whole number takes digits only on the command line and an integer from the module", () => {
  assert.equal(TRIES.read("0", COMMAND_LINE), 0);
  assert.equal(TRIES.read(10, MODULE), 10);
  for (const bad of ["01", "1.0", "-1", "11", ""]) usageError(() => TRIES.read(bad, COMMAND_LINE));
  for (const bad of [1.5, 11, "3"]) usageError(() => TRIES.read(bad, MODULE));
});

test("a value from a variable is a configuration error (exit 1) that names the variable", () => {
  const error = thrownBy(EpicacError, () => TRIES.read("x", variable("EPICAC_TRIES")));
  assert.ok(!(error instanceof UsageError));
  assert.equal(error.message, "EPICAC_TRIES takes a whole number from 0 to 10, not 'x'");
  assert.equal(error.hint, "fix EPICAC_TRIES in the pod's environment");
});

test("a caller may name inputs its own way", () => {
  const route = within(COMMAND_LINE, (input) => `--route prod ${input.flag}=`);
  assert.equal(
    usageError(() => MODE.read("c", route)).message,
    "--route prod mode= must be one of a, b, not 'c'",
  );
});

test("readValues: defaults for what is not given, flags by flag name, options by option name", () => {
  const inputs = { waitMs: WAIT, tries: TRIES, mode: MODE };
  assert.deepEqual(readValues(inputs, {}, COMMAND_LINE), {
    waitMs: 1000,
    tries: 3,
    mode: undefined,
  });
  assert.deepEqual(readValues(inputs, { wait: "2", mode: "b" }, COMMAND_LINE), {
    waitMs: 2000,
    tries: 3,
    mode: "b",
  });
  // An input the module does not take (no option name) is not read from it at all.
  assert.deepEqual(readValues(inputs, { waitMs: 2000, tries: 0 }, MODULE), {
    waitMs: 2000,
    tries: 0,
  });
});

test("readValues: an option the module does not know is refused, naming it", () => {
  const error = usageError(() => readValues({ waitMs: WAIT }, { waitms: 2000 }, MODULE));
  assert.equal(error.message, "waitms is not an option (known: waitMs)");
});
