// Container credentials, as EKS Pod Identity and ECS serve them: find the URI, read the token,
// GET with retries, parse the answer. This is epicac's default source.

import type { Credentials } from "../credentials.ts";
import type { Deadline } from "../deadline.ts";
import { getText, MAX_RESPONSE_BYTES, type PeerLabel } from "../http/request.ts";
import { type RetryPolicy, withRetries } from "../http/retry.ts";
import { debug } from "../log.ts";
import { readAuthorizationToken } from "./container-token.ts";
import { type Env, resolveContainerUri } from "./container-uri.ts";
import { parseContainerResponse } from "./container-response.ts";

export interface ContainerOptions {
  env: Env;
  timeoutMs: number;
  retry: RetryPolicy;
  /** The run's overall deadline; by default one of retry.deadlineMs. */
  deadline?: Deadline;
}

const AGENT: PeerLabel = {
  name: "the credentials agent",
  hint: "check that the eks-pod-identity-agent DaemonSet (or the ECS agent) runs on this node",
  answerHint: "check that the URI points at a credentials endpoint",
};

export async function getContainerCredentials(options: ContainerOptions): Promise<Credentials> {
  const url = resolveContainerUri(options.env);
  const where = `${AGENT.name} at ${url.origin}`;
  debug(`source: container credentials from ${url.origin}${url.pathname}`);

  const credentials = await withRetries(
    async (signal) => {
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
    },
    options.retry,
    { deadline: options.deadline },
  );

  debug(
    `credentials for account ${
      credentials.accountId ?? "(not sent)"
    } expire at ${credentials.expiration?.toISOString()}`,
  );
  return credentials;
}
