// What the benchmark times: the seed's `curl | jq` one-liner (the user-facing baseline), the
// floors (minimal reference programs on the same runtime, scripts/bench/floors.ts) and each
// epicac binary in dist/, on the default path and on the `--assume` path. A binary that is not
// there, or cannot run on this machine, stays in the list with its status and the reason.

import { accessSync, constants, existsSync } from "node:fs";
import { arch as osArch } from "node:os";
import { delimiter, join } from "node:path";
import type { Floor } from "./floors.ts";

export type Arch = "amd64" | "arm64";
export type Runtime = "bun" | "deno";
/** `default`: the pod's own credentials. `assume`: one `--assume` hop through the STS stub. */
export type PathKind = "default" | "assume";
export type CandidateStatus = "ready" | "missing" | "skipped";

export interface Candidate {
  /** Unique and stable: the key in results.json. */
  id: string;
  /** The binary's name (or the baseline's), with "(emulated)" for qemu-user runs. */
  label: string;
  kind: "baseline" | "floor" | "module" | "epicac";
  runtime?: Runtime;
  arch: Arch;
  path: PathKind;
  /** Runs under qemu-user: timed and shown, but never compared with native candidates. */
  emulated: boolean;
  /** The whole process that is timed: program and arguments. */
  command: string[];
  /** The files whose sizes are reported (the binary; curl and jq for the baseline). */
  files: string[];
  status: CandidateStatus;
  /** Why a candidate is missing or skipped. */
  reason?: string;
}

/**
 * The seed's documented alternative, verbatim but for curl's `-s`: without it curl writes a
 * progress meter to stderr. It runs as a whole `sh -c` process, like any credential_process.
 */
export const BASELINE_SCRIPT =
  `curl -s -H "Authorization: $(cat $AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)" ` +
  `$AWS_CONTAINER_CREDENTIALS_FULL_URI | jq -c '{AccessKeyId: .AccessKeyId, ` +
  `SecretAccessKey: .SecretAccessKey, SessionToken: .Token, Expiration: .Expiration, Version: 1}'`;

export const BASELINE_ID = "baseline";
export const BASELINE_LABEL = "curl | jq (baseline)";

/** The role the `--assume` candidates assume at the STS stub, which answers for any role. */
export const ASSUME_ROLE_ARN = "arn:aws:iam::222222222222:role/bench";
export const ASSUME_REGION = "us-east-1";

/** How a foreign-architecture binary runs here, when qemu-user and that libc are installed. */
const EMULATORS: Record<Arch, { qemu: string; sysroot: string; packages: string }> = {
  arm64: {
    qemu: "qemu-aarch64",
    sysroot: "/usr/aarch64-linux-gnu",
    packages: "qemu-user libc6-arm64-cross",
  },
  amd64: {
    qemu: "qemu-x86_64",
    sysroot: "/usr/x86_64-linux-gnu",
    packages: "qemu-user libc6-amd64-cross",
  },
};

/** What candidates() needs to know about this machine (the tests give it a fake one). */
export interface Machine {
  nativeArch: Arch;
  exists(file: string): boolean;
  /** The absolute path of an executable on PATH, or undefined. */
  which(name: string): string | undefined;
}

export function thisMachine(env: Record<string, string | undefined> = {}): Machine {
  const search = (env.PATH ?? "").split(delimiter).filter(Boolean);
  return {
    nativeArch: osArch() === "arm64" ? "arm64" : "amd64",
    exists: existsSync,
    which(name) {
      for (const dir of search) {
        const file = join(dir, name);
        try {
          accessSync(file, constants.X_OK);
          return file;
        } catch {
          // not in this directory
        }
      }
      return undefined;
    },
  };
}

export interface CandidateOptions {
  /** The repository root; binaries are read from dist/ under it. */
  root: string;
  /** The STS stub's endpoint, passed to the `--assume` candidates. */
  stsEndpoint: string;
  /** false: emulated binaries are listed as skipped instead of being run. */
  includeEmulated: boolean;
  /** The floors built for this run (none: no floor rows). */
  floors?: readonly Floor[];
}

const RUNTIMES: Runtime[] = ["bun", "deno"];
const PATHS: PathKind[] = ["default", "assume"];

