// epicac as a module, for Deno and Bun applications (single-file executables included) that
// should not run a second process: AWS SDK for JavaScript v3 credential providers.
//
//   import { fromChain } from "epicac";
//   const sts = new STSClient({ credentials: fromChain({ assume: ["arn:aws:iam::222222222222:role/app"] }) });
//
// Unlike the command, a module does not touch its host's environment: if the application sets
// HTTP_PROXY, put the agent's address (169.254.170.23, or 169.254.170.2 on ECS) in NO_PROXY.

import process from "node:process";
import { resolveCredentials } from "./chain/resolve.ts";
import { checkRoleArn, parseSessionOptions } from "./chain/session.ts";
import { checkEndpoint } from "./chain/sts-endpoint.ts";
import { checkRegion } from "./chain/sts-settings.ts";
import type { Credentials } from "./credentials.ts";
import { UsageError } from "./errors.ts";
import { DEFAULT_RETRY_POLICY } from "./http/retry.ts";
import { refreshing } from "./refreshing.ts";
import type { Env } from "./sources/container-uri.ts";
import type { SourceKind } from "./sources/select.ts";

export { EpicacError } from "./errors.ts";

/** The SDK's AwsCredentialIdentity, structurally. */
export type AwsCredentialIdentity = Credentials;
/** The SDK's AwsCredentialIdentityProvider, structurally: pass it as a client's `credentials`. */
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

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

export interface ChainProviderOptions extends ContainerProviderOptions {
  /** Role ARNs assumed in order, each with the previous hop's credentials. */
  assume: string[];
  /** Default: the container source if configured, else web identity (IRSA). */
  source?: SourceKind;
  sessionName?: string;
  externalId?: string;
  durationSeconds?: number;
  sourceIdentity?: string;
  tags?: Record<string, string>;
  /** Default: AWS_REGION, then AWS_DEFAULT_REGION, then the SDK's own resolution. */
  region?: string;
  /** Default: the SDK's own resolution (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL). */
  stsEndpoint?: string;
}

const DEFAULT_REFRESH_BEFORE_MS = 15 * 60_000;

/** The pod's own credentials from EKS Pod Identity (or ECS). */
export function fromContainer(
  options: ContainerProviderOptions = {},
): AwsCredentialIdentityProvider {
  return fromChain({ ...options, assume: [], source: "container" });
}

/** The credentials of the last role in `assume`, chained from the pod's credentials. */
export function fromChain(options: ChainProviderOptions): AwsCredentialIdentityProvider {
  const env = options.env ?? process.env;
  const assume = options.assume.map((arn) => checkRoleArn(arn));
  const session = parseSessionOptions({
    sessionName: options.sessionName,
    externalId: options.externalId,
    duration: options.durationSeconds === undefined ? undefined : String(options.durationSeconds),
    sourceIdentity: options.sourceIdentity,
    tags: Object.entries(options.tags ?? {}).map(([key, value]) => `${key}=${value}`),
  }, assume.length > 0);
  if (options.stsEndpoint) checkEndpoint(options.stsEndpoint, "stsEndpoint");
  if (options.region) checkRegion(options.region, "region");
  const refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  if (session.durationSeconds !== undefined && session.durationSeconds * 1000 <= refreshBeforeMs) {
    throw new UsageError(
      `durationSeconds ${session.durationSeconds} is not longer than refreshBeforeMs ${refreshBeforeMs}: every call would refresh`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 1000;
  const retry = {
    ...DEFAULT_RETRY_POLICY,
    retries: options.retries ?? DEFAULT_RETRY_POLICY.retries,
    deadlineMs: options.deadlineMs ?? DEFAULT_RETRY_POLICY.deadlineMs,
  };
  return refreshing(
    () =>
      resolveCredentials({
        env,
        source: options.source,
        assume,
        session,
        sts: {
          region: options.region,
          endpoint: options.stsEndpoint,
          timeoutMs,
          retries: retry.retries,
        },
        timeoutMs,
        retry,
      }),
    refreshBeforeMs,
  );
}
