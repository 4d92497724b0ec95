// src/small-file.ts: a token file is read as it is, in every runtime, and a failed read carries
// the usual error code so the message can say why in a few words. A FIFO, a device or a file
// over the limit is refused before it is read: none can hang or flood a run.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { readFailure, readSmallFile } from "../src/small-file.ts";
import { withDirectory } from "./support/directory.ts";

const IS_ROOT = process.getuid?.() === 0;

function file(dir: string, content: string, name = "file"): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The error a read rejects with. */
async function readError(path: string): Promise<unknown> {
  try {
    await readSmallFile(path);
  } catch (error) {
    return error;
  }
  assert.fail(`expected reading ${path} to fail`);
}

test("readSmallFile returns the content exactly, untrimmed, as UTF-8", async () => {
  await withDirectory(async (dir) => {
    const content = "  eyJ token ✓ ünïcode\r\n\n";
    assert.equal(await readSmallFile(file(dir, content)), content);
    assert.equal(await readSmallFile(file(dir, "", "empty")), "");
  });
});

test("readSmallFile reads the file as it is now, not as it was", async () => {
  await withDirectory(async (dir) => {
    const path = file(dir, "first");
    assert.equal(await readSmallFile(path), "first");
    writeFileSync(path, "second");
    assert.equal(await readSmallFile(path), "second");
  });
});

test("a missing file fails with ENOENT: 'no such file'", async () => {
  await withDirectory(async (dir) => {
    const error = await readError(join(dir, "missing"));
    assert.equal((error as { code?: string }).code, "ENOENT");
    assert.equal(readFailure(error), "no such file");
  });
});

test("a directory fails with EISDIR: 'it is a directory'", async () => {
  await withDirectory(async (dir) => {
    const error = await readError(dir);
    assert.equal((error as { code?: string }).code, "EISDIR");
    assert.equal(readFailure(error), "it is a directory");
  });
});

test("an unreadable file fails with EACCES: 'permission denied'", {
  skip: IS_ROOT ? "running as root, which can read any file" : false,
}, async () => {
  await withDirectory(async (dir) => {
    const path = file(dir, "secret");
    chmodSync(path, 0o000);
    const error = await readError(path);
    assert.equal((error as { code?: string }).code, "EACCES");
    assert.equal(readFailure(error), "permission denied");
  });
});

test("a device is refused as not a regular file, without reading it (a FIFO: tests/e2e)", async () => {
  assert.equal((await readError("/dev/zero") as { code?: string }).code, "ENOTREG");
});

test("a file over the limit is refused before it is read", async () => {
  await withDirectory(async (dir) => {
    const path = file(dir, "x".repeat(101));
    try {
      await readSmallFile(path, 100);
      assert.fail("a 101-byte file was read with a 100-byte limit");
    } catch (error) {
      assert.equal((error as { code?: string }).code, "EFBIG");
    }
    assert.equal(await readSmallFile(path, 101), "x".repeat(101));
  });
});

test("other failures are named by their code", async () => {
  await withDirectory(async (dir) => {
    const error = await readError(join(file(dir, "x"), "below-a-file"));
    assert.equal(readFailure(error), "ENOTDIR");
  });
});

test("readFailure words each known code, and anything else", () => {
  assert.equal(readFailure({ code: "ENOENT" }), "no such file");
  assert.equal(readFailure({ code: "EACCES" }), "permission denied");
  assert.equal(readFailure({ code: "EPERM" }), "permission denied");
  assert.equal(readFailure({ code: "EISDIR" }), "it is a directory");
  assert.equal(readFailure({ code: "ELOOP" }), "ELOOP");
  assert.equal(readFailure(new Error("no code")), "read failed");
});
