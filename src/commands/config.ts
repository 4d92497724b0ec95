// epicac config: print an AWS config file for one or more destination roles, either as
// source_profile chains through one credential_process profile (the default), as
// self-contained `credential_process = <binary> --assume <arn>` profiles (--assume), or as
// profiles the SDK chains itself from the pod's container credentials, with no epicac process
// (--native: credential_source = EcsContainer). Its flags, its --help, its run.

import type { Env } from "../env.ts";
import { checkRoleArn, type Partition, type RoleArn } from "../arn.ts";
import { EXIT_OK, UsageError } from "../errors.ts";
import { parseSessionOptions } from "../sts/session.ts";
import { checkRegion } from "../sts/settings.ts";
import { parseFlags } from "../cli/flags.ts";
import type { CommandResult } from "./command.ts";

const FLAGS = {
  profile: { type: "string", multiple: true },
  binary: { type: "string", default: "/opt/epicac" },
  assume: { type: "boolean", default: false },
  native: { type: "boolean", default: false },
  region: { type: "string" },
  "external-id": { type: "string" },
  "cache-dir": { type: "string" },
  "source-profile": { type: "string", default: "epicac-source" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const HELP = `epicac config: print an AWS config file for destination roles

Usage:
  epicac config --profile NAME=ROLE_ARN[,region=R][,external-id=ID]... [--binary PATH]
                [--assume | --native] [--region R] [--external-id ID] [--cache-dir DIR]
                [--source-profile NAME]

  --profile NAME=ROLE_ARN  A profile that ends as ROLE_ARN; repeat for more destinations.
                           ,region=R and ,external-id=ID set them for this profile alone.
  --binary PATH            Where epicac is in the image (default /opt/epicac).
  --assume                 Profiles run "PATH --assume ROLE_ARN" themselves, for SDKs and tools
                           without source_profile support. Default: role_arn + source_profile.
  --native                 No epicac at all: role_arn + credential_source = EcsContainer, which
                           current SDKs chain from EKS Pod Identity themselves (minimum
                           versions: see the README). No --binary, --cache-dir or --assume.
  --region R               region = R in every profile of R's partition (and --region R for
                           --assume); a profile in another partition needs its own ,region=.
  --external-id ID         external_id (or --external-id) for every destination without its own.
  --cache-dir DIR          --cache-dir DIR on every credential_process line.
  --source-profile NAME    The credential_process profile the chains start from (default
                           epicac-source); not used with --assume.

Set AWS_CONFIG_FILE to the file and AWS_PROFILE to one of the profiles.
`;

const NAME = /^[A-Za-z0-9_.-]+$/;
// Paths end up in a command line that SDKs split on whitespace and quotes: keep them plain.
const PLAIN_PATH = /^\/[\w./+@-]+$/;

interface Destination {
  name: string;
  role: RoleArn;
  region?: string;
  externalId?: string;
}

export function run(argv: string[], _env: Env): Promise<CommandResult> {
  return Promise.resolve({ output: generateConfig(argv), credentials: false, exitCode: EXIT_OK });
}

export function generateConfig(argv: string[]): string {
  const values = prefixed(() => parseFlags(argv, FLAGS));
  if (values.help) return HELP;

  const externalId = checkExternalId(values["external-id"]);
  const region = values.region === undefined
    ? undefined
    : prefixed(() => checkRegion(values.region!, "--region"));
  const destinations = (values.profile ?? []).map((spec) => destination(spec, region, externalId));
  if (destinations.length === 0) {
    throw new UsageError("config: give at least one --profile NAME=ROLE_ARN");
  }
  const names = new Set(destinations.map((d) => d.name));
  if (names.size !== destinations.length) {
    throw new UsageError("config: a profile name is given twice");
  }
  const source = values["source-profile"];
  if (!NAME.test(source)) {
    throw new UsageError(`config: --source-profile takes a profile name, not '${source}'`);
  }
  if (values.native) {
    const conflicting = ["--assume", "--cache-dir", "--binary", "--source-profile"]
      .filter((flag) => argv.some((arg) => arg === flag || arg.startsWith(`${flag}=`)));
    if (conflicting.length > 0) {
      throw new UsageError(
        `config: --native profiles run no epicac process, so ${
          conflicting.join(" and ")
        } cannot go with it`,
      );
    }
    return nativeConfig(destinations);
  }
  if (!values.assume && names.has(source)) {
    throw new UsageError(`config: --source-profile ${source} is also a destination`);
  }
  for (const [flag, path] of [["--binary", values.binary], ["--cache-dir", values["cache-dir"]]]) {
    if (path !== undefined && !PLAIN_PATH.test(path)) {
      throw new UsageError(
        `config: ${flag} takes an absolute path without spaces or quotes, not '${path}'`,
      );
    }
  }
  const cacheArgs = values["cache-dir"] ? ["--cache-dir", values["cache-dir"]] : [];

  const lines = [
    "# AWS config generated by epicac config.",
    "# Use it with AWS_CONFIG_FILE=<this file> and AWS_PROFILE=<one of the profiles below>.",
    "",
  ];
  for (const d of destinations) {
    lines.push(`[profile ${d.name}]`);
    if (values.assume) {
      const args = ["--assume", d.role.arn];
      if (d.region) args.push("--region", d.region);
      if (d.externalId) args.push("--external-id", d.externalId);
      lines.push(`credential_process = ${values.binary} ${[...args, ...cacheArgs].join(" ")}`);
    } else {
      lines.push(`role_arn = ${d.role.arn}`, `source_profile = ${source}`);
      if (d.externalId) lines.push(`external_id = ${d.externalId}`);
    }
    if (d.region) lines.push(`region = ${d.region}`);
    lines.push("");
  }
  if (!values.assume) {
    lines.push(
      `[profile ${source}]`,
      `credential_process = ${[values.binary, ...cacheArgs].join(" ")}`,
    );
    // The pod's own credentials are in the cluster's partition: the first destination's region
    // stands for it only when every destination shares one.
    const regions = new Set(destinations.map((d) => d.region));
    if (regions.size === 1 && region) lines.push(`region = ${region}`);
    lines.push("");
  }
  return lines.join("\n");
}

/** Profiles the SDK assumes itself, from the pod's container credentials. */
function nativeConfig(destinations: Destination[]): string {
  const lines = [
    "# AWS config generated by epicac config --native: no epicac process. The SDK assumes each",
    "# role itself with the pod's container credentials (credential_source = EcsContainer), which",
    "# needs an SDK recent enough to read EKS Pod Identity's variables there (see the README).",
    "# Use it with AWS_CONFIG_FILE=<this file> and AWS_PROFILE=<one of the profiles below>.",
    "",
  ];
  for (const d of destinations) {
    lines.push(
      `[profile ${d.name}]`,
      `role_arn = ${d.role.arn}`,
      "credential_source = EcsContainer",
    );
    if (d.externalId) lines.push(`external_id = ${d.externalId}`);
    if (d.region) lines.push(`region = ${d.region}`);
    lines.push("");
  }
  return lines.join("\n");
}

/** One --profile NAME=ROLE_ARN[,region=R][,external-id=ID]. */
function destination(
  spec: string,
  region: string | undefined,
  externalId: string | undefined,
): Destination {
  const at = spec.indexOf("=");
  const name = spec.slice(0, at);
  if (at < 1 || !NAME.test(name)) {
    throw new UsageError(`config: --profile takes NAME=ROLE_ARN, not '${spec}'`);
  }
  const [arn, ...settings] = spec.slice(at + 1).split(",");
  const role = prefixed(() => checkRoleArn(arn, "--profile"));
  const own: Destination = { name, role, externalId };
  for (const setting of settings) {
    const [key, value = ""] = setting.split(/=(.*)/s);
    if (key === "region") {
      own.region = prefixed(() => checkRegion(value, `--profile ${name} region`));
    } else if (key === "external-id") own.externalId = checkExternalId(value);
    else {
      throw new UsageError(
        `config: --profile ${name} takes region= and external-id= after the ARN, not '${setting}'`,
      );
    }
  }
  if (own.region === undefined && region !== undefined) {
    if (partitionOf(region) !== role.partition) {
      throw new UsageError(
        `config: --profile ${name} is a role in partition ${role.partition}, but --region ${region} is in ${
          partitionOf(region)
        }: give it a region of its own (--profile ${name}=${role.arn},region=R)`,
      );
    }
    own.region = region;
  }
  return own;
}

/** The partition a region belongs to, by its name. */
export function partitionOf(region: string): Partition {
  const prefixes: [string, Partition][] = [
    ["cn-", "aws-cn"],
    ["us-gov-", "aws-us-gov"],
    ["us-isob-", "aws-iso-b"],
    ["us-isof-", "aws-iso-f"],
    ["eu-isoe-", "aws-iso-e"],
    ["us-iso-", "aws-iso"],
    ["eusc-", "aws-eusc"],
  ];
  return prefixes.find(([prefix]) => region.startsWith(prefix))?.[1] ?? "aws";
}

/** Same rules as the credentials command's --external-id. */
function checkExternalId(id: string | undefined): string | undefined {
  return prefixed(() => parseSessionOptions({ sessionName: "epicac", externalId: id }, true))
    .externalId;
}

/** A usage error from the shared checks, said as config's own. */
function prefixed<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`config: ${error.message}`);
    throw error;
  }
}
