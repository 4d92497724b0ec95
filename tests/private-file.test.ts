// src/private-file.ts on real files: created only where nothing is, with the mode asked for
// whatever the umask; written whole, renamed over an older file or linked where nothing is, so
// that of two writers the second gets EEXIST and the first one's file stays whole.

import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { createPrivateFile, writeFileAtomically } from "../src/private-file.ts";
import { withDirectory } from "./support/directory.ts";

test("a private file has its mode whatever the umask, and is never made where anything is", () => {
  withDirectory((dir) => {
    const umask = process.umask(0o077);
    try {
      closeSync(createPrivateFile(join(dir, "a"), 0o640));
    } finally {
      process.umask(umask);
    }
    assert.equal(statSync(join(dir, "a")).mode & 0o777, 0o640);
    assert.throws(() => createPrivateFile(join(dir, "a")), /EEXIST/);
    symlinkSync(join(dir, "nowhere"), join(dir, "link"));
    assert.throws(() => createPrivateFile(join(dir, "link")), /EEXIST/, "a dangling link too");
  });
});

test("replace renames over an older file; link leaves the first writer's file whole", () => {
  withDirectory((dir) => {
    const path = join(dir, "entry");
    writeFileAtomically(path, "old", 0o600, true);
    writeFileAtomically(path, "new", 0o600, true);
    assert.equal(readFileSync(path, "utf8"), "new");
    const token = join(dir, "token");
    writeFileAtomically(token, "first", 0o640, false);
    assert.throws(() => writeFileAtomically(token, "second", 0o640, false), /EEXIST/);
    assert.equal(readFileSync(token, "utf8"), "first");
    assert.equal(statSync(token).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir).sort(), ["entry", "token"], "no temporary file is left");
  });
});
