// How epicac talks to STS: region, endpoint, timeouts and retries. The region and endpoint are
// resolved here, once, from the flags and the environment only (never from an AWS config file),
// checked, and handed to the client as they are, so the endpoint that is checked is the one
// that is called, and the cache key names exactly what the run calls.

import type { Env } from "../env.ts";
import { EpicacError, invalidValue } from "../errors.ts";
import { resolveStsEndpoint } from "./endpoint.ts";

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

// Every partition's form: us-east-1, cn-north-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1.
const REGION = /^[a-z]{2,5}(-[a-z]+)+-\d{1,2}$/;

/** The region and endpoint a run's STS calls use, or an error saying what to set. */
export function resolveStsTarget(
  flags: { region?: string; endpoint?: string },
  env: Env,
): StsTarget {
  const [origin, region] = flags.region
    ? ["--region", flags.region]
    : env.AWS_REGION
    ? ["AWS_REGION", env.AWS_REGION]
    : env.AWS_DEFAULT_REGION
    ? ["AWS_DEFAULT_REGION", env.AWS_DEFAULT_REGION]
    : [undefined, undefined];
  if (!origin || !region) {
    throw new EpicacError(
      "no AWS region is set for STS",
      "pass --region, or set AWS_REGION (EKS Pod Identity sets it in the pod); epicac does not read regions from AWS config files",
    );
  }
  checkRegion(region, origin);
  return { region, endpoint: resolveStsEndpoint(flags.endpoint, env) };
}

/** A region name of any partition, or a usage error (an option) or configuration error (a variable). */
export function checkRegion(region: string, origin: string): string {
  if (REGION.test(region)) return region;
  throw invalidValue(origin, `${origin} is not an AWS region name: '${region.slice(0, 40)}'`);
}
