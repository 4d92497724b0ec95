// The container source: credentials as EKS Pod Identity and ECS serve them. Find the URI, read
// the token (on every attempt: the kubelet rotates it), GET with retries, parse the answer. This
// is epicac's default source, and it never calls STS.

import type { Env } from "../env.ts";
import { EpicacError } from "../errors.ts";
import { getText, MAX_RESPONSE_BYTES, type PeerLabel } from "../http/request.ts";
import { withRetries } from "../http/retry.ts";
import { debug } from "../log.ts";
import { readAuthorizationToken } from "./container-token.ts";
import { checkContainerUri, noContainerUri, resolveContainerUri } from "./container-uri.ts";
import { parseContainerResponse } from "./container-response.ts";
import type { Source, SourceContext, SourceCredentials } from "./source.ts";
import { tokenIdentity } from "./token.ts";

const AGENT: PeerLabel = {
  name: "the credentials agent",
  hint: "check that the eks-pod-identity-agent DaemonSet (or the ECS agent) runs on this node",
  answerHint: "check that the URI points at a credentials endpoint",
};

export const containerSource: Source = {
  kind: "container",
  checkName: "agent",
  callsSts: false,
  sessionOptions: [],
  isConfigured: (env) =>
    Boolean(env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI),
  notConfigured: noContainerUri,
  describeSetUp,
  readToken: readAuthorizationToken,
  async identity(env) {
    const token = await readAuthorizationToken(env);
    return {
      kind: "container",
      uri: resolveContainerUri(env).href,
      token: token ? await tokenIdentity(token.value) : null,
    };
  },
  describe: (env) => resolveContainerUri(env).origin,
  getCredentials,
};

async function getCredentials(context: SourceContext): Promise<SourceCredentials> {
  const url = resolveContainerUri(context.env);
  const where = `${AGENT.name} at ${url.origin}`;
  debug(`source: container credentials from ${url.origin}${url.pathname}`);
  const credentials = await withRetries(
    async (signal) => {
      // Read on every attempt: the kubelet may rotate the token between them.
      const token = await readAuthorizationToken(context.env);
      debug(
        token
          ? `authorization: ${token.origin} (${token.value.length} bytes)`
          : "authorization: none",
      );
      const headers: Record<string, string> = { accept: "application/json" };
      if (token) headers.authorization = token.value;
      const response = await getText(url, AGENT, {
        headers,
        timeoutMs: context.timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
        signal,
      });
      return parseContainerResponse(response, where);
    },
    context.retry,
    { deadline: context.deadline },
  );
  debug(
    `credentials for account ${
      credentials.accountId ?? "(not sent)"
    } expire at ${credentials.expiration?.toISOString()}`,
  );
  return {
    credentials,
    principal: `the pod's credentials (account ${credentials.accountId ?? "unknown"})`,
  };
}

/** What the environment sets up, or an error naming what is missing or wrong. */
function describeSetUp(env: Env): string {
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (!full) {
    const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
    if (!relative) throw noContainerUri();
    resolveContainerUri(env);
    return `ECS task role: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=${relative}`;
  }
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw new EpicacError(
      "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a valid URI",
      "check the value the pod was given",
    );
  }
  checkContainerUri(url, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
    ? `token file ${env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE}`
    : env.AWS_CONTAINER_AUTHORIZATION_TOKEN
    ? "token in AWS_CONTAINER_AUTHORIZATION_TOKEN"
    : undefined;
  if (!token) {
    throw new EpicacError(
      `AWS_CONTAINER_CREDENTIALS_FULL_URI is set (${full}) but no authorization token variable is`,
      "EKS Pod Identity also sets AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: check the pod spec does not override the environment",
    );
  }
  const kind = /169\.254\.170\.23|fd00:ec2::23/.test(full)
    ? "EKS Pod Identity"
    : "container credentials";
  return `${kind}: AWS_CONTAINER_CREDENTIALS_FULL_URI=${full}, ${token}`;
}
