// A directory per test, removed by the test itself: under deno test a top-level after() does not
// run when a test in the file is skipped.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Runs `fn` in a new empty directory, removed once `fn` has returned or its promise settled. */
export function withDirectory<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "epicac-test-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let result: T;
  try {
    result = fn(dir);
  } catch (error) {
    remove();
    throw error;
  }
  if (result instanceof Promise) return result.finally(remove) as T;
  remove();
  return result;
}
