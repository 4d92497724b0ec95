// --format env against a real POSIX shell: the export lines round-trip through `sh` eval with
// every hostile character intact, and nothing in a value is ever executed.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Credentials } from "../../src/credentials.ts";
import { formatEnv } from "../../src/output.ts";

const EXPIRATION = new Date(Date.UTC(2026, 4, 1, 12, 34, 56, 789));

/** Run `sh`, eval the export lines, and print the five variables separated by NUL. */
function evalInShell(lines: string): string[] {
  const result = spawnSync("sh", [
    "-c",
    'eval "$1" || exit 9; printf "%s\\0" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" ' +
    '"$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" "$AWS_ACCOUNT_ID"',
    "sh",
    lines,
  ], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split("\0").slice(0, 5);
}

test("env lines round-trip through sh eval with quotes, $, backticks and backslashes intact", () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-output-"));
  const marker = join(dir, "executed");
  try {
    const hostile: Credentials = {
      accessKeyId: "it's'' 'quoted'",
      secretAccessKey: `$(touch ${marker})\`touch ${marker}\`$HOME\${PATH}"dq"\\n\\`,
      sessionToken: "back\\slash\\\\ and 'single' and \"double\" and \\'mixed\\'",
      expiration: EXPIRATION,
      accountId: "; touch " + marker + " #",
    };
    assert.deepEqual(evalInShell(formatEnv(hostile)), [
      hostile.accessKeyId,
      hostile.secretAccessKey,
      hostile.sessionToken,
      "2026-05-01T12:34:56.789Z",
      hostile.accountId,
    ]);
    assert.ok(!existsSync(marker), "the shell executed part of a value");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("env lines keep a value with a newline or a lone quote as one value", () => {
  const odd: Credentials = {
    accessKeyId: "line1\nline2",
    secretAccessKey: "'",
    sessionToken: "''",
    accountId: "",
  };
  assert.deepEqual(evalInShell(formatEnv(odd)), ["line1\nline2", "'", "''", "", ""]);
});
