// scripts/junit-summary.ts countJUnit: the pass/fail/skip counts scripts/test prints, read from
// the JUnit reports `bun test` and `deno test` write. The fixtures have the shape each runtime
// writes (checked against deno 2.9 and bun 1.4 output).

import { test } from "node:test";
import assert from "node:assert/strict";
import { countJUnit } from "../../scripts/junit-summary.ts";

const HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';

function bunReport(cases: string): string {
  return HEADER +
    '<testsuites name="bun test" tests="0" assertions="0" failures="0" skipped="0" time="0.1">\n' +
    '  <testsuite name="tests/a.test.ts" file="tests/a.test.ts" tests="0" assertions="0" ' +
    'failures="0" skipped="0" time="0.1" hostname="vm">\n' + cases +
    "  </testsuite>\n</testsuites>\n";
}

function denoReport(...suites: string[]): string {
  return HEADER +
    '<testsuites name="deno test" tests="0" failures="0" errors="0" time="0.1">\n' +
    suites.map((cases, i) =>
      `    <testsuite name="./tests/s${i}.test.ts" tests="0" disabled="0" errors="0" failures="0">\n` +
      cases + "    </testsuite>\n"
    ).join("") +
    "</testsuites>\n";
}

const bunPass = (name: string) =>
  `    <testcase name="${name}" classname="" time="0.001" file="tests/a.test.ts" line="3" assertions="0" />\n`;
const bunFail = (name: string) =>
  `    <testcase name="${name}" classname="" time="0.001" file="tests/a.test.ts" line="4" assertions="0">\n` +
  '      <failure type="AssertionError" message="Expected values to be strictly equal:&#10;&#10;1 !== 2&#10;">' +
  "AssertionError: Expected values to be strictly equal:&#10;      at a.test.ts:4:35&#10;</failure>\n" +
  "    </testcase>\n";
const bunSkip = (name: string, message = "") =>
  `    <testcase name="${name}" classname="" time="0" file="tests/a.test.ts" line="5" assertions="0">\n` +
  `      <skipped${message ? ` message="${message}"` : ""} />\n    </testcase>\n`;

const denoPass = (name: string) =>
  `        <testcase name="${name}" classname="./tests/a.test.ts" time="0.001" line="3" col="1">\n` +
  "        </testcase>\n";
const denoFail = (name: string, message = "Uncaught Error: x") =>
  `        <testcase name="${name}" classname="./tests/a.test.ts" time="0.001" line="4" col="1">\n` +
  `            <failure message="${message}">Error: x\n    at NodeTestContext.&lt;anonymous&gt; ` +
  "(file:///tests/a.test.ts:4:35)</failure>\n        </testcase>\n";
const denoSkip = (name: string) =>
  `        <testcase name="${name}" classname="./tests/a.test.ts" time="0.000" line="5" col="1">\n` +
  "            <skipped/>\n        </testcase>\n";

test("bun: self-closing test cases are passes; an empty report counts nothing", () => {
  assert.deepEqual(countJUnit(bunReport("")), { passed: 0, failed: 0, skipped: 0 });
  assert.deepEqual(countJUnit(""), { passed: 0, failed: 0, skipped: 0 });
  assert.deepEqual(countJUnit(bunReport(bunPass("one") + bunPass("two") + bunPass("three"))), {
    passed: 3,
    failed: 0,
    skipped: 0,
  });
});

test("bun: a case with a failure element is a failure", () => {
  assert.deepEqual(countJUnit(bunReport(bunPass("ok") + bunFail("broken"))), {
    passed: 1,
    failed: 1,
    skipped: 0,
  });
});

test("bun: skipped and todo cases are skipped, not passed", () => {
  assert.deepEqual(
    countJUnit(bunReport(bunSkip("skip") + bunSkip("todo", "TODO") + bunPass("ok"))),
    { passed: 1, failed: 0, skipped: 2 },
  );
});

test("bun: cases inside nested suites (describe blocks) are counted", () => {
  const nested = '    <testsuite name="group" file="tests/a.test.ts" line="2" tests="2" ' +
    'assertions="0" failures="1" skipped="0" time="0" hostname="vm">\n' +
    bunPass("inner").replace('classname=""', 'classname="group"') +
    bunFail("inner bad") +
    "    </testsuite>\n";
  assert.deepEqual(countJUnit(bunReport(nested + bunPass("top"))), {
    passed: 2,
    failed: 1,
    skipped: 0,
  });
});

test("bun: an error element counts as a failure too", () => {
  const errored =
    '    <testcase name="crashed" classname="" time="0" file="tests/a.test.ts" line="1" assertions="0">\n' +
    '      <error type="Error" message="boom">Error: boom</error>\n    </testcase>\n';
  assert.deepEqual(countJUnit(bunReport(errored)), { passed: 0, failed: 1, skipped: 0 });
});

test("escaped names, including quotes and angle brackets, do not break counting", () => {
  const odd = "it&apos;s &lt;odd&gt; &amp; &quot;q&quot;";
  assert.deepEqual(countJUnit(bunReport(bunPass(odd) + bunFail(odd + " again"))), {
    passed: 1,
    failed: 1,
    skipped: 0,
  });
});

test("deno: open-and-close test cases are passes, failure and skipped elements are counted", () => {
  const report = denoReport(
    denoPass("plain pass") + denoFail("plain fail") + denoSkip("skipped one") +
      denoSkip("todo one"),
  );
  assert.deepEqual(countJUnit(report), { passed: 1, failed: 1, skipped: 2 });
});

test("deno: a parent with steps counts only its steps ('parent > step')", () => {
  const report = denoReport(
    denoFail("parent", "1 test step failed") +
      denoPass("parent &gt; step ok") +
      denoFail("parent &gt; step bad") +
      denoPass("parent &gt; nest") +
      denoPass("parent &gt; nest &gt; deep"),
  );
  // parent and parent > nest are containers; the leaves are step ok, step bad and deep.
  assert.deepEqual(countJUnit(report), { passed: 2, failed: 1, skipped: 0 });
});

test("deno: a describe block's cases, reported in another suite, are matched to their parent", () => {
  const report = denoReport(
    denoPass("group"),
    denoPass("group &gt; inner") + denoSkip("group &gt; inner skip"),
  );
  assert.deepEqual(countJUnit(report), { passed: 1, failed: 0, skipped: 1 });
});

test("deno and bun count the same flat suite the same way", () => {
  const bun = bunReport(bunPass("a") + bunFail("b") + bunSkip("c") + bunPass("d"));
  const deno = denoReport(denoPass("a") + denoFail("b") + denoSkip("c") + denoPass("d"));
  assert.deepEqual(countJUnit(bun), countJUnit(deno));
  assert.deepEqual(countJUnit(deno), { passed: 2, failed: 1, skipped: 1 });
});

test("a failure message that mentions <skipped> or a testcase does not change the count", () => {
  const tricky = denoFail("tricky", "expected &lt;skipped/&gt; in &lt;testcase&gt;");
  assert.deepEqual(countJUnit(denoReport(tricky + denoPass("fine"))), {
    passed: 1,
    failed: 1,
    skipped: 0,
  });
});

test("deno: a parent that fails on its own after its steps passed still counts as a failure", () => {
  // Deno reports the parent's own error on the parent case only; its steps passed.
  const report = denoReport(
    denoFail("parent own failure", "Uncaught Error: own") +
      denoPass("parent own failure &gt; fine step"),
  );
  assert.equal(countJUnit(report).failed, 1);
});
