// Where and with what the benchmark ran: machine, tool versions, git revision and whether the
// tree had uncommitted changes. A tool that is absent is recorded as null.

import { spawnSync } from "node:child_process";
import { cpus, loadavg, release } from "node:os";
import process from "node:process";
import { NATIVE_ARCH } from "./candidates.ts";

/** The first line a command prints on stdout (wrk -v exits 1), or null when it cannot run. */
function firstLine(command: string[], cwd?: string): string | null {
  const done = spawnSync(command[0], command.slice(1), { cwd, encoding: "utf8", timeout: 30_000 });
  return done.error ? null : done.stdout.split("\n")[0].trim();
}

export function machineInfo(root: string) {
  const tool = (name: string, flag = "--version") => firstLine([name, flag]);
  const tools = ["bun", "deno", "hyperfine", "curl", "jq"].map((name) => [name, tool(name)]);
  return {
    kernel: `${process.platform} ${release()}`,
    arch: NATIVE_ARCH,
    cpu: cpus()[0]?.model?.trim() ?? "unknown",
    cores: cpus().length,
    /** 1, 5 and 15 minute load averages at the start: how busy the machine was. */
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    tools: { ...Object.fromEntries(tools), wrk: tool("wrk", "-v") },
    git: {
      revision: firstLine(["git", "rev-parse", "HEAD"], root),
      dirty: firstLine(["git", "status", "--porcelain", "--untracked-files=no"], root) !== "",
    },
  };
}

export type MachineInfo = ReturnType<typeof machineInfo>;
