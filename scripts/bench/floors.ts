// The floors: minimal reference programs (scripts/bench/floors/) compiled in the same run, with
// the same runtime and flags as epicac's binaries, so that each epicac path is compared with the
// least a program on that runtime can do for it. A floor that cannot be built is reported with
// the reason, like a missing binary.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Arch, PathKind, Runtime } from "./candidates.ts";

export interface Floor {
  runtime: Runtime;
  path: PathKind;
  /** The compiled reference program. */
  file: string;
  /** Why it was not built; undefined when it was. */
  failure?: string;
}

/** The reference program of each path. */
export const FLOOR_SOURCES: Record<PathKind, string> = {
  default: "scripts/bench/floors/container-fetch.ts",
  assume: "scripts/bench/floors/assume-role.ts",
};

/** The flags in scripts/bun-compile-flags, the one list scripts/build also reads. */
export function bunCompileFlags(root: string): string[] {
  return readFileSync(join(root, "scripts/bun-compile-flags"), "utf8").split("\n")
    .map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
}

const BUN_TARGET: Record<Arch, string> = { amd64: "bun-linux-x64", arm64: "bun-linux-arm64" };
const DENO_TARGET: Record<Arch, string> = {
  amd64: "x86_64-unknown-linux-gnu",
  arm64: "aarch64-unknown-linux-gnu",
};

export interface FloorBuildOptions {
  root: string;
  /** Where the compiled floors go (the run's scratch directory). */
  dir: string;
  arch: Arch;
  bun: string;
  /** deno, or why the Deno floors are not built. */
  deno: string | { reason: string };
  /** The flags of the Deno build (scripts/deno-permissions.ts). */
  denoPermissions: readonly string[];
  spawn(command: string[], env?: Record<string, string>): { exitCode: number; stderr: string };
}

/** Compiles every floor for this machine's architecture; never throws for a failed build. */
export function buildFloors(options: FloorBuildOptions): Floor[] {
  const floors: Floor[] = [];
  for (const path of ["default", "assume"] as const) {
    const source = join(options.root, FLOOR_SOURCES[path]);
    const bunFile = join(options.dir, `floor-bun-${path}`);
    floors.push(built(
      "bun",
      path,
      bunFile,
      options.spawn([
        options.bun,
        "build",
        source,
        ...bunCompileFlags(options.root),
        `--target=${BUN_TARGET[options.arch]}`,
        "--outfile",
        bunFile,
      ]),
    ));
    const denoFile = join(options.dir, `floor-deno-${path}`);
    floors.push(
      typeof options.deno === "string"
        ? built(
          "deno",
          path,
          denoFile,
          options.spawn([
            options.deno,
            "compile",
            "--quiet",
            "--no-check",
            "--target",
            DENO_TARGET[options.arch],
            ...options.denoPermissions,
            "--output",
            denoFile,
            source,
          ]),
        )
        : { runtime: "deno", path, file: denoFile, failure: options.deno.reason },
    );
  }
  return floors;
}

function built(
  runtime: Runtime,
  path: PathKind,
  file: string,
  outcome: { exitCode: number; stderr: string },
): Floor {
  if (outcome.exitCode === 0) return { runtime, path, file };
  const said = outcome.stderr.split("\n").map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? "";
  const why = runtime === "deno" && /dl\.deno\.land|denort|base binary/i.test(outcome.stderr)
    ? "deno compile could not get its denort runtime (set DENORT_BIN, see make build)"
    : `the ${runtime} build failed${said ? `: ${said.slice(0, 160)}` : ""}`;
  return { runtime, path, file, failure: why };
}
