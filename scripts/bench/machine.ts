// Where and with what a benchmark ran: machine, runtime and tool versions, git revision. Each
// probe is best effort: a tool that is absent or fails is recorded as null.

import { execFileSync } from "node:child_process";
import { arch, cpus, loadavg, release, totalmem } from "node:os";
import process from "node:process";
import type { Arch, Candidate } from "./candidates.ts";

export interface MachineInfo {
  os: string;
  kernel: string;
  arch: Arch;
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
  /** 1, 5 and 15 minute load averages when the benchmark started: how busy the machine was. */
  loadAverage: number[];
  ci: boolean;
  runtimes: {
    /** The Bun running the benchmark. */
    bench: string;
    deno: string | null;
    curl: string | null;
    jq: string | null;
    qemu: string | null;
    /** What each binary answers to --version (the runtime it was built with). */
    binaries: Record<string, string | null>;
  };
  git: { revision: string | null; dirty: boolean };
}

/** The first line a command prints, or null when it cannot run. */
function firstLineOf(command: string[], cwd?: string): string | null {
  try {
    const out = execFileSync(command[0], command.slice(1), {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 30_000,
    });
    return out.split("\n")[0].trim() || null;
  } catch {
    return null;
  }
}

export function machineInfo(root: string, candidates: readonly Candidate[]): MachineInfo {
  const binaries: Record<string, string | null> = {};
  for (const c of candidates) {
    // The default-path command is the binary itself (behind qemu when emulated).
    if (c.kind !== "epicac" || c.path !== "default" || c.status !== "ready") continue;
    binaries[c.label] = firstLineOf([...c.command, "--version"]);
  }
  const foreignQemu = arch() === "arm64" ? "qemu-x86_64" : "qemu-aarch64";
  const status = firstLineOf(["git", "status", "--porcelain", "--untracked-files=no"], root);
  return {
    os: process.platform,
    kernel: release(),
    arch: arch() === "arm64" ? "arm64" : "amd64",
    cpuModel: cpus()[0]?.model?.trim() ?? "unknown",
    cpus: cpus().length,
    memoryBytes: totalmem(),
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    ci: Boolean(process.env.CI),
    runtimes: {
      bench: `bun ${process.versions.bun ?? "unknown"}`,
      deno: firstLineOf(["deno", "--version"]),
      curl: firstLineOf(["curl", "--version"]),
      jq: firstLineOf(["jq", "--version"]),
      qemu: firstLineOf([foreignQemu, "--version"]),
      binaries,
    },
    git: { revision: firstLineOf(["git", "rev-parse", "HEAD"], root), dirty: status !== null },
  };
}
