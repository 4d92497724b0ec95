// Counts tests in the JUnit reports `deno test` and `bun test` write, and prints one line per
// runtime and a final "N passed, N failed" line. Exits non-zero when anything failed, or when a
// runtime exited non-zero or wrote no report (a crash must not read as a pass).
// Usage: bun scripts/junit-summary.ts NAME:REPORT:EXIT_CODE...

import { existsSync, readFileSync } from "node:fs";
import process from "node:process";

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Count test cases. Deno reports a test with subtests as a case of its own plus one case per
 * step ("parent > step"); only leaves are counted, so both runtimes count the same tests.
 */
export function countJUnit(xml: string): Counts {
  const cases = [...xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => ({
    name: decode(/\bname="([^"]*)"/.exec(m[1])?.[1] ?? ""),
    body: m[3] ?? "",
  }));
  const parents = new Set<string>();
  for (const c of cases) {
    const parts = c.name.split(" > ");
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join(" > "));
  }
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const c of cases) {
    if (parents.has(c.name)) {
      // A parent is not a test of its own, unless it failed for a reason other than its steps.
      if (/<(failure|error)\b/.test(c.body) && !/test steps? failed/.test(c.body)) counts.failed++;
      continue;
    }
    if (/<(failure|error)\b/.test(c.body)) counts.failed++;
    else if (/<skipped\b/.test(c.body)) counts.skipped++;
    else counts.passed++;
  }
  return counts;
}

function decode(text: string): string {
  return text.replaceAll("&gt;", ">").replaceAll("&lt;", "<").replaceAll("&quot;", '"').replaceAll(
    "&amp;",
    "&",
  );
}

if (import.meta.main) {
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  let broken = false;
  for (const arg of process.argv.slice(2)) {
    const [name, report, code] = arg.split(":");
    if (!existsSync(report)) {
      console.log(`${name}: no report written (exit ${code}): counted as 1 failed`);
      total.failed++;
      broken = true;
      continue;
    }
    const counts = countJUnit(readFileSync(report, "utf8"));
    console.log(
      `${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
    );
    if (code !== "0" && counts.failed === 0) {
      console.log(`${name}: exited ${code} with no failed test: counted as 1 failed`);
      counts.failed++;
    }
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
  if (total.skipped > 0) {
    console.log(`${total.skipped} skipped (reasons above in each runtime's output)`);
  }
  console.log(`${total.passed} passed, ${total.failed} failed`);
  process.exit(total.failed > 0 || broken ? 1 : 0);
}
