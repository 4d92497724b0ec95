/**
 * EKS Pod Identity (and ECS, and IRSA) credentials as AWS SDK for JavaScript v3 credential
 * providers, in process, for Deno and Bun applications: the same pipeline, checks, redaction and
 * error messages as the `epicac` command, without a second process.
 *
 * `fromContainer()` gives the pod's own credentials; `fromChain({ assume: [...] })` chains
 * sts:AssumeRole hops from them and gives the last role's. A provider keeps its credentials until
 * `refreshBeforeMs` before they expire, and concurrent callers share one in-flight refresh.
 *
 * @example Credentials for a role in another account
 * ```ts
 * import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
 * import { fromChain } from "@epicac/epicac";
 *
 * const sts = new STSClient({
 *   region: "eu-west-1",
 *   credentials: fromChain({ assume: ["arn:aws:iam::222222222222:role/app"] }),
 * });
 * console.log((await sts.send(new GetCallerIdentityCommand({}))).Arn);
 * ```
 *
 * Unlike the command, the module does not touch its host's environment, and its requests ignore
 * it all the same: they never go through a proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and
 * NO_PROXY change nothing, so the agent's token never reaches a proxy), and certificates are
 * checked even under NODE_TLS_REJECT_UNAUTHORIZED=0.
 *
 * @module
 */

import process from "node:process";
import type { Credentials } from "./credentials.ts";
import { startDeadline } from "./deadline.ts";
import type { Env } from "./env.ts";
import {
  buildChainOptions,
  checkRefreshWindow,
  DEFAULTS,
  type InputNames,
  limited,
} from "./options.ts";
import { planChain, runChain } from "./pipeline.ts";
import { refreshing } from "./refreshing.ts";
import type { SourceKind } from "./sources/source.ts";

export { EpicacError, UsageError } from "./errors.ts";
export { SOURCES } from "./sources/source.ts";
export type { Env, SourceKind };

/** The SDK's AwsCredentialIdentity, structurally. */
export type AwsCredentialIdentity = Credentials;
/** The SDK's AwsCredentialIdentityProvider, structurally: pass it as a client's `credentials`. */
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

/** Options of both providers. Times are milliseconds; the defaults are the command's. */
export interface ContainerProviderOptions {
  /** Milliseconds one request may take (default 1000). */
  timeoutMs?: number;
  /** Extra attempts after connection errors, timeouts, 429 and 5xx (default 3). */
  retries?: number;
  /** Milliseconds one refresh may take in all (default 5000). */
  deadlineMs?: number;
  /** Refresh this long before the credentials expire (default 15 minutes: botocore's window). */
  refreshBeforeMs?: number;
  /** Where the AWS_* variables are read (default process.env). */
  env?: Env;
}

/** Options of {@link fromChain}: the hops, and the session each hop asks STS for. */
export interface ChainProviderOptions extends ContainerProviderOptions {
  /** Role ARNs assumed in order, each with the previous hop's credentials. */
  assume: string[];
  /** Default: the container source if configured, else web identity (IRSA). */
  source?: SourceKind;
  /** RoleSessionName (default: the host's name, made valid). */
  sessionName?: string;
  /** ExternalId sent on every AssumeRole hop. */
  externalId?: string;
  /** DurationSeconds: 900 to 3600 for chained sessions. */
  durationSeconds?: number;
  /** SourceIdentity sent on every AssumeRole hop. */
  sourceIdentity?: string;
  /** Session tags sent on every AssumeRole hop. */
  tags?: Record<string, string>;
  /** Default: AWS_REGION, then AWS_DEFAULT_REGION. */
  region?: string;
  /** Default: AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, else the region's own. */
  stsEndpoint?: string;
}

const OPTION_NAMES: InputNames = { seconds: false, name: (input) => input };

/** The pod's own credentials from EKS Pod Identity (or ECS). */
export function fromContainer(
  options: ContainerProviderOptions = {},
): AwsCredentialIdentityProvider {
  return fromChain({ ...options, assume: [], source: "container" });
}

/** The credentials of the last role in `assume`, chained from the pod's credentials. */
export function fromChain(options: ChainProviderOptions): AwsCredentialIdentityProvider {
  const chain = buildChainOptions({
    env: options.env ?? process.env,
    source: options.source,
    assume: options.assume,
    session: {
      sessionName: options.sessionName,
      externalId: options.externalId,
      duration: options.durationSeconds === undefined ? undefined : String(options.durationSeconds),
      sourceIdentity: options.sourceIdentity,
      tags: options.tags && Object.entries(options.tags).map(([key, value]) => `${key}=${value}`),
    },
    region: options.region,
    stsEndpoint: options.stsEndpoint,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    deadlineMs: options.deadlineMs,
  }, OPTION_NAMES);
  const refreshBeforeMs = limited(
    "refreshBeforeMs",
    options.refreshBeforeMs ?? DEFAULTS.refreshBeforeMs,
    OPTION_NAMES,
  );
  checkRefreshWindow(
    chain,
    refreshBeforeMs,
    { duration: "durationSeconds", refreshBefore: "refreshBeforeMs", seconds: false },
    "every call would refresh",
  );
  return refreshing(async () => {
    const deadline = startDeadline(chain.retry.deadlineMs);
    try {
      return await runChain(planChain(chain), deadline);
    } finally {
      deadline.cancel();
    }
  }, refreshBeforeMs);
}
