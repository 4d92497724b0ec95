// The floors: minimal reference programs (scripts/bench/floors/) compiled in the same run, with
// the same runtime and flags as epicac's binaries, so that each epicac path is compared with the
// least a program on that runtime can do for it; and an application that uses epicac's module
// (fromContainer), compared with the default path's floor. A program that cannot be built is
// reported with the reason, like a missing binary.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Arch, PathKind, Runtime } from "./candidates.ts";

export interface Floor {
  /** A floor, or the application using the module. */
  role: "floor" | "module";
  runtime: Runtime;
  path: PathKind;
  /** The compiled reference program. */
  file: string;
  /** Why it was not built; undefined when it was. */
  failure?: string;
}

/** The programs built, each with the path it stands on. */
export const FLOOR_SOURCES: { role: Floor["role"]; path: PathKind; source: string }[] = [
  { role: "floor", path: "default", source: "scripts/bench/floors/container-fetch.ts" },
  { role: "floor", path: "assume", source: "scripts/bench/floors/assume-role.ts" },
  { role: "module", path: "default", source: "scripts/bench/floors/module-container.ts" },
];

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

/** Compiles every program for this machine's architecture; never throws for a failed build. */
export function buildFloors(options: FloorBuildOptions): Floor[] {
  const floors: Floor[] = [];
  for (const { role, path, source: relative } of FLOOR_SOURCES) {
    const source = join(options.root, relative);
    const bunFile = join(options.dir, `${role}-bun-${path}`);
    floors.push(built(
      role,
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
    const denoFile = join(options.dir, `${role}-deno-${path}`);
    floors.push(
      typeof options.deno === "string"
        ? built(
          role,
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
        : { role, runtime: "deno", path, file: denoFile, failure: options.deno.reason },
    );
  }
  return floors;
}

function built(
  role: Floor["role"],
  runtime: Runtime,
  path: PathKind,
  file: string,
  outcome: { exitCode: number; stderr: string },
): Floor {
  if (outcome.exitCode === 0) return { role, runtime, path, file };
  const said = outcome.stderr.split("\n").map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? "";
  const why = runtime === "deno" && /dl\.deno\.land|denort|base binary/i.test(outcome.stderr)
    ? "deno compile could not get its denort runtime (set DENORT_BIN, see make build)"
    : `the ${runtime} build failed${said ? `: ${said.slice(0, 160)}` : ""}`;
  return { role, runtime, path, file, failure: why };
}