/** The arguments each path adds to the binary's command. */
export function pathArgs(path: PathKind, stsEndpoint: string): string[] {
  return path === "assume"
    ? ["--assume", ASSUME_ROLE_ARN, "--sts-endpoint", stsEndpoint, "--region", ASSUME_REGION]
    : [];
}

/** Every candidate, in a fixed order: the baseline, the floors, native binaries, emulated ones. */
export function candidates(machine: Machine, options: CandidateOptions): Candidate[] {
  const list: Candidate[] = [baseline(machine)];
  for (const f of options.floors ?? []) list.push(floor(machine, options, f));
  const foreign: Arch = machine.nativeArch === "amd64" ? "arm64" : "amd64";
  for (const arch of [machine.nativeArch, foreign]) {
    for (const runtime of RUNTIMES) {
      for (const path of PATHS) list.push(binary(machine, options, runtime, arch, path));
    }
  }
  return list;
}

function baseline(machine: Machine): Candidate {
  const tools = ["curl", "jq"].map((name) => ({ name, file: machine.which(name) }));
  const absent = tools.filter((tool) => !tool.file).map((tool) => tool.name);
  return {
    id: BASELINE_ID,
    label: BASELINE_LABEL,
    kind: "baseline",
    arch: machine.nativeArch,
    path: "default",
    emulated: false,
    command: ["sh", "-c", BASELINE_SCRIPT],
    files: tools.flatMap((tool) => (tool.file ? [tool.file] : [])),
    ...(absent.length > 0
      ? {
        status: "missing" as const,
        reason: `${absent.join(" and ")} not on PATH (apt-get install curl jq)`,
      }
      : { status: "ready" as const }),
  };
}

const FLOOR_LABEL: Record<PathKind, string> = {
  default: "bare fetch",
  assume: "bare fetch + AssumeRole",
};

/** The id of the floor an epicac candidate is compared with. */
export function floorId(runtime: Runtime, path: PathKind): string {
  return `floor-${runtime} ${path}`;
}

function floor(machine: Machine, options: CandidateOptions, f: Floor): Candidate {
  return {
    id: f.role === "floor" ? floorId(f.runtime, f.path) : `module-${f.runtime} ${f.path}`,
    label: f.role === "floor"
      ? `${FLOOR_LABEL[f.path]} (${f.runtime} floor)`
      : `module fromContainer() (${f.runtime} app)`,
    kind: f.role,
    runtime: f.runtime,
    arch: machine.nativeArch,
    path: f.path,
    emulated: false,
    command: [f.file, ...pathArgs(f.path, options.stsEndpoint)],
    files: [f.file],
    ...(f.failure
      ? { status: "missing" as const, reason: f.failure }
      : { status: "ready" as const }),
  };
}

function binary(
  machine: Machine,
  options: CandidateOptions,
  runtime: Runtime,
  arch: Arch,
  path: PathKind,
): Candidate {
  const name = `epicac-${runtime}-linux-${arch}`;
  const file = join(options.root, "dist", name);
  const emulated = arch !== machine.nativeArch;
  const emulator = EMULATORS[arch];
  const prefix = emulated ? [emulator.qemu, "-L", emulator.sysroot] : [];
  const candidate: Candidate = {
    id: `${name} ${path}`,
    label: emulated ? `${name} (emulated)` : name,
    kind: "epicac",
    runtime,
    arch,
    path,
    emulated,
    command: [...prefix, file, ...pathArgs(path, options.stsEndpoint)],
    files: [file],
    status: "ready",
  };
  if (!machine.exists(file)) {
    candidate.status = "missing";
    candidate.reason = runtime === "deno"
      ? `dist/${name} was not built (deno compile could not get its denort runtime; see make build)`
      : `dist/${name} is missing (run make build)`;
  } else if (emulated && !options.includeEmulated) {
    candidate.status = "skipped";
    candidate.reason = "emulated runs were turned off (--no-emulated)";
  } else if (emulated && !(machine.which(emulator.qemu) && machine.exists(emulator.sysroot))) {
    candidate.status = "skipped";
    candidate.reason = `cannot run ${arch} here: needs ${emulator.qemu} and ${emulator.sysroot} ` +
      `(apt-get install ${emulator.packages})`;
  }
  return candidate;
}
