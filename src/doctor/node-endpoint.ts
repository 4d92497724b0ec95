// doctor, run in an application container whose credentials come from `epicac node`:
// AWS_CONTAINER_CREDENTIALS_FULL_URI on the Pod Identity agent's address, on another port than the
// agent's, with a route in the path. Does the address answer, and what does it answer this pod's
// own token? A refusal becomes its fix: a route that does not allow this service account, a
// destination role whose trust policy does not allow the source role and these session tags.

import type { Env } from "../env.ts";
import type { EpicacError } from "../errors.ts";
import { getText, MAX_RESPONSE_BYTES, type PeerLabel } from "../http/request.ts";
import { oneLine } from "../redact.ts";
import { readAuthorizationToken } from "../sources/container-token.ts";
import { type Check, fail, pass } from "./check.ts";

const NAME = "node";
const AGENT_ADDRESSES = ["169.254.170.23", "[fd00:ec2::23]"];

const PEER: PeerLabel = {
  name: "epicac node",
  hint: "check that the epicac node DaemonSet runs on this node and is ready " +
    "(kubectl get pods -n epicac-system -o wide), and the port in AWS_CONTAINER_CREDENTIALS_FULL_URI",
  answerHint: "check that AWS_CONTAINER_CREDENTIALS_FULL_URI points at epicac node",
};

/** The node URI and its route, or undefined when the URI is not epicac node's. */
export function nodeEndpoint(env: Env): { url: URL; route: string } | undefined {
  try {
    const url = new URL(env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? "");
    const route = /^\/v1\/credentials\/([A-Za-z0-9_-]{1,64})$/.exec(url.pathname)?.[1];
    const agentPort = url.port === "" || url.port === "80";
    return url.protocol === "http:" && AGENT_ADDRESSES.includes(url.hostname) && !agentPort && route
      ? { url, route }
      : undefined;
  } catch {
    return undefined;
  }
}

export async function checkNodeEndpoint(
  env: Env,
  limits: { timeoutMs: number; signal?: AbortSignal },
): Promise<Check[]> {
  const node = nodeEndpoint(env);
  if (!node) return [];
  const ask = (authorization?: string) =>
    getText(node.url, PEER, {
      headers: authorization ? { authorization } : {},
      timeoutMs: limits.timeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
      signal: limits.signal,
    });
  try {
    await ask(); // any answer at all: something listens there
  } catch (error) {
    return [fail(NAME, (error as EpicacError).message ?? String(error), PEER.hint)];
  }
  const token = await readAuthorizationToken(env);
  const answer = await ask(token?.value);
  const said = oneLine(answer.body).slice(0, 300);
  const where = `epicac node at ${node.url.host}, route ${node.route}`;
  if (answer.status === 200) return [pass(NAME, `${where} answers this pod with credentials`)];
  const denied = /^Access Denied: no route \S+ for service account (\S+)/.exec(said);
  if (denied) {
    return [fail(
      NAME,
      `${where} refused this pod: ${said}`,
      `add "${
        denied[1]
      }" to routes.${node.route}.allow in epicac node's routes ConfigMap (an administrator's change), or use a route that allows it`,
    )];
  }
  const trust = /sts:AssumeRole of (\S+) was denied/.exec(said);
  if (trust) {
    return [fail(
      NAME,
      `${where}: ${said}`,
      `the trust policy of ${
        trust[1]
      } must allow the source role (sts:AssumeRole and sts:TagSession) for this pod's namespace and service account tags: epicac config --trust-policies writes it from the routes file`,
    )];
  }
  return [fail(NAME, `${where} answered HTTP ${answer.status}: ${said}`, statusFix(answer.status))];
}

function statusFix(status: number): string {
  if (status === 400) {
    return "check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: the pod's Pod Identity token (the webhook mounts it; if this container also sets AWS_REGION and AWS_STS_REGIONAL_ENDPOINTS, mount the projected token yourself)";
  }
  if (status === 403) {
    return "the agent refused this pod's token: check the Pod Identity association";
  }
  if (status === 429) {
    return "epicac node is limiting this pod or node: try again, and see its limits";
  }
  return "check the Pod Identity agent and STS from the epicac node pod's log on this node";
}
