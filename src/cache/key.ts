// The cache key: a hash of every input that changes a chain's result, given explicitly by the
// caller. None of them is a secret: a source contributes who its credentials speak for (a JWT's
// issuer, subject and audience, or a token's hash), never its token.

import { createHash } from "node:crypto";
import type { SessionOptions } from "../sts/session.ts";

export interface CacheKeyInputs {
  /** Who the source's credentials speak for (Source.identity). */
  source: Record<string, unknown>;
  /** The --assume role ARNs, in order. */
  hops: string[];
  session: SessionOptions;
  /** Where the run's STS calls go: the resolved region and endpoint (none: the region's own). */
  region?: string;
  endpoint?: string;
}

export function cacheKey(inputs: CacheKeyInputs): string {
  const canonical = {
    version: 2,
    source: inputs.source,
    hops: inputs.hops,
    session: inputs.session,
    region: inputs.region ?? null,
    endpoint: inputs.endpoint ?? null,
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}
