// epicac config: print an AWS config file for one or more destination roles, either as
// source_profile chains through one credential_process profile (the default), as
// self-contained `credential_process = <binary> --assume <arn>` profiles (--assume), or as
// profiles the SDK chains itself from the pod's container credentials, with no epicac process
// (--native: credential_source = EcsContainer). Its flags, its --help, its run.

import type { Env } from "../env.ts";
import { checkRoleArn, parseRoleArn, ROLE_ARN_FORM, type RoleArn } from "../arn.ts";
import { EXIT_OK, UsageError } from "../errors.ts";
import { CHAIN_INPUTS, EXTERNAL_ID, REFRESH_BEFORE, REGION } from "../inputs/chain.ts";
import {
  COMMAND_LINE,
  list,
  MODULE,
  onOff,
  parsed,
  readValues,
  text,
  within,
} from "../inputs/input.ts";
import { ROUTES } from "../node/inputs.ts";
import { partitionOf } from "../partitions.ts";
import { given, HELP, parseCommandLine } from "../cli/flags.ts";
import type { CommandResult } from "./command.ts";

const NAME = /^[A-Za-z0-9_.-]+$/;
// Paths end up in a command line that SDKs split on whitespace and quotes: keep them plain.
const PLAIN_PATH = /^\/[\w./+@-]+$/;
const PLAIN_PATH_FORM = "an absolute path without spaces or quotes";

const PROFILE = list<string>({
  flag: "profile",
  placeholder: "NAME=ROLE_ARN",
  type: "string[]",
  form: "NAME=ROLE_ARN[,region=R][,external-id=ID]",
  fromText: (spec) => spec,
  valid: (spec) => spec.includes("="),
  help: "A profile that ends as ROLE_ARN; repeat for more destinations. ,region=R and " +
    ",external-id=ID set them for this profile alone.",
});
const BINARY = text({
  flag: "binary",
  placeholder: "PATH",
  default: "/opt/epicac",
  form: PLAIN_PATH_FORM,
  valid: (path) => PLAIN_PATH.test(path),
  help: "Where epicac is in the image.",
});
const ASSUME_PROFILES = onOff({
  flag: "assume",
  help: 'Profiles run "PATH --assume ROLE_ARN" themselves, for SDKs and tools without ' +
    "source_profile support. Default: role_arn + source_profile.",
});
const NATIVE = onOff({
  flag: "native",
  help: "No epicac at all: role_arn + credential_source = EcsContainer, which current SDKs chain " +
    "from EKS Pod Identity themselves (minimum versions: see the README). No --binary, " +
    "--cache-dir or --assume.",
});
const CACHE_DIR_ARG = text({
  flag: "cache-dir",
  placeholder: "DIR",
  form: PLAIN_PATH_FORM,
  valid: (path) => PLAIN_PATH.test(path),
  help: "--cache-dir DIR on every credential_process line.",
});
const SOURCE_PROFILE = text({
  flag: "source-profile",
  placeholder: "NAME",
  default: "epicac-source",
  form: "a profile name",
  valid: (name) => NAME.test(name),
  help: "The credential_process profile the chains start from; not used with --assume.",
});

// The chain's checks, with what these flags mean here.
const PROFILES_REGION = {
  ...REGION,
  env: undefined,
  help: "region = R in every profile of R's partition (and --region R for --assume); a profile " +
    "in another partition needs its own ,region=.",
};
const PROFILES_EXTERNAL_ID = {
  ...EXTERNAL_ID,
  help: "external_id (or --external-id) for every destination without its own.",
};

const TRUST_POLICIES = onOff({
  flag: "trust-policies",
  help: "Print, instead of a config, the trust policy each role of an epicac node routes file " +
    "needs: trusting the source role only with the session tags of the service accounts the " +
    "route allows.",
});
const SOURCE_ROLE = parsed({
  flag: "source-role",
  placeholder: "ROLE_ARN",
  form: ROLE_ARN_FORM,
  parse: (arn) => parseRoleArn(arn)?.arn,
  help: "With --trust-policies: the role of the pods' Pod Identity association.",
});
const CLUSTER_ARN = text({
  flag: "cluster-arn",
  placeholder: "ARN",
  form: "an EKS cluster ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME)",
  valid: (arn) => /^arn:[\w-]+:eks:[a-z0-9-]+:\d{12}:cluster\/[\w-]{1,100}$/.test(arn),
  help: "With --trust-policies: the cluster whose pods may assume the roles.",
});
const ROUTES_FILE = { ...ROUTES, help: "With --trust-policies: epicac node's routes file." };
export const TRUST_INPUTS = {
  trustPolicies: TRUST_POLICIES,
  routes: ROUTES_FILE,
  sourceRole: SOURCE_ROLE,
  clusterArn: CLUSTER_ARN,
};

