// src/small-file.ts against a FIFO, made with mkfifo (a process, so not a unit test): a token or
// config path that names one is refused as not a regular file, never opened to wait on a writer.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSmallFile } from "../../src/small-file.ts";

test("a FIFO is refused as not a regular file, without waiting on it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-small-fifo-"));
  try {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    await assert.rejects(
      readSmallFile(fifo),
      (error: { code?: string }) => error.code === "ENOTREG",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
