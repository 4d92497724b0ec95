// The check of every candidate before it is timed, a few runs under GNU time that also give its
// peak RSS: each run must exit 0 and print one line of credential_process JSON holding the
// credentials this run's peers served, so that a binary that crashes or prints an error cannot
// look fast. Messages say what is wrong without quoting values: they are credentials, if fake.
//
// Peak RSS comes from /usr/bin/time -f %M, not from the runtime's spawn: Bun starts children
// with vfork, and Linux records the parent's high-water RSS in the child at exec.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PathKind } from "./candidates.ts";

export const GNU_TIME = "/usr/bin/time";

/** Each field's exact value, or the pattern it must match. */
export type Expected = Record<string, string | RegExp>;

/**
 * The default path prints the agent's own credentials; the --assume path the STS stub's keys,
 * which the agent never serves, so skipping the hop cannot pass.
 */
export function expectedOutput(
  path: PathKind,
  served: { AccessKeyId: string; SecretAccessKey: string; Token: string },
): Expected {
  if (path === "assume") return { AccessKeyId: /^ASIASTUB[0-9A-Z]+$/ };
  const { AccessKeyId, SecretAccessKey, Token: SessionToken } = served;
  return { AccessKeyId, SecretAccessKey, SessionToken };
}

/** What is wrong with a run's stdout, or undefined when it is good credential_process output. */
export function outputProblem(stdout: string, expected: Expected, now = Date.now()) {
  const text = stdout.replace(/\n$/, "");
  if (text === "" || text.includes("\n")) return "did not print exactly one line on stdout";
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return "stdout is not JSON";
  }
  if (doc?.Version !== 1) return "Version is not 1";
  for (const field of ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]) {
    const [value, want] = [doc[field], expected[field]];
    if (typeof value !== "string" || value === "") return `${field} is missing`;
    if (want instanceof RegExp ? !want.test(value) : want !== undefined && value !== want) {
      return `${field} is not the one the peers served`;
    }
  }
  // Date.parse takes milliseconds at most; the agent gives nanoseconds.
  const expiry = Date.parse(doc.Expiration.replace(/(\.\d{3})\d+Z$/, "$1Z"));
  return expiry > now ? undefined : "Expiration is not a time in the future";
}

/** A candidate's check: the largest peak RSS of its runs, or the first failed run's problem. */
export type Check = { peakRssBytes: number } | { problem: string };

/** `runs` runs under GNU time: the largest peak RSS, or the first failed run's problem. */
export function checkRuns(
  command: string[],
  expected: Expected,
  runs: number,
  options: { env: Record<string, string>; dir: string },
): Check {
  const report = join(options.dir, "gnu-time.out");
  let peakRssBytes = 0;
  for (let run = 1; run <= runs; run++) {
    const done = spawnSync(GNU_TIME, ["-f", "%M", "-o", report, ...command], {
      env: options.env,
      cwd: options.dir,
      encoding: "utf8",
      timeout: 30_000,
    });
    const said = done.stderr?.trim().split("\n")[0]?.slice(0, 200);
    const problem = done.error || done.status !== 0
      ? `${done.error?.message ?? `exited with ${done.status ?? done.signal}`}${
        said ? `: ${said}` : ""
      }`
      : outputProblem(done.stdout, expected);
    if (problem) return { problem: `check run ${run}: ${problem}` };
    const kib = Number(readFileSync(report, "utf8").trim().split("\n").at(-1));
    peakRssBytes = Math.max(peakRssBytes, kib * 1024);
  }
  return { peakRssBytes };
}
