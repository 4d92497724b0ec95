// Reproducible builds: two clean clones of the commit at HEAD, each built with `make build` in
// its own environment (checkout paths of different lengths, TZ, umask, locale, HOME, TMPDIR,
// Bun's install cache and Deno's directory, the sources' mtimes), give the same
// dist/SHA256SUMS: the two Bun binaries and, where deno compile can get its denort runtime, the
// two Deno binaries, byte for byte; and everywhere the same dist/deno-bundle, the program the
// Deno binaries embed. It builds what is committed; uncommitted changes take no part. It runs in
// make test-release (the release and benchmark workflows), not in make test.
//
// Without network (scripts/test runs the suite in a namespace with only loopback), each clone
// gets a copy of this checkout's node_modules, installed from the same bun.lockb (whose
// integrity hashes pin every package; `bun install --frozen-lockfile` checks it), its empty
// Bun cache a copy of the other architecture's runtime that `make build` downloaded, and its
// empty Deno directory a copy of the esbuild `deno bundle` runs. With network, all of them come
// from the npm registry into the empty caches.
//
// It runs under deno test only: the result does not depend on the runtime running the test, and
// building twice more would double its time.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from "node:fs";
import process from "node:process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runProcess } from "../support/epicac.ts";
import { crossRuntimeFile, hostBunCache } from "../support/bun-build.ts";
import { loopbackOnly } from "../support/network.ts";

const BUN_BINARIES = ["epicac-bun-linux-amd64", "epicac-bun-linux-arm64"];
const DENO_BINARIES = ["epicac-deno-linux-amd64", "epicac-deno-linux-arm64"];
// Where make build could build the Deno binaries here, the clones must build them too.
const BINARIES = DENO_BINARIES.every((name) => existsSync(join(ROOT, "dist", name)))
  ? [...BUN_BINARIES, ...DENO_BINARIES]
  : BUN_BINARIES;

