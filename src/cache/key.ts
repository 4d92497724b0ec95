// The cache key: a hash of every input that changes the chain's result. Tokens are never part of
// it in clear: a JWT contributes its issuer, subject and audience (stable across the kubelet's
// rotations), any other token only its SHA-256.

import { createHash } from "node:crypto";
import type { ChainOptions } from "../chain/resolve.ts";
import { decodeJwtClaims } from "../jwt.ts";
import { readAuthorizationToken } from "../sources/container-token.ts";
import { resolveContainerUri } from "../sources/container-uri.ts";
import { selectSource } from "../sources/select.ts";
import { readWebIdentityToken, webIdentityConfig } from "../sources/web-identity.ts";

export async function cacheKey(options: ChainOptions): Promise<string> {
  const kind = selectSource(options.source, options.env);
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
    version: 1,
    source,
    hops: options.assume,
    session: options.session,
    region: options.sts.region ?? null,
    // What resolveStsEndpoint would pick, unchecked: the key must not fail where the run would not.
    endpoint: options.sts.endpoint ?? options.env.AWS_ENDPOINT_URL_STS ??
      options.env.AWS_ENDPOINT_URL ?? null,
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
