// Assertions shared by the tests: what a caller of epicac depends on, and what a refusal throws.

import assert from "node:assert/strict";
import type { RunResult } from "./epicac.ts";

/** A failed run: exit 1 (or `code`), nothing on stdout, one `epicac:` line on stderr. */
export function assertFailure(
  result: RunResult,
  expected: { code?: number; stderr: RegExp; secrets?: (string | undefined)[] },
): void {
  assert.equal(result.stdout, "", "stdout must stay empty on failure");
  assert.equal(result.code, expected.code ?? 1, `exit code (stderr: ${result.stderr})`);
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, `exactly one stderr line, got: ${JSON.stringify(result.stderr)}`);
  assert.match(lines[0], /^epicac: /);
  assert.match(lines[0], expected.stderr);
  assertNoSecrets(result.stderr, expected.secrets ?? []);
}

/** None of the secrets appears in `text`, not even in part. */
export function assertNoSecrets(text: string, secrets: (string | undefined)[]): void {
  for (const secret of secrets) {
    if (!secret) continue;
    assert.ok(!text.includes(secret), "a secret appeared in the output");
    // A long secret must not leak in pieces either (e.g. a truncated quote of it).
    if (secret.length >= 24) {
      assert.ok(!text.includes(secret.slice(0, 16)), "part of a secret appeared in the output");
    }
  }
}

export interface ProcessCredentials {
  Version: number;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken?: string;
  Expiration?: string;
  AccountId?: string;
}

/** The fields of a credentials answer in the Pod Identity agent's own format (serve's, node's). */
const AGENT_FIELDS = ["AccessKeyId", "AccountId", "Expiration", "SecretAccessKey", "Token"];

/** An answer's body in the Pod Identity agent's format, with every field and no other. */
export function parseAgentCredentials(body: string): Record<string, string> {
  const doc = JSON.parse(body);
  assert.deepEqual(Object.keys(doc).sort(), AGENT_FIELDS);
  return doc;
}

/** A successful run's stdout: exactly one line of credential_process JSON, and nothing on stderr. */
export function parseSuccess(result: RunResult): ProcessCredentials {
  assert.equal(result.code, 0, `exit code (stderr: ${result.stderr})`);
  assert.equal(result.stderr, "", "stderr must be empty on success");
  assert.ok(
    result.stdout.endsWith("\n") && result.stdout.indexOf("\n") === result.stdout.length - 1,
    "one line",
  );
  return JSON.parse(result.stdout);
}

/** The error `fn` throws, which must be an `expected` (UsageError, EpicacError, …). */
export function thrownBy<T extends Error>(
  // deno-lint-ignore no-explicit-any
  expected: new (...args: any[]) => T,
  fn: () => unknown,
): T {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof expected, String(error));
    return error;
  }
  assert.fail(`expected ${expected.name} to be thrown`);
}
