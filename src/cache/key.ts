// The cache key: a hash of every input that changes the chain's result. Tokens are never part of
// it in clear: a JWT contributes its issuer, subject and audience (stable across the kubelet's
// rotations), any other token only its SHA-256.

import { createHash } from "node:crypto";
import type { ChainOptions, ResolvedChain } from "../chain/resolve.ts";
import { decodeJwtClaims } from "../jwt.ts";
import { readAuthorizationToken } from "../sources/container-token.ts";
import { resolveContainerUri } from "../sources/container-uri.ts";
import { readWebIdentityToken, webIdentityConfig } from "../sources/web-identity.ts";

export async function cacheKey(options: ChainOptions, chain: ResolvedChain): Promise<string> {
  const { kind } = chain;
  let source: Record<string, unknown>;
  if (kind === "web-identity") {
    const config = webIdentityConfig(options.env)!;
    source = {
      kind,
      roleArn: config.roleArn,
      token: tokenIdentity(await readWebIdentityToken(config.tokenFile)),
    };
  } else {
    const token = await readAuthorizationToken(options.env);
    source = {
      kind,
      uri: resolveContainerUri(options.env).href,
      token: token ? tokenIdentity(token.value) : null,
    };
  }
  const inputs = {
    version: 2,
    source,
    hops: options.assume,
    session: options.session,
    // Exactly where the run's STS calls go (no endpoint: the region's own).
    region: chain.sts?.region ?? null,
    endpoint: chain.sts?.endpoint ?? null,
  };
  return sha256(JSON.stringify(inputs));
}

/** Who a token speaks for, without the token: JWT claims when it is one, else its hash. */
export function tokenIdentity(token: string): unknown {
  const claims = decodeJwtClaims(token);
  if (typeof claims?.sub === "string") {
    return { iss: claims.iss ?? null, sub: claims.sub, aud: claims.aud ?? null };
  }
  return { sha256: sha256(token) };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
