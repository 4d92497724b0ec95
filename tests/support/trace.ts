// Under scripts/test, the Deno pass notes in EPICAC_TEST_TRACE when each file starts and ends and
// when each of its tests begins and ends: a pass stopped at its time limit then names the tests
// and files still running (Bun's pass times out each test itself). Nothing is noted elsewhere.

import { afterEach, beforeEach } from "node:test";
import { appendFileSync } from "node:fs";
import process from "node:process";

const trace = process.env.EPICAC_TEST_TRACE;
const deno = (globalThis as { Deno?: { mainModule: string } }).Deno;

if (trace && deno) {
  const file = deno.mainModule.replace(/^file:\/\/.*?\/(tests\/)/, "$1");
  // One line a note: what, the file, the test's name (tab-separated).
  const note = (what: string, name = "") => appendFileSync(trace, `${what}\t${file}\t${name}\n`);
  note("started");
  globalThis.addEventListener("unload", () => note("finished"));
  beforeEach((t) => note("began", t.name));
  afterEach((t) => note("ended", t.name));
}
