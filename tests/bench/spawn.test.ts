// scripts/bench/spawn.ts: reading GNU time's `-f %M` report (peak RSS in KiB on the last line).

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseGnuTimeKib } from "../../scripts/bench/spawn.ts";

test("spawn: GNU time's %M report is KiB on its last line", () => {
  assert.equal(parseGnuTimeKib("41236\n"), 41236 * 1024);
  // GNU time puts a status line first when the command fails.
  assert.equal(parseGnuTimeKib("Command exited with non-zero status 1\n2048\n"), 2048 * 1024);
  assert.equal(parseGnuTimeKib(""), undefined);
  assert.equal(parseGnuTimeKib("time: cannot run foo: No such file or directory\n"), undefined);
});
