// A route's hops, signed with one caller's own credentials (the agent's answer for its token) and
// nothing else: no environment, no node role, no default chain, so a failure fails closed. Each
// hop's session name says which pod acted (namespace, service account, pod, and 8 characters of
// the pod's UID), unless the route fixes one.

import type { Credentials } from "../credentials.ts";
import { startDeadline } from "../deadline.ts";
import { SESSION_NAME } from "../inputs/chain.ts";
import { loadSts } from "../sts/load.ts";
import type { StsTarget } from "../sts/settings.ts";
import type { PodClaims } from "./pod-token.ts";
import type { NodeRoute } from "./routes-file.ts";

const MAX_SESSION_NAME = 64;

/** namespace.serviceaccount.pod, made valid and cut to leave room for -UID8 at the end. */
export function podSessionName(claims: PodClaims): string {
  const uid = claims.pod.uid.replace(/-/g, "").slice(0, 8);
  const name = `${claims.namespace}.${claims.serviceAccount}.${claims.pod.name}`
    .replace(/[^\w+=,.@-]/g, "-")
    .slice(0, MAX_SESSION_NAME - uid.length - 1);
  return `${name}-${uid}`;
}

/** The last hop's credentials, each hop signed with the one before, the first with `source`. */
export async function chainFrom(
  source: Credentials,
  route: NodeRoute,
  claims: PodClaims,
  sts: StsTarget,
): Promise<Credentials> {
  const { chain } = route;
  const deadline = startDeadline(chain.retry.deadlineMs);
  try {
    const calls = await loadSts();
    const settings = {
      ...sts,
      timeoutMs: chain.timeoutMs,
      retries: chain.retry.retries,
      signal: deadline.signal,
    };
    const fixed = route.fixedIdentity && chain.sessionGiven.includes(SESSION_NAME);
    const session = {
      ...chain.session,
      sessionName: fixed ? chain.session.sessionName : podSessionName(claims),
    };
    let credentials = source;
    let principal = `the credentials of pod ${claims.namespace}/${claims.pod.name}`;
    for (const roleArn of chain.assume) {
      credentials = await calls.assumeRole(settings, credentials, principal, roleArn, session);
      principal = `the session of ${roleArn}`;
    }
    return credentials;
  } finally {
    deadline.cancel();
  }
}
