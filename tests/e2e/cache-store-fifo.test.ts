// src/cache/store.ts against a FIFO, made with mkfifo: readEntry sees it for what it is and
// never opens it blocking (opening a FIFO for reading waits for a writer: this would hang).

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { entryPath, readEntry } from "../../src/cache/store.ts";

const KEY = "0123456789abcdef".repeat(4);

test("readEntry ignores a FIFO at the entry's path without blocking on it", () => {
  const root = mkdtempSync(join(tmpdir(), "epicac-store-fifo-"));
  try {
    const dir = join(root, "cache");
    mkdirSync(dir, { mode: 0o700 });
    execFileSync("mkfifo", ["-m", "600", entryPath(dir, KEY)]);
    assert.equal(readEntry(dir, KEY, 0), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
