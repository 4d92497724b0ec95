// How epicac talks to STS: region, endpoint, timeouts and retries. The region and endpoint are
// resolved here, once, from the flags (or options) and the environment only (never from an AWS
// config file), and handed to the client as they are, so the endpoint that is checked is the one
// that is called, and the cache key names exactly what the run calls.

import type { Env } from "../env.ts";
import { EpicacError } from "../errors.ts";
import { REGION, STS_ENDPOINT } from "../inputs/chain.ts";
import { fromEnvironment } from "../inputs/input.ts";

/** Where STS calls go. */
export interface StsTarget {
  /** --region, else AWS_REGION, else AWS_DEFAULT_REGION. */
  region: string;
  /** --sts-endpoint, else AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL; else the regional one. */
  endpoint?: string;
}

export interface StsSettings extends StsTarget {
  /** Per-attempt bound, the whole answer included. */
  timeoutMs: number;
  /** Extra attempts after throttling, 5xx and network errors (the SDK's standard retry). */
  retries: number;
  /** Aborts every STS call: the run's overall deadline. */
  signal?: AbortSignal;
}

/**
 * The region and endpoint a run's STS calls use: the given ones (already checked), else the
 * environment's, checked here; or an error saying what to set. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
 * =true (in any case) turns the endpoint variables off, as in the SDKs.
 */
export function resolveStsTarget(
  given: { region?: string; stsEndpoint?: string },
  env: Env,
): StsTarget {
  const region = given.region ?? fromEnvironment(REGION, env);
  if (!region) {
    throw new EpicacError(
      "no AWS region is set for STS",
      "pass --region, or set AWS_REGION (EKS Pod Identity sets it in the pod); epicac does not read regions from AWS config files",
    );
  }
  const ignored = /^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? "");
  const endpoint = given.stsEndpoint ?? (ignored ? undefined : fromEnvironment(STS_ENDPOINT, env));
  return { region, endpoint };
}
