// From options to the credentials epicac prints: pick the source, get its credentials, chain
// the --assume hops, all under one overall deadline that starts with the run; with --cache-dir,
// through the cache (whose lock wait counts against the same deadline).

import type { Credentials } from "../credentials.ts";
import { type Deadline, startDeadline } from "../deadline.ts";
import { EpicacError } from "../errors.ts";
import type { RetryPolicy } from "../http/retry.ts";
import { getContainerCredentials } from "../sources/container.ts";
import type { Env } from "../sources/container-uri.ts";
import { selectSource, type SourceKind } from "../sources/select.ts";
import { getWebIdentityCredentials, webIdentityConfig } from "../sources/web-identity.ts";
import type { SessionOptions } from "./session.ts";
import { resolveStsTarget, type StsSettings, type StsTarget } from "./sts-settings.ts";

export interface ChainOptions {
  env: Env;
  /** --source; undefined picks the first configured source. */
  source?: SourceKind;
  /** --assume role ARNs, in order. */
  assume: string[];
  session: SessionOptions;
  /** --region and --sts-endpoint as given; resolved with the environment (resolveStsTarget). */
  sts: { region?: string; endpoint?: string; timeoutMs: number; retries: number };
  /** Per-attempt timeout and retries for the container endpoint; deadlineMs bounds the run. */
  timeoutMs: number;
  retry: RetryPolicy;
  cache?: { dir: string; refreshBeforeMs: number };
}

/** Everything a run resolves before any request: the source, and where STS calls go. */
export interface ResolvedChain {
  kind: SourceKind;
  /** Undefined when the chain makes no STS call (a container source without --assume). */
  sts?: StsTarget;
}

export function resolveChain(options: ChainOptions): ResolvedChain {
  const kind = selectSource(options.source, options.env);
  const callsSts = kind === "web-identity" || options.assume.length > 0;
  return { kind, sts: callsSts ? resolveStsTarget(options.sts, options.env) : undefined };
}

/** The chain's credentials, under `deadline` (the run's; by default one of retry.deadlineMs). */
export async function resolveCredentials(
  options: ChainOptions,
  runDeadline?: Deadline,
): Promise<Credentials> {
  const deadline = runDeadline ?? startDeadline(options.retry.deadlineMs);
  try {
    const chain = resolveChain(options);
    const run = () => resolveUncached(options, chain, deadline);
    if (!options.cache) return await run();
    const { withCache } = await import("../cache/cache.ts");
    const { cacheKey } = await import("../cache/key.ts");
    return await withCache(options.cache, await cacheKey(options, chain), deadline, run);
  } catch (error) {
    if (deadline.signal.aborted && !(error instanceof EpicacError)) {
      throw new EpicacError(
        `no credentials within the overall deadline of ${deadline.ms / 1000}s`,
        "raise --deadline",
      );
    }
    throw error;
  } finally {
    if (!runDeadline) deadline.cancel();
  }
}

async function resolveUncached(
  options: ChainOptions,
  chain: ResolvedChain,
  deadline: Deadline,
): Promise<Credentials> {
  const sts = (): StsSettings => ({
    ...chain.sts!,
    timeoutMs: options.sts.timeoutMs,
    retries: options.sts.retries,
    signal: deadline.signal,
  });
  let credentials: Credentials;
  let principal: string;
  if (chain.kind === "web-identity") {
    const config = webIdentityConfig(options.env)!;
    credentials = await getWebIdentityCredentials(config, options.session, sts());
    principal = `the session of ${config.roleArn}`;
  } else {
    credentials = await getContainerCredentials({
      env: options.env,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      deadline,
    });
    principal = `the pod's credentials (account ${credentials.accountId ?? "unknown"})`;
  }
  if (options.assume.length === 0) return credentials;
  const { assumeChain } = await import("./assume.ts");
  return await assumeChain(credentials, principal, options.assume, options.session, sts());
}
