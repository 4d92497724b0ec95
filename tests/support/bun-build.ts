// What the tests of scripts/build need to know about `bun build --compile`: the flags it is
// given, and where Bun keeps the runtime of the other architecture. For a --target that is not
// the running bun's own platform, Bun takes the runtime from the npm package
// @oven/bun-linux-<x64|aarch64> of its own version, which it downloads from registry.npmjs.org
// into its install cache (BUN_INSTALL_CACHE_DIR, else ~/.bun/install/cache) as
// bun-linux-<x64|aarch64>-v<version>; for its own platform it copies itself.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { arch } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./epicac.ts";

export type Arch = "amd64" | "arm64";

export const NATIVE: Arch = arch() === "arm64" ? "arm64" : "amd64";

/** scripts/build's --target for each architecture. */
export const BUN_TARGETS: Record<Arch, string> = {
  amd64: "bun-linux-x64",
  arm64: "bun-linux-arm64",
};

/** The flags scripts/build compiles with: scripts/bun-compile-flags, one per line. */
export function bunCompileFlags(root = ROOT): string[] {
  return readFileSync(join(root, "scripts/bun-compile-flags"), "utf8").split("\n")
    .map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
}

/** Bun's install cache as `make build` saw it: this process's environment, from the checkout. */
export function hostBunCache(): string {
  const probe = spawnSync("bun", ["pm", "cache"], {
    cwd: ROOT,
    env: process.env,
    encoding: "utf8",
  });
  if (probe.status !== 0) throw new Error(`bun pm cache: ${probe.stderr}`);
  return probe.stdout.trim();
}

/** The file name of the other architecture's runtime in Bun's install cache. */
export function crossRuntimeFile(): string {
  const version = spawnSync("bun", ["--version"], { encoding: "utf8" }).stdout.trim();
  return `bun-linux-${NATIVE === "amd64" ? "aarch64" : "x64"}-v${version}`;
}
