// scripts/check-binaries, the check the release and benchmark workflows run on dist/ after
// make build (make test-release): the binaries make build wrote pass it, with their sizes in
// its table; and in a scratch copy, a planted 200 MB binary fails it for its size (and for not
// being epicac), whatever made it. It runs in make test-release, not in make test, and under
// deno test only: the script does not depend on the runtime running the test.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  truncateSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runProcess } from "../support/epicac.ts";
import { hostBunCache, NATIVE } from "../support/bun-build.ts";

const PLANTED_BYTES = 200_000_000;
const skip = "Deno" in globalThis ? undefined : "runs under deno test only";
let scratch = "";

before(() => {
  scratch = mkdtempSync(join(tmpdir(), "epicac-check-binaries-"));
  for (
    const path of [
      "package.json",
      "scripts/check-binaries",
      "scripts/payload.sh",
      "scripts/bun-compile-flags",
      "scripts/deno-bundle-flags",
      "scripts/deno-compile-flags",
      "scripts/deno-permissions.ts",
      "src/http/ignored-variables.ts",
      "tests/fakes/agent.ts",
    ]
  ) {
    cpSync(join(ROOT, path), join(scratch, path), { recursive: true });
  }
  mkdirSync(join(scratch, "dist"));
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** scripts/check-binaries NAME… in `root`, with the Bun cache make build filled. */
function checkBinaries(root: string, names: string[], env: Record<string, string> = {}) {
  return runProcess(join(root, "scripts", "check-binaries"), names, {
    env: { BUN_INSTALL_CACHE_DIR: hostBunCache(), ...env },
    killAfterMs: 300_000,
  });
}

test("the binaries make build wrote pass, and the table gives each one's size and payload", {
  skip,
}, async () => {
  const names = ["bun-linux-amd64", "bun-linux-arm64", "deno-linux-amd64", "deno-linux-arm64"]
    .filter((name) => name.startsWith("bun-") || existsSync(join(ROOT, "dist", `epicac-${name}`)));
  const result = await checkBinaries(ROOT, names);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  for (const name of names) {
    assert.match(
      result.stdout,
      new RegExp(
        `^\\| \`epicac-${name}\` \\| \\d+\\.\\d\\d MB \\| \\d+\\.\\d\\d MB \\| \\d+(\\.\\d+)? MB \\|$`,
        "m",
      ),
    );
  }
});

test("a planted 200 MB binary fails the check for its size, whatever made it", {
  skip,
}, async () => {
  // ELF files for this machine, 200 MB long: the pinned deno, and a Bun binary make build wrote.
  const deno = join(scratch, "dist", `epicac-deno-linux-${NATIVE}`);
  const bun = join(scratch, "dist", `epicac-bun-linux-${NATIVE}`);
  copyFileSync(realpathSync(join(ROOT, ".tools", "bin", "deno")), deno);
  copyFileSync(join(ROOT, "dist", `epicac-bun-linux-${NATIVE}`), bun);
  truncateSync(deno, PLANTED_BYTES);
  truncateSync(bun, PLANTED_BYTES);
  // No denort here: Deno's empty program is compiled on the same stand-in base.
  const result = await checkBinaries(scratch, [`bun-linux-${NATIVE}`, `deno-linux-${NATIVE}`], {
    DENORT_BIN: realpathSync(join(ROOT, ".tools", "bin", "deno")),
  });
  assert.equal(result.code, 1, result.stdout);
  for (const [runtime, limit] of [["bun", "5.5"], ["deno", "2"]]) {
    const name = `epicac-${runtime}-linux-${NATIVE}`;
    assert.match(
      result.stderr,
      new RegExp(
        `^check-binaries: dist/${name} is 200\\.00 MB, \\d+\\.\\d\\d MB above its runtime's empty program: over the ${limit} MB limit$`,
        "m",
      ),
    );
    assert.match(result.stdout, new RegExp(`^\\| \`${name}\` \\| 200\\.00 MB \\| `, "m"));
  }
  // The planted deno is not epicac either.
  assert.match(
    result.stderr,
    new RegExp(
      `^check-binaries: dist/epicac-deno-linux-${NATIVE} does not answer --version as epicac`,
      "m",
    ),
  );
});
