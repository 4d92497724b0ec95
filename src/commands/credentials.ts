// The credentials command, epicac's default: run the chain (through the cache with --cache-dir)
// and print the credentials for an AWS SDK's credential_process. Its flags, its --help, its run.

import type { Deadline } from "../deadline.ts";
import type { Env } from "../env.ts";
import { EXIT_OK } from "../errors.ts";
import { choice, onOff } from "../inputs/input.ts";
import { type Format, formatCredentials, FORMATS } from "../output.ts";
import { type Plan, planChain, runChain } from "../pipeline.ts";
import { versionLine } from "../cli/version.ts";
import { CHAIN_FLAGS, type ChainCommand, chainCommand, chainSections } from "../cli/chain.ts";
import { HELP as HELP_FLAG, parseCommandLine } from "../cli/flags.ts";
import { startRun } from "../cli/run.ts";
import type { Credentials } from "../credentials.ts";
import type { CommandResult } from "./command.ts";

const FORMAT = choice({
  flag: "format",
  words: FORMATS,
  default: "json",
  help: "json: one line of credential_process JSON. env: 'export AWS_ACCESS_KEY_ID=…' lines " +
    "for eval in a shell.",
});
const VERSION = onOff({
  flag: "version",
  short: "V",
  help: "The version and the runtime the binary was built with.",
});

export const INPUTS = { ...CHAIN_FLAGS, format: FORMAT, version: VERSION };

/** The --help text (built only when asked for: the default path never needs it). */
export async function help(): Promise<string> {
  const { helpText } = await import("../cli/help.ts");
  return helpText({
    summary: "epicac: print this pod's AWS credentials for an AWS SDK's credential_process",
    usage: [
      "epicac [flags]",
      "epicac doctor [--json] [flags]     check the set-up; see epicac doctor --help",
      "epicac config --profile NAME=ARN…  print an AWS config; see epicac config --help",
      "epicac serve --token-file PATH     serve credentials to the pod's SDKs; see epicac serve --help",
      "epicac --help | --version",
    ],
    intro:
      `Reads the container credentials endpoint that EKS Pod Identity (or ECS) sets up for the pod, or
IRSA's web identity token, and prints the credentials on stdout, as credential_process JSON by
default. With --assume, chains roles itself and prints the last role's credentials.

  [profile src]
  credential_process = /opt/epicac`,
    sections: [
      ["Output", [FORMAT, VERSION, HELP_FLAG]],
      ...chainSections(true),
    ],
    notes:
      `The web identity hop takes only --session-name and --duration (STS accepts no more); with
--cache-dir, a --duration must leave room above --refresh-before.

Environment:
  AWS_CONTAINER_CREDENTIALS_FULL_URI      The endpoint, e.g. http://169.254.170.23/v1/credentials
                                          (set by EKS Pod Identity).
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI  A path on http://169.254.170.2 (set by ECS); used when
                                          the full URI is not set.
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE  File holding the Authorization token, read on every run
                                          (set by EKS Pod Identity).
  AWS_CONTAINER_AUTHORIZATION_TOKEN       The token itself, when no token file is set.
  AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN  IRSA's token file and role (set by EKS).
  HTTP_PROXY, HTTPS_PROXY, ALL_PROXY      Ignored: endpoints are always called directly.
  NODE_TLS_REJECT_UNAUTHORIZED            Ignored: certificates are always checked.
  AWS_CONFIG_FILE, AWS_PROFILE            Not read by a credentials run (doctor checks them).
  An empty variable counts as unset.

Security:
  Plain http only to loopback, 169.254.170.2, 169.254.170.23 and [fd00:ec2::23]; https to any
  host. Redirects are not followed, answers over 64 KiB are refused, a token holding CR or LF or
  shorter than 8 characters is refused, and credentials that are malformed or already expired
  are an error, from the agent and STS alike.

Exit codes:
  0  Credentials written to stdout (a stdout that is closed, /dev/null or full is exit 1).
  1  Failure: one line on stderr says what failed and what to check; stdout is empty.
  2  Usage error: the command line is wrong.
`,
  });
}

/** What the command line asks for: the help text, the version, or credentials. */
export type Request =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "credentials"; format: Format; command: ChainCommand };

export function parseRequest(argv: string[], env: Env): Request {
  const values = parseCommandLine(argv, INPUTS);
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  return { kind: "credentials", format: values.format, command: chainCommand(values, env) };
}

export async function run(argv: string[], env: Env): Promise<CommandResult> {
  const request = parseRequest(argv, env);
  if (request.kind === "help") {
    return { output: await help(), credentials: false, exitCode: EXIT_OK };
  }
  if (request.kind === "version") {
    return { output: versionLine(), credentials: false, exitCode: EXIT_OK };
  }
  const { command } = request;
  const deadline = startRun(command.chain.retry.deadlineMs, command.debug);
  const credentials = await resolve(command, deadline);
  return {
    output: formatCredentials(credentials, request.format),
    credentials: true,
    exitCode: EXIT_OK,
  };
}

/** The chain's credentials, through the cache when it is on. */
async function resolve(command: ChainCommand, deadline: Deadline): Promise<Credentials> {
  const plan = planChain(command.chain);
  const fetch = () => runChain(plan, deadline);
  if (!command.cache) return await fetch();
  const { withCache } = await import("../cache/cache.ts");
  return await withCache(fetch, command.cache, await cacheKeyFor(plan), deadline);
}

/** The cache key of a planned chain: every input that changes its result, and no secret. */
export async function cacheKeyFor(plan: Plan): Promise<string> {
  const { cacheKey } = await import("../cache/key.ts");
  return cacheKey({
    source: await plan.source.identity(plan.options.env),
    hops: plan.options.assume,
    session: plan.options.session,
    region: plan.sts?.region,
    endpoint: plan.sts?.endpoint,
  });
}
