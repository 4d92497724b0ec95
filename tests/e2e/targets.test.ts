// Every way epicac runs here: the sources under this runtime and each binary in dist/. A Deno
// binary that could not be built is reported here, once, as skipped with the reason; the other
// test files run their cases on the targets that exist.

import { test } from "node:test";
import assert from "node:assert/strict";
import { allTargets, runEpicac } from "../support/epicac.ts";

for (const target of allTargets()) {
  test(`${target.name}: starts and reports its version`, { skip: target.skip }, async () => {
    const result = await runEpicac(target, ["--version"], { env: {} });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^epicac \d+\.\d+\.\d+ \((bun|deno) /);
  });
}
