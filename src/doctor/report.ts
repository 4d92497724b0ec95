// doctor's output: one line per check with its mark and, on failure, the fix; or one JSON
// document. Every line is redacted like the rest of epicac's output.

import { oneLine } from "../redact.ts";
import type { Check } from "./check.ts";

const MARK = { pass: "[pass]", warn: "[warn]", fail: "[FAIL]", skip: "[skip]" } as const;

export function formatText(checks: Check[]): string {
  const lines = checks.map((c) =>
    oneLine(`${MARK[c.status]} ${c.name}: ${c.detail}${c.fix ? ` -- fix: ${c.fix}` : ""}`)
  );
  const count = (status: Check["status"], what: string) => {
    const n = checks.filter((c) => c.status === status).length;
    return n === 0 ? undefined : `${n} ${what}${n === 1 ? "" : "s"}`;
  };
  const failed = count("fail", "check");
  const warned = count("warn", "warning");
  lines.push(
    failed ? `${failed} failed${warned ? `, ${warned}` : ""}` : warned ?? "all checks passed",
  );
  return lines.join("\n") + "\n";
}

export function formatJson(checks: Check[]): string {
  const clean = checks.map((c) => ({
    name: c.name,
    status: c.status,
    detail: oneLine(c.detail),
    ...(c.fix ? { fix: oneLine(c.fix) } : {}),
  }));
  return JSON.stringify({ ok: checks.every((c) => c.status !== "fail"), checks: clean }, null, 2) +
    "\n";
}
