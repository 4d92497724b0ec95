// The credentials command, epicac's default: run the chain (through the cache with --cache-dir)
// and print the credentials for an AWS SDK's credential_process. Its flags, its --help, its run.

import type { Deadline } from "../deadline.ts";
import type { Env } from "../env.ts";
import { EXIT_OK, UsageError } from "../errors.ts";
import { DEFAULTS } from "../options.ts";
import { type Format, formatCredentials, FORMATS } from "../output.ts";
import { type Plan, planChain, runChain } from "../pipeline.ts";
import { versionLine } from "../cli/version.ts";
import { CHAIN_FLAGS, type ChainCommand, chainCommand, parseFlags } from "../cli/flags.ts";
import { startRun } from "../cli/run.ts";
import type { Credentials } from "../credentials.ts";
import type { CommandResult } from "./command.ts";

const FLAGS = {
  ...CHAIN_FLAGS,
  format: { type: "string", default: "json" },
  version: { type: "boolean", short: "V", default: false },
} as const;

export const HELP = `epicac: print this pod's AWS credentials for an AWS SDK's credential_process

Usage:
  epicac [--format json|env] [--timeout S] [--retries N] [--deadline S] [--debug]
         [--source container|web-identity]
         [--assume ROLE_ARN]... [session flags] [--region R] [--sts-endpoint URL]
         [--cache-dir DIR] [--refresh-before S]
  epicac doctor [--json] [flags]     check the set-up; see epicac doctor --help
  epicac config --profile NAME=ARN…  print an AWS config; see epicac config --help
  epicac serve --token-file PATH     serve credentials to the pod's SDKs; see epicac serve --help
  epicac --help | --version

Reads the container credentials endpoint that EKS Pod Identity (or ECS) sets up for the pod, or
IRSA's web identity token, and prints the credentials on stdout, as credential_process JSON by
default. With --assume, chains roles itself and prints the last role's credentials.

  [profile src]
  credential_process = /opt/epicac

Output and reliability:
  --format json|env  json: one line of credential_process JSON (default).
                     env: 'export AWS_ACCESS_KEY_ID=…' lines for eval in a shell.
  --timeout S        Seconds one request may take, answer included (default ${
  DEFAULTS.timeoutMs / 1000
}).
  --retries N        Extra attempts after connection errors, timeouts, HTTP 429 and 5xx
                     (default ${DEFAULTS.retries}; other 4xx answers are never retried).
  --deadline S       Seconds the whole run may take: cache lock wait, retries, backoff and STS
                     included (default ${DEFAULTS.deadlineMs / 1000}).
  --debug            Log steps, timings and statuses to stderr. Secrets and tokens are never
                     logged.

Source:
  --source KIND      container: the EKS Pod Identity / ECS endpoint.
                     web-identity: IRSA, AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN through
                     sts:AssumeRoleWithWebIdentity.
                     Default: container when its variables are set, else web-identity.

Role chaining (each hop signs sts:AssumeRole with the previous hop's credentials):
  --assume ROLE_ARN  Assume this role; repeat for more hops. AccountId comes from the ARN.
  --session-name N   Role session name (default: this host's name, i.e. the pod's name).
  --external-id ID   ExternalId sent on every AssumeRole hop.
  --duration S       Session length, 900 to 3600 seconds: AWS caps chained sessions at one
                     hour (up to 43200 for a web identity session without --assume).
  --source-identity I  SourceIdentity sent on every AssumeRole hop.
  --tag KEY=VALUE    Session tag on every AssumeRole hop; repeatable (at most 50).
  --region R         STS region (default AWS_REGION, then AWS_DEFAULT_REGION; never from an
                     AWS config file).
  --sts-endpoint URL STS endpoint: https, or http to loopback only (default
                     AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, else the region's own).
  The web identity hop takes only --session-name and --duration (STS accepts no more).

Cache:
  --cache-dir DIR    Reuse the result until --refresh-before seconds before it expires
                     (also EPICAC_CACHE_DIR). Directory 0700, entries 0600; concurrent runs
                     share one fetch.
  --refresh-before S Refresh window (default ${
  DEFAULTS.refreshBeforeMs / 1000
}, which covers every AWS SDK's own); a
                     --duration no longer than it is refused with --cache-dir.

  -h, --help         Show this help.
  -V, --version      Show the version and the runtime the binary was built with.

Environment:
  AWS_CONTAINER_CREDENTIALS_FULL_URI      The endpoint, e.g. http://169.254.170.23/v1/credentials
                                          (set by EKS Pod Identity).
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI  A path on http://169.254.170.2 (set by ECS); used when
                                          the full URI is not set.
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE  File holding the Authorization token, read on every run
                                          (set by EKS Pod Identity).
  AWS_CONTAINER_AUTHORIZATION_TOKEN       The token itself, when no token file is set.
  AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN  IRSA's token file and role (set by EKS).
  AWS_REGION, AWS_DEFAULT_REGION          The STS region, when --region is not given.
  AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL  STS endpoint overrides, when --sts-endpoint is not
                                          given; an empty value counts as unset.
  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS     true (any case): the two variables above are ignored.
  EPICAC_CACHE_DIR                        Same as --cache-dir.
  HTTP_PROXY, HTTPS_PROXY, ALL_PROXY      Ignored: endpoints are always called directly.
  NODE_TLS_REJECT_UNAUTHORIZED            Ignored: certificates are always checked.
  AWS_CONFIG_FILE, AWS_PROFILE            Not read by a credentials run (doctor checks them).

Security:
  Plain http only to loopback, 169.254.170.2, 169.254.170.23 and [fd00:ec2::23]; https to any
  host. Redirects are not followed, answers over 64 KiB are refused, a token holding CR or LF or
  shorter than 8 characters is refused, and credentials that are malformed or already expired
  are an error, from the agent and STS alike.

Exit codes:
  0  Credentials written to stdout (a stdout that is closed, /dev/null or full is exit 1).
  1  Failure: one line on stderr says what failed and what to check; stdout is empty.
  2  Usage error: the command line is wrong.
`;

/** What the command line asks for: the help text, the version, or credentials. */
export type Request =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "credentials"; format: Format; command: ChainCommand };

export function parseRequest(argv: string[], env: Env): Request {
  const values = parseFlags(argv, FLAGS);
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (!(FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, not '${values.format}'`);
  }
  return {
    kind: "credentials",
    format: values.format as Format,
    command: chainCommand(values, env),
  };
}

export async function run(argv: string[], env: Env): Promise<CommandResult> {
  const request = parseRequest(argv, env);
  if (request.kind === "help") return { output: HELP, credentials: false, exitCode: EXIT_OK };
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
