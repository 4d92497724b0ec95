// src/doctor/shell.ts with the real /bin/sh and a PATH of the test's choosing: a shell missing
// from PATH is a warning naming the SDKs that look it up there; both shells there, no word.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkShell } from "../../src/doctor/shell.ts";

test("no sh on PATH: a warning for the Go, Java, Rust and .NET SDKs, and the fix", async () => {
  const dir = mkdtempSync(join(tmpdir(), "epicac-shell-"));
  try {
    const check = await checkShell({ PATH: dir });
    assert.equal(check?.status, "warn");
    assert.match(
      check!.detail,
      /the Go, Java, Rust and \.NET SDKs run "sh -c" and find no sh on PATH/,
    );
    assert.doesNotMatch(check!.detail, /JavaScript/, "/bin/sh is there");
    assert.match(check!.fix!, /epicac serve sidecar.*epicac config --native/);
    writeFileSync(join(dir, "sh"), "");
    assert.ok(await checkShell({ PATH: dir }), "a sh that cannot be executed is no shell");
    chmodSync(join(dir, "sh"), 0o755);
    assert.equal(await checkShell({ PATH: dir }), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
