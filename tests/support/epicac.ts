// Runs epicac as a process, the way an AWS SDK does: from the sources under the runtime running
// the tests, as the bundle the Deno binaries embed (under deno test), or as a compiled binary
// from dist/ (arm64 under qemu-user on other machines).

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { DENO_PERMISSIONS } from "../../scripts/deno-permissions.ts";
import "./trace.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface Target {
  name: string;
  /** Program and leading arguments. */
  command: string[];
  /** Set when the target cannot run here, with the reason (reported as a skipped test). */
  skip?: string;
  /** An arm64 binary running under qemu-user: slower, and never compared with native ones. */
  emulated: boolean;
  /** A compiled binary from dist/, rather than the sources under a runtime. */
  compiled: boolean;
  /** The program the Deno binaries embed (dist/deno-bundle), rather than the sources. */
  bundled: boolean;
  /** The runtime that executes epicac. */
  runtime: "bun" | "deno";
}

interface RuntimeGlobals {
  Deno?: { execPath(): string };
}

/** The sources, run by whichever runtime is running the tests (with the build's permissions). */
export function sourceTarget(): Target {
  const deno = (globalThis as RuntimeGlobals).Deno;
  const command = deno
    ? [deno.execPath(), "run", "--no-prompt", ...DENO_PERMISSIONS, `${ROOT}src/main.ts`]
    : [process.execPath, `${ROOT}src/main.ts`];
  return {
    name: deno ? "source (deno)" : "source (bun)",
    command,
    emulated: false,
    compiled: false,
    bundled: false,
    runtime: deno ? "deno" : "bun",
  };
}

/**
 * Under deno test, the program the Deno binaries embed: dist/deno-bundle, which scripts/build
 * makes with `deno bundle` (make build writes it; it must be there, as the Bun binaries must),
 * run by `deno run` with the binaries' permissions and, like them, no deno.json or package.json.
 * A module that bundling drops or breaks fails here, even where no Deno binary can be built.
 */
export function denoBundleTarget(): Target | undefined {
  const deno = (globalThis as RuntimeGlobals).Deno;
  if (!deno) return undefined;
  return {
    name: "deno bundle",
    command: [
      deno.execPath(),
      "run",
      "--no-config",
      "--no-prompt",
      ...DENO_PERMISSIONS,
      `${ROOT}dist/deno-bundle/main.js`,
    ],
    emulated: false,
    compiled: false,
    bundled: true,
    runtime: "deno",
  };
}

const NATIVE_ARCH = arch() === "arm64" ? "arm64" : "amd64";

/** A binary in dist/. Bun binaries must exist (make test builds them); Deno ones may not. */
export function binaryTarget(runtime: "bun" | "deno", binaryArch: "amd64" | "arm64"): Target {
  const name = `epicac-${runtime}-linux-${binaryArch}`;
  const file = `${ROOT}dist/${name}`;
  const emulated = binaryArch !== NATIVE_ARCH;
  const command = !emulated
    ? [file]
    : binaryArch === "arm64"
    ? ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", file]
    : ["qemu-x86_64", "-L", "/usr/x86_64-linux-gnu", file];
  const skip = runtime === "deno" && !existsSync(file)
    ? `dist/${name} was not built (deno compile could not get its denort runtime; see make build)`
    : undefined;
  return {
    name: emulated ? `${name} (emulated)` : name,
    command,
    skip,
    emulated,
    compiled: true,
    bundled: runtime === "deno",
    runtime,
  };
}

/**
 * The targets that can run here, in this test runner's pass. Test files iterate these; a binary
 * that was not built is reported once, as skipped, by tests/targets.test.ts (Deno skips a file's
 * `after` hooks when the file has a skipped test, so files with hooks must not register any).
 *
 * Each program runs in one pass: the sources under both runtimes; the Bun binaries under bun
 * test, the Deno bundle and binaries under deno test (which runs files in parallel). The Deno
 * bundle is among them only with `denoBundle`, which the files that run the binaries' paths (each
 * command, each module loaded on demand) ask for. A binary for the other architecture runs under
 * qemu-user, twenty or more times slower: only where a file asks for it with `emulated`, its
 * files about the binary itself (start-up, output, each command, the cache's locking); it is the
 * same code as the native binary, which every file runs.
 */
