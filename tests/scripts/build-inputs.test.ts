// scripts/build-inputs: the lines the release publishes as BUILD-INPUTS, in their order, each
// matching what it names (versions, checksums, bundle and compile flags, the runtimes the
// compilers embed); the same text from any directory and environment, with no path of this
// machine in it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DENO_PERMISSIONS } from "../../scripts/deno-permissions.ts";
import { ROOT, runProcess } from "../support/epicac.ts";
import { bunCompileFlags, crossRuntimeFile, hostBunCache, NATIVE } from "../support/bun-build.ts";

const MAKEFILE = readFileSync(join(ROOT, "Makefile"), "utf8");
const pinned = (name: string) => new RegExp(`^${name}\\s*:=\\s*(\\S+)$`, "m").exec(MAKEFILE)?.[1];
const BUN_VERSION = pinned("BUN_VERSION");
const DENO_VERSION = pinned("DENO_VERSION");

const KEYS = [
  "epicac",
  "commit",
  "working tree",
  "bun",
  "deno",
  "package.json",
  "bun.lockb",
  "bun build flags",
  "bun runtime for bun-linux-x64",
  "bun runtime for bun-linux-arm64",
  "deno bundle flags",
  "deno bundle's esbuild",
  "deno compile flags",
  "deno runtime for x86_64-unknown-linux-gnu",
  "deno runtime for aarch64-unknown-linux-gnu",
];

/** The flags in one of scripts/' flag files, one per line. */
function flagsIn(file: string): string[] {
  return readFileSync(join(ROOT, file), "utf8").split("\n").map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function git(...args: string[]) {
  return spawnSync("git", ["-C", ROOT, ...args], { encoding: "utf8" });
}

/** The bun on PATH, symlinks resolved: the runtime Bun embeds for its own platform. */
function bunBinary(): string {
  return spawnSync("bash", ["-c", 'readlink -f "$(command -v bun)"'], { encoding: "utf8" })
    .stdout.trim();
}

/** scripts/build-inputs with Bun's cache as `make build` left it; its lines as [name, value]. */
async function buildInputs(env: Record<string, string> = {}, cwd = ROOT) {
  const result = await runProcess(`${ROOT}scripts/build-inputs`, [], {
    env: { BUN_INSTALL_CACHE_DIR: hostBunCache(), ...env },
    cwd,
    killAfterMs: 60_000,
  });
  assert.equal(result.code, 0, `scripts/build-inputs: ${result.stderr}`);
  assert.equal(result.stderr, "");
  const lines = result.stdout.split("\n");
  assert.equal(lines.pop(), "", "it ends with a newline");
  const entries = lines.map((line) => {
    const at = line.indexOf(": ");
    assert.ok(at > 0, `a "name: value" line: ${line}`);
    return [line.slice(0, at), line.slice(at + 2)] as const;
  });
  return { text: result.stdout, entries, values: new Map(entries) };
}

test("scripts/build-inputs names the commit, the tools, the lockfile, the flags and the runtimes", async () => {
  const { entries, values } = await buildInputs();
  assert.deepEqual(entries.map(([name]) => name), KEYS);
  const value = (name: string) => values.get(name)!;

  const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  assert.equal(value("epicac"), version);
  const head = git("rev-parse", "--verify", "HEAD^{commit}");
  if (head.status === 0) {
    assert.equal(value("commit"), head.stdout.trim());
    const clean = git("status", "--porcelain").stdout === "";
    assert.equal(value("working tree"), clean ? "clean" : "modified");
  } else assert.equal(value("commit"), "none (not a git checkout)");

  assert.ok(BUN_VERSION && DENO_VERSION, "the Makefile pins both");
  assert.equal(value("bun"), spawnSync("bun", ["--revision"], { encoding: "utf8" }).stdout.trim());
  assert.ok(value("bun").startsWith(`${BUN_VERSION}+`));
  assert.equal(value("deno"), DENO_VERSION);
  for (const file of ["package.json", "bun.lockb"]) {
    assert.equal(value(file), `sha256:${sha256(join(ROOT, file))}`);
  }
  assert.equal(value("bun build flags"), bunCompileFlags().join(" "));

  // Bun embeds itself for its own platform, and @oven/bun-linux-<arch> from its cache otherwise.
  const cross = join(hostBunCache(), crossRuntimeFile());
  for (const a of ["amd64", "arm64"] as const) {
    const npmArch = a === "amd64" ? "x64" : "aarch64";
    const target = a === "amd64" ? "bun-linux-x64" : "bun-linux-arm64";
    const digest = a === NATIVE
      ? `sha256:${sha256(bunBinary())}`
      : existsSync(cross)
      ? `sha256:${sha256(cross)}`
      : "not in this machine's Bun cache";
    assert.equal(
      value(`bun runtime for ${target}`),
      `@oven/bun-linux-${npmArch}@${BUN_VERSION}, ${digest}`,
    );
  }

  assert.equal(
    value("deno bundle flags"),
    `DENO_CONDITIONS=module ${flagsIn("scripts/deno-bundle-flags").join(" ")}`,
  );
  // deno bundle's esbuild, which deno fetches from npm into its directory on the first bundle.
  assert.match(
    value("deno bundle's esbuild"),
    /^(esbuild-\d+\.\d+\.\d+\S*|not in this machine's DENO_DIR)$/,
  );
  assert.equal(
    value("deno compile flags"),
    `${flagsIn("scripts/deno-compile-flags").join(" ")} ${
      DENO_PERMISSIONS.join(" ")
    } --include dist/deno-bundle`,
  );
  for (const target of ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]) {
    assert.match(
      value(`deno runtime for ${target}`),
      new RegExp(
        `^denort ${DENO_VERSION} from dl\\.deno\\.land, (zip sha256:[0-9a-f]{64}|not in this machine's DENO_DIR)$`,
      ),
    );
  }
});

test("scripts/build-inputs names DENORT_BIN, with its checksum, for the architecture it is built for", async () => {
  const deno = spawnSync("bash", ["-c", 'readlink -f "$(command -v deno)"'], { encoding: "utf8" })
    .stdout.trim();
  const { values } = await buildInputs({ DENORT_BIN: deno });
  const [native, other] = NATIVE === "amd64"
    ? ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
    : ["aarch64-unknown-linux-gnu", "x86_64-unknown-linux-gnu"];
  assert.equal(values.get(`deno runtime for ${native}`), `DENORT_BIN, sha256:${sha256(deno)}`);
  assert.match(values.get(`deno runtime for ${other}`)!, /^denort .* from dl\.deno\.land, /);
});

test("scripts/build-inputs prints the same text from another directory, zone and home, and no path of this machine", async () => {
  const home = mkdtempSync(join(tmpdir(), "epicac-build-inputs-home-"));
  try {
    const here = await buildInputs();
    const elsewhere = await buildInputs({ HOME: home, TZ: "Pacific/Chatham", LC_ALL: "C" }, "/");
    assert.equal(elsewhere.text, here.text);
    for (const local of [ROOT.replace(/\/$/, ""), hostBunCache(), tmpdir(), home]) {
      assert.ok(!here.text.includes(local), `the output names ${local}`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
