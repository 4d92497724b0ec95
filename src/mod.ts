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
import type { Env } from "./env.ts";
import { CHAIN_INPUTS, REFRESH_BEFORE } from "./inputs/chain.ts";
import { MODULE, readValues } from "./inputs/input.ts";
import { chainOptions, checkRefreshWindow } from "./options.ts";
import { planChain, runChainWithin } from "./pipeline.ts";
import { refreshing } from "./refreshing.ts";
import type { SourceKind } from "./sources/kinds.ts";

export { EpicacError, UsageError } from "./errors.ts";
export { SOURCES } from "./sources/kinds.ts";
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
  /** Refresh this long before the credentials expire (default 900000: botocore's 15 minutes). */
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
  /** DurationSeconds: 900 to 3600 for chained sessions (default: the role's own). */
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

/** The pod's own credentials from EKS Pod Identity (or ECS). */
export function fromContainer(
  options: ContainerProviderOptions = {},
): AwsCredentialIdentityProvider {
  return fromChain({ ...options, assume: [], source: "container" });
}

/**
 * The credentials of the last role in `assume`, chained from the pod's credentials. A bad
 * option is a {@link UsageError} that names it.
 */
export function fromChain(options: ChainProviderOptions): AwsCredentialIdentityProvider {
  const { env = process.env, ...given } = options;
  const values = readValues(MODULE_INPUTS, given, MODULE);
  const chain = chainOptions(values, env, MODULE);
  checkRefreshWindow(chain, values.refreshBeforeMs, "every call would refresh");
  return refreshing(() => runChainWithin(planChain(chain)), values.refreshBeforeMs);
}

const MODULE_INPUTS = { ...CHAIN_INPUTS, refreshBeforeMs: REFRESH_BEFORE };