export function runnableTargets(
  options: { denoBundle?: boolean; emulated?: boolean } = {},
): Target[] {
  const deno = (globalThis as RuntimeGlobals).Deno !== undefined;
  return allTargets().filter((target) =>
    !target.skip &&
    (target.compiled ? (target.runtime === "deno") === deno : true) &&
    (options.denoBundle || target.compiled || !target.bundled) &&
    (options.emulated || !target.emulated)
  );
}

/** Every way epicac runs: the sources, the Deno bundle under deno test, and the four binaries. */
export function allTargets(): Target[] {
  const bundle = denoBundleTarget();
  return [
    sourceTarget(),
    ...(bundle ? [bundle] : []),
    binaryTarget("bun", "amd64"),
    binaryTarget("bun", "arm64"),
    binaryTarget("deno", "amd64"),
    binaryTarget("deno", "arm64"),
  ];
}

/**
 * One program path that runs `target`, for where a single path is expected (a credential_process
 * line, `epicac config --binary`): a binary's own path, or a script in `dir` that runs its command.
 */
export function programOf(target: Target, dir: string): string {
  if (target.command.length === 1) return target.command[0];
  const file = join(dir, `${target.name.replace(/\W+/g, "-")}.sh`);
  const words = target.command.map((word) => `'${word.replaceAll("'", `'\\''`)}'`);
  writeFileSync(file, `#!/bin/sh\nexec ${words.join(" ")} "$@"\n`, { mode: 0o755 });
  return file;
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  /** The whole environment: nothing is inherited but PATH and the runtimes' cache settings. */
  env?: Record<string, string | undefined>;
  /** Kill the process after this long (default 30 s). */
  killAfterMs?: number;
  cwd?: string;
}

export function runEpicac(
  target: Target,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const [program, ...rest] = target.command;
  // A safety net, not a bound: an emulated binary on a loaded machine can take long to start.
  const killAfterMs = options.killAfterMs ?? (target.emulated ? 120_000 : 30_000);
  return runProcess(program, [...rest, ...args], { ...options, killAfterMs });
}

export function runProcess(
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const env = processEnv(options.env);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), options.killAfterMs ?? 30_000);
    child.on("error", (error) => {
      clearTimeout(killer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** A child's whole environment: PATH and the runtimes' cache settings, then `extra`. */
export function processEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "DENO_DIR", "DENO_NO_UPDATE_CHECK"]) {
    if (process.env[name]) env[name] = process.env[name]!;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface TimedResult extends RunResult {
  /** CPU time the process used, user and system, in milliseconds. */
  cpuMs: number;
  /** Peak resident set size, in KiB. */
  maxRssKiB: number;
}

/** Run epicac under GNU time, which reports the CPU time and peak RSS of the process itself. */
export async function runEpicacTimed(
  target: Target,
  args: string[],
  options: RunOptions = {},
): Promise<TimedResult> {
  const dir = mkdtempSync(join(tmpdir(), "epicac-time-"));
  const report = join(dir, "time");
  try {
    const result = await runProcess(
      "/usr/bin/time",
      ["-o", report, "-f", "%U %S %M", ...target.command, ...args],
      options,
    );
    const [user, system, rss] = readFileSync(report, "utf8").trim().split("\n").at(-1)!.split(" ");
    return {
      ...result,
      cpuMs: (Number(user) + Number(system)) * 1000,
      maxRssKiB: Number(rss),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The --deadline of a case that checks a run ends in time: long enough for an emulated start
 * on a loaded machine, short enough to wait on.
 */
export function caseDeadlineSeconds(target: Target): number {
  return target.emulated ? 8 : 3;
}

/**
 * What such a case asserts: the run ended within 1.5 × its deadline. That is generous slack for
 * machine load, yet catches a run that waits a second deadline (2×).
 */
export function withinDeadlineMs(target: Target): number {
  return caseDeadlineSeconds(target) * 1500;
}
