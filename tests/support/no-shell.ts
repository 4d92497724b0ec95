// Runs a client as it runs in a distroless or Chainguard image: with no shell. A private mount
// namespace binds an empty, non-executable file over every shell /etc/shells lists (and /bin/sh
// itself), then executes the client; nothing it starts can run `sh -c`. A shell prepares the
// namespace and then replaces itself with the client (exec), so none is left running. Needs root
// (mount namespaces); elsewhere the cases are skipped with the reason.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { type RunOptions, runProcess, type RunResult } from "./epicac.ts";

// sh -c SCRIPT NAME EMPTY N SHELL… PROGRAM ARG…: bind EMPTY over the N shells, then exec.
const HIDE_THEN_EXEC = 'set -e; empty=$1; n=$2; shift 2; while [ "$n" -gt 0 ]; do ' +
  '[ ! -e "$1" ] || mount --bind "$empty" "$1"; shift; n=$((n - 1)); done; exec "$@"';

let empty: string | undefined;

function shells(): string[] {
  let listed: string[] = [];
  try {
    listed = readFileSync("/etc/shells", "utf8").split("\n").filter((l) => l.startsWith("/"));
  } catch {
    // No list: the usual paths below.
  }
  return [...new Set(["/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash", ...listed])];
}

/** Why clients cannot be run without a shell here, or undefined when they can. */
export function noShellSkip(): string | undefined {
  if (process.getuid?.() !== 0) {
    return "hiding /bin/sh needs a private mount namespace, which needs root here";
  }
  const probe = spawnSync("unshare", ["-m", "--propagation", "private", "true"]);
  return probe.status === 0
    ? undefined
    : `cannot make a mount namespace here (unshare -m: ${String(probe.stderr).trim()})`;
}

/** Run `program args` with every shell hidden (see above). */
export function runWithoutShell(
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  if (!empty) {
    empty = join(mkdtempSync(join(tmpdir(), "epicac-no-shell-")), "empty");
    writeFileSync(empty, "", { mode: 0o644 });
  }
  const hide = shells();
  return runProcess(
    "unshare",
    [
      "-m",
      "--propagation",
      "private",
      "--",
      "/bin/sh",
      "-c",
      HIDE_THEN_EXEC,
      "no-shell",
      empty,
      String(hide.length),
      ...hide,
      program,
      ...args,
    ],
    options,
  );
}
