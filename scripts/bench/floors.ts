// The floors: minimal reference programs (floors/) compiled in the same run with the runtime and
// flags of epicac's own binaries, so that each epicac path is compared with the least a program
// on that runtime can do for it. The application calling epicac's module is built the same way
// and compared with the default path's floor, and so is the node section's Pod Identity agent
// (node.ts). A program that does not build is listed with the reason, like a missing binary.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DENO_PERMISSIONS } from "../deno-permissions.ts";
import { type Candidate, floorId, NATIVE_ARCH, pathArgs, type PathKind } from "./candidates.ts";

const PROGRAMS: { kind: "floor" | "module"; path: PathKind; source: string; label: string }[] = [
  { kind: "floor", path: "default", source: "container-fetch.ts", label: "bare fetch" },
  { kind: "floor", path: "assume", source: "assume-role.ts", label: "bare fetch + AssumeRole" },
  { kind: "module", path: "default", source: "module-container.ts", label: "fromContainer()" },
];

const TARGET = NATIVE_ARCH === "amd64"
  ? { bun: "bun-linux-x64", deno: "x86_64-unknown-linux-gnu" }
  : { bun: "bun-linux-arm64", deno: "aarch64-unknown-linux-gnu" };

/** Compiles one program of floors/ as scripts/build compiles epicac; why it failed, or undefined. */
export function compile(runtime: string, root: string, program: string, out: string) {
  const source = join(root, "scripts/bench/floors", program);
  // scripts/bun-compile-flags is the one list of flags: scripts/build reads it too.
  const flags = readFileSync(join(root, "scripts/bun-compile-flags"), "utf8").split("\n")
    .map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
  const [command, ...args] = runtime === "bun"
    ? ["bun", "build", source, ...flags, `--target=${TARGET.bun}`, "--outfile", out]
    : [...`deno compile --quiet --no-check --target ${TARGET.deno}`.split(" "), ...DENO_PERMISSIONS]
      .concat("--output", out, source);
  const done = spawnSync(command, args, { cwd: root, encoding: "utf8", timeout: 600_000 });
  if (done.status === 0) return undefined;
  if (/dl\.deno\.land|denort/i.test(done.stderr ?? "")) {
    return "deno compile could not get its denort runtime (set DENORT_BIN, see make build)";
  }
  const said = done.stderr?.trim().split("\n").at(-1) || done.error?.message;
  return `the ${runtime} build failed: ${said?.slice(0, 160)}`;
}

/** The floors and the module's application, built for both runtimes, as candidates. */
export function floorCandidates(root: string, dir: string, stsEndpoint: string): Candidate[] {
  // With no Deno binary to compare with (deno compile could not get its runtime), no Deno floor.
  const noDeno = !existsSync(join(root, "dist", `epicac-deno-linux-${NATIVE_ARCH}`)) &&
    "not built: there is no Deno binary in dist/ to compare it with";
  return ["bun", "deno"].flatMap((runtime) =>
    PROGRAMS.map(({ kind, path, source, label }) => {
      const out = join(dir, `${kind}-${runtime}-${path}`);
      const missing = runtime === "deno" && noDeno || compile(runtime, root, source, out);
      return {
        id: kind === "floor" ? floorId(runtime, path) : `module-${runtime} ${path}`,
        label: `${label} (${runtime} ${kind === "floor" ? "floor" : "application"})`,
        kind,
        path,
        command: [out, ...pathArgs(path, stsEndpoint)],
        ...(kind === "module" ? { floor: floorId(runtime, path) } : {}),
        ...(missing ? { missing } : {}),
      };
    })
  );
}