export const INPUTS = {
  profile: PROFILE,
  binary: BINARY,
  assume: ASSUME_PROFILES,
  native: NATIVE,
  region: PROFILES_REGION,
  externalId: PROFILES_EXTERNAL_ID,
  cacheDir: CACHE_DIR_ARG,
  sourceProfile: SOURCE_PROFILE,
};

export async function help(): Promise<string> {
  const { helpText } = await import("../cli/help.ts");
  return helpText({
    summary: "epicac config: print an AWS config file for destination roles",
    usage: [
      "epicac config --profile NAME=ROLE_ARN[,region=R][,external-id=ID]... [--binary PATH]",
      "              [--assume | --native] [--region R] [--external-id ID] [--cache-dir DIR]",
      "              [--source-profile NAME]",
    ],
    sections: [["Trust policies", [TRUST_POLICIES, ROUTES_FILE, SOURCE_ROLE, CLUSTER_ARN]], [
      "Profiles",
      [
        PROFILE,
        BINARY,
        ASSUME_PROFILES,
        NATIVE,
        PROFILES_REGION,
        PROFILES_EXTERNAL_ID,
        CACHE_DIR_ARG,
        SOURCE_PROFILE,
      ],
    ]],
    notes: `Set AWS_CONFIG_FILE to the file and AWS_PROFILE to one of the profiles.
`,
  });
}

interface Destination {
  name: string;
  role: RoleArn;
  region?: string;
  externalId?: string;
}

export async function run(argv: string[], env: Env): Promise<CommandResult> {
  const output = given(argv, HELP)
    ? await help()
    : given(argv, TRUST_POLICIES)
    ? await generateTrustPolicies(argv, env)
    : generateConfig(argv);
  return { output, credentials: false, exitCode: EXIT_OK };
}

/** --trust-policies: each route's roles' trust policies, as one JSON document keyed by role. */
async function generateTrustPolicies(argv: string[], env: Env): Promise<string> {
  const values = prefixed(() => parseCommandLine(argv, TRUST_INPUTS));
  if (!values.routes || !values.sourceRole || !values.clusterArn) {
    throw new UsageError(
      "config: --trust-policies needs --routes PATH, --source-role ROLE_ARN and --cluster-arn ARN",
    );
  }
  const { readRoutes } = await import("../node/routes-watch.ts");
  const { trustPolicies } = await import("../node/trust-policies.ts");
  const defaults = readValues(CHAIN_INPUTS, {}, MODULE);
  const routes = await readRoutes(values.routes, defaults, env, REFRESH_BEFORE.default);
  return JSON.stringify(trustPolicies(routes, values.sourceRole, values.clusterArn), null, 2) +
    "\n";
}

/** The config file the command line asks for (--help aside). */
export function generateConfig(argv: string[]): string {
  const values = prefixed(() => parseCommandLine(argv, INPUTS));

  const { region, externalId } = values;
  const destinations = (values.profile ?? []).map((spec) => destination(spec, region, externalId));
  if (destinations.length === 0) {
    throw new UsageError("config: give at least one --profile NAME=ROLE_ARN");
  }
  const names = new Set(destinations.map((d) => d.name));
  if (names.size !== destinations.length) {
    throw new UsageError("config: a profile name is given twice");
  }
  const source = values.sourceProfile;
  if (values.native) {
    const conflicting = [ASSUME_PROFILES, CACHE_DIR_ARG, BINARY, SOURCE_PROFILE]
      .filter((input) => given(argv, input)).map((input) => `--${input.flag}`);
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
  const cacheArgs = values.cacheDir ? ["--cache-dir", values.cacheDir] : [];

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
  const caller = within(COMMAND_LINE, (input) => `--profile ${name} ${input.flag}=`);
  for (const setting of settings) {
    const [key, value = ""] = setting.split(/=(.*)/s);
    if (key === REGION.flag) own.region = prefixed(() => REGION.read(value, caller));
    else if (key === EXTERNAL_ID.flag) {
      own.externalId = prefixed(() => EXTERNAL_ID.read(value, caller));
    } else {
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

/** A usage error from the shared checks, said as config's own. */
function prefixed<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`config: ${error.message}`);
    throw error;
  }
}
