// What the cold-start benchmark times besides the floors (floors.ts): the seed's `curl | jq`
// one-liner, the user-facing baseline, and each epicac binary in dist/ built for this machine,
// on the default path and with one `--assume` hop. Binaries of the other architecture are not
// timed: under qemu-user their times say nothing about native ones.

import { existsSync } from "node:fs";
import { arch } from "node:os";
import { join } from "node:path";

export type PathKind = "default" | "assume";

export const NATIVE_ARCH = arch() === "arm64" ? "arm64" : "amd64";

export interface Candidate {
  /** Unique and stable: the key in results.json and hyperfine's name for the command. */
  id: string;
  label: string;
  kind: "baseline" | "floor" | "module" | "epicac";
  path: PathKind;
  /** The whole process that is timed. */
  command: string[];
  /** The id of the floor it is compared with (epicac's paths, the module's application). */
  floor?: string;
  /** Why it cannot run; absent when it can. */
  missing?: string;
}

/** The seed's one-liner, verbatim but for curl's -s (no progress meter), as one process. */
const SEED = `curl -s -H "Authorization: $(cat $AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)" ` +
  `$AWS_CONTAINER_CREDENTIALS_FULL_URI | jq -c '{AccessKeyId: .AccessKeyId, ` +
  `SecretAccessKey: .SecretAccessKey, SessionToken: .Token, Expiration: .Expiration, Version: 1}'`;
export const BASELINE: Candidate = {
  id: "baseline",
  label: "curl | jq (baseline)",
  kind: "baseline",
  path: "default",
  command: ["sh", "-c", SEED],
};

/** A path's arguments, in the order floors/assume-role.ts reads them (the stub takes any role). */
export function pathArgs(path: PathKind, stsEndpoint: string): string[] {
  const role = "arn:aws:iam::222222222222:role/bench";
  return path === "default"
    ? []
    : ["--assume", role, "--sts-endpoint", stsEndpoint, "--region", "us-east-1"];
}

export const floorId = (runtime: string, path: PathKind) => `floor-${runtime} ${path}`;

/** epicac's binaries for this machine, Bun then Deno, each on both paths. */
export function epicacCandidates(root: string, stsEndpoint: string): Candidate[] {
  return ["bun", "deno"].flatMap((runtime) =>
    (["default", "assume"] as const).map((path) => {
      const name = `epicac-${runtime}-linux-${NATIVE_ARCH}`;
      const file = join(root, "dist", name);
      const missing = `dist/${name} was not built (see make build)`;
      return {
        id: `${name} ${path}`,
        label: name,
        kind: "epicac",
        path,
        command: [file, ...pathArgs(path, stsEndpoint)],
        floor: floorId(runtime, path),
        ...(existsSync(file) ? {} : { missing }),
      };
    })
  );
}
