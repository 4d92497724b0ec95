// From options to the credentials epicac prints: pick the source, get its credentials, chain
// the --assume hops, all under one overall deadline; with --cache-dir, through the cache.

import type { Credentials } from "../credentials.ts";
import { EpicacError } from "../errors.ts";
import type { RetryPolicy } from "../http/retry.ts";
import { getContainerCredentials } from "../sources/container.ts";
import type { Env } from "../sources/container-uri.ts";
import { selectSource, type SourceKind } from "../sources/select.ts";
import { getWebIdentityCredentials, webIdentityConfig } from "../sources/web-identity.ts";
import type { SessionOptions } from "./session.ts";
import { resolveStsEndpoint } from "./sts-endpoint.ts";
import type { StsSettings } from "./sts-settings.ts";

export interface ChainOptions {
  env: Env;
  /** --source; undefined picks the first configured source. */
  source?: SourceKind;
  /** --assume role ARNs, in order. */
  assume: string[];
  session: SessionOptions;
  /** sts.endpoint is --sts-endpoint; the environment's is resolved on the way to STS. */
  sts: Omit<StsSettings, "signal">;
  /** Per-attempt timeout and retries for the container endpoint; deadlineMs bounds the run. */
  timeoutMs: number;
  retry: RetryPolicy;
  cache?: { dir: string; refreshBeforeMs: number };
}

export async function resolveCredentials(options: ChainOptions): Promise<Credentials> {
  if (!options.cache) return resolveUncached(options);
  const { withCache } = await import("../cache/cache.ts");
  return withCache(options, options.cache, () => resolveUncached(options));
}

async function resolveUncached(options: ChainOptions): Promise<Credentials> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.retry.deadlineMs);
  try {
    // Resolved only on the way to STS: the default path has no use for an STS endpoint.
    const sts = (): StsSettings => ({
      ...options.sts,
      endpoint: resolveStsEndpoint(options.sts.endpoint, options.env),
      signal: deadline.signal,
    });
    const kind = selectSource(options.source, options.env);
    let credentials: Credentials;
    let principal: string;
    if (kind === "web-identity") {
      const config = webIdentityConfig(options.env)!;
      credentials = await getWebIdentityCredentials(config, options.session, sts());
      principal = `the session of ${config.roleArn}`;
    } else {
      credentials = await getContainerCredentials({
        env: options.env,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
      });
      principal = `the pod's credentials (account ${credentials.accountId ?? "unknown"})`;
    }
    if (options.assume.length === 0) return credentials;
    const { assumeChain } = await import("./assume.ts");
    return await assumeChain(credentials, principal, options.assume, options.session, sts());
  } catch (error) {
    if (deadline.signal.aborted && !(error instanceof EpicacError)) {
      throw new EpicacError(
        `no credentials within the overall deadline of ${options.retry.deadlineMs / 1000}s`,
        "raise --deadline",
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
