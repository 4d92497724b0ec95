// How epicac talks to STS: region, endpoint, timeouts and retries. Resolved from flags and the
// environment without loading the SDK, so a missing region is reported the same way everywhere.

import type { Env } from "../sources/container-uri.ts";

export interface StsSettings {
  /** --region, else AWS_REGION, else AWS_DEFAULT_REGION; undefined leaves it to the SDK. */
  region?: string;
  /** --sts-endpoint; undefined leaves it to the SDK (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL). */
  endpoint?: string;
  timeoutMs: number;
  /** Extra attempts after throttling, 5xx and network errors (the SDK's standard retry). */
  retries: number;
  /** Aborts every STS call: the run's overall deadline. */
  signal?: AbortSignal;
}

export function stsRegion(flag: string | undefined, env: Env): string | undefined {
  return flag || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
}
