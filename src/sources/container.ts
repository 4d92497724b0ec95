// Container credentials, as EKS Pod Identity and ECS serve them: find the URI, read the token,
// GET with retries, parse the answer. This is epicac's default source.

import { assertNotExpired, type Credentials } from "../credentials.ts";
import { getText, type Peer } from "../http/get.ts";
import { type RetryPolicy, withRetries } from "../http/retry.ts";
import { debug } from "../log.ts";
import { readAuthorizationToken } from "./container-token.ts";
import { type Env, resolveContainerUri } from "./container-uri.ts";
import { parseContainerResponse } from "./container-response.ts";

export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface ContainerOptions {
  env: Env;
  timeoutMs: number;
  retry: RetryPolicy;
}

const AGENT: Peer = {
  name: "the credentials agent",
  hint: "check that the eks-pod-identity-agent DaemonSet (or the ECS agent) runs on this node",
};

export async function getContainerCredentials(options: ContainerOptions): Promise<Credentials> {
  const url = resolveContainerUri(options.env);
  const where = `${AGENT.name} at ${url.origin}`;
  debug(`source: container credentials from ${url.origin}${url.pathname}`);

  const credentials = await withRetries(async (signal) => {
    // Read on every attempt: the kubelet may rotate the token between them.
    const token = await readAuthorizationToken(options.env);
    debug(
      token
        ? `authorization: ${token.origin} (${token.value.length} bytes)`
        : "authorization: none",
    );
    const headers: Record<string, string> = { accept: "application/json" };
    if (token) headers.authorization = token.value;
    const response = await getText(url, AGENT, {
      headers,
      timeoutMs: options.timeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
      signal,
    });
    return parseContainerResponse(response, where);
  }, options.retry);

  assertNotExpired(credentials, where);
  debug(
    `credentials for account ${
      credentials.accountId ?? "(not sent)"
    } expire at ${credentials.expiration?.toISOString()}`,
  );
  return credentials;
}
