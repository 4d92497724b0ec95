// Which URI the container credentials come from, and whether epicac may call it. The host rules
// are the AWS SDKs' own: plain http only to loopback and the ECS / EKS Pod Identity link-local
// agents, https to any host; anything else is refused before a connection is made. When both
// variables are set, the full URI wins (EKS sets only it, ECS only the relative one; the SDKs
// prefer the relative one).

import type { Env } from "../env.ts";
import { EpicacError } from "../errors.ts";

export const ECS_AGENT_ORIGIN = "http://169.254.170.2";
const PLAIN_HTTP_HOSTS = new Set([
  "169.254.170.2",
  "169.254.170.23",
  "[fd00:ec2::23]",
  "localhost",
  "[::1]",
]);

/** The URI from AWS_CONTAINER_CREDENTIALS_FULL_URI, else the ECS relative URI; checked. */
export function resolveContainerUri(env: Env): URL {
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  if (full) {
    return checkContainerUri(
      parse(full, "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    );
  }
  if (relative) {
    if (!relative.startsWith("/")) {
      throw new EpicacError(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI does not start with /",
        "it is a path on the ECS agent, such as /v2/credentials/<id>",
      );
    }
    // Joined as text, then checked: a value like "@evil.example/" must not move the host.
    const url = parse(ECS_AGENT_ORIGIN + relative, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    return checkContainerUri(url, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  }
  throw noContainerUri();
}

/** The error when neither variable is set: what EKS Pod Identity sets, and when. */
export function noContainerUri(): EpicacError {
  return new EpicacError(
    "AWS_CONTAINER_CREDENTIALS_FULL_URI is not set (nor AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)",
    "check that the pod's service account has an EKS Pod Identity association and that the pod " +
      "was started after it was created; restart the pod if not",
  );
}

/** Refuse a URI the SDKs would refuse: wrong scheme, plain http to a non-agent host, userinfo. */
export function checkContainerUri(url: URL, variable: string): URL {
  if (url.username || url.password) {
    throw new EpicacError(
      `${variable} carries a user name or password`,
      "the token goes in the Authorization header, not the URI",
    );
  }
  if (url.protocol === "https:") return url;
  if (url.protocol !== "http:") {
    throw new EpicacError(
      `${variable} uses ${url.protocol.replace(/:$/, "")}, not http or https`,
      "use the URI EKS or ECS set",
    );
  }
  if (PLAIN_HTTP_HOSTS.has(url.hostname) || isLoopbackHost(url.hostname)) return url;
  throw new EpicacError(
    `${variable} points at ${url.hostname} over plain http, which is refused`,
    "plain http is allowed only to loopback, 169.254.170.2, 169.254.170.23 and [fd00:ec2::23]; use https for any other host",
  );
}

/**
 * The pod's own loopback (a URL's hostname): a local server, such as an epicac serve sidecar,
 * rather than a node's agent.
 */
export function isLoopbackHost(hostname: string): boolean {
  // The URL parser has already normalised forms such as 127.1 or 0x7f.0.0.1 to dotted decimal.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) || hostname === "localhost" ||
    hostname === "[::1]";
}

function parse(text: string, variable: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new EpicacError(`${variable} is not a valid URI`, "check the value the pod was given");
  }
}