function headCommit(): string | undefined {
  const probe = spawnSync("git", ["-C", ROOT, "rev-parse", "--verify", "HEAD^{commit}"], {
    encoding: "utf8",
  });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

const COMMIT = headCommit();
const SKIP = !("Deno" in globalThis)
  ? "runs under deno test only (the double build of HEAD does not depend on the test's runtime)"
  : COMMIT === undefined
  ? "not a git checkout: there is no commit to clone"
  : undefined;

interface Variant {
  /** The clone's parent directory: HOME, caches and TMPDIR live beside the checkout. */
  dir: string;
  tz: string;
  umask: string;
  locale: string;
  /** touch -d argument for every file of the checkout, or "" to keep the clone's own. */
  mtime: string;
}

// Clone, check out, prepare offline when there is no network, then build as a user would.
const SCRIPT = `
set -euo pipefail
umask "$UMASK"
git clone --quiet --no-checkout "$ORIGIN" "$SRC"
git -C "$SRC" -c advice.detachedHead=false checkout --quiet --detach "$COMMIT"
if [ -n "$MTIME" ]; then
  find "$SRC" -path "$SRC/.git" -prune -o -exec touch -h -d "$MTIME" {} +
fi
if [ -n "$NODE_MODULES" ]; then
  cp -R "$NODE_MODULES" "$SRC/node_modules"
  rm -f "$SRC/node_modules/.installed"
fi
mkdir -p "$BUN_INSTALL_CACHE_DIR" "$SRC/.tools/deno-cache/dl"
if [ -n "$RUNTIME" ]; then cp "$RUNTIME" "$BUN_INSTALL_CACHE_DIR/"; fi
if [ -n "$ESBUILD" ]; then cp -R "$ESBUILD" "$SRC/.tools/deno-cache/dl/"; fi
make -C "$SRC" build
`;

interface Offline {
  nodeModules: string;
  /** The other architecture's Bun runtime, from Bun's install cache. */
  runtime: string;
  /** The esbuild deno bundle runs, from Deno's directory. */
  esbuild: string;
}

async function build(variant: Variant, offline: Offline | null) {
  const { dir } = variant;
  for (const sub of ["home", "tmp", "xdg-cache", "xdg-config"]) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  const src = join(dir, "src");
  const result = await runProcess("bash", ["-c", SCRIPT], {
    env: {
      ORIGIN: ROOT,
      COMMIT,
      SRC: src,
      UMASK: variant.umask,
      MTIME: variant.mtime,
      NODE_MODULES: offline?.nodeModules ?? "",
      RUNTIME: offline?.runtime ?? "",
      ESBUILD: offline?.esbuild ?? "",
      HOME: join(dir, "home"),
      TMPDIR: join(dir, "tmp"),
      XDG_CACHE_HOME: join(dir, "xdg-cache"),
      XDG_CONFIG_HOME: join(dir, "xdg-config"),
      BUN_INSTALL_CACHE_DIR: join(dir, "bun-cache"),
      DENO_DIR: undefined,
      TZ: variant.tz,
      LANG: variant.locale,
      LC_ALL: variant.locale,
    },
    killAfterMs: 20 * 60_000,
  });
  assert.equal(
    result.code,
    0,
    `make build in ${src}:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`,
  );
  return src;
}

/** The lines of dist/SHA256SUMS: exactly the binaries this machine builds. */
function sums(src: string): string[] {
  const lines = readFileSync(join(src, "dist", "SHA256SUMS"), "utf8").split("\n").filter(Boolean);
  assert.deepEqual(lines.map((line) => line.slice(66)), BINARIES, `${src}/dist/SHA256SUMS`);
  return lines;
}

/** The sha256 of each file of dist/deno-bundle, by name. */
function bundleSums(src: string): string[] {
  const dir = join(src, "dist", "deno-bundle");
  const names = readdirSync(dir).sort();
  assert.ok(names.includes("main.js"), `${dir} holds main.js`);
  return names.map((name) =>
    `${
      spawnSync("sha256sum", [join(dir, name)], { encoding: "utf8" }).stdout.slice(0, 64)
    }  ${name}`
  );
}

test(
  "two clean clones of HEAD, built in different environments, give the same SHA256SUMS and the same Deno bundle",
  {
    skip: SKIP,
  },
  async () => {
    let offline = null;
    if (loopbackOnly()) {
      const runtime = join(hostBunCache(), crossRuntimeFile());
      assert.ok(
        existsSync(runtime),
        `${runtime} is missing: make build puts the other architecture's runtime there`,
      );
      const downloads = join(process.env.DENO_DIR ?? join(ROOT, ".tools", "deno-cache"), "dl");
      const esbuild = readdirSync(downloads).find((name) => name.startsWith("esbuild-"));
      assert.ok(esbuild, `${downloads} holds no esbuild: make build puts deno bundle's there`);
      offline = {
        nodeModules: realpathSync(join(ROOT, "node_modules")),
        runtime,
        esbuild: join(downloads, esbuild),
      };
    }
    const base = mkdtempSync(join(tmpdir(), "epicac-reproducible-"));
    try {
      const one = await build(
        { dir: join(base, "a"), tz: "UTC", umask: "022", locale: "C.UTF-8", mtime: "" },
        offline,
      );
      const other = await build({
        dir: join(base, "a-clone-whose-path-is-longer", "and", "deeper"),
        tz: "Pacific/Chatham",
        umask: "077",
        locale: "C",
        mtime: "2001-09-09 01:46:40 UTC",
      }, offline);
      assert.deepEqual(bundleSums(other), bundleSums(one), "the two dist/deno-bundle differ");
      const [first, second] = [sums(one), sums(other)];
      if (first.join("\n") !== second.join("\n")) {
        // Where the binaries part, to find what the build embedded.
        const where = BINARIES.map((name) =>
          spawnSync("cmp", [join(one, "dist", name), join(other, "dist", name)], {
            encoding: "utf8",
          }).stdout.trim()
        );
        assert.deepEqual(second, first, `the builds differ: ${where.join("; ")}`);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  },
);
