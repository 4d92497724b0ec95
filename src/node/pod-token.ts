// The Pod Identity token a caller of `epicac node` sends, checked for its form before anything is
// called: a JWT of sensible size whose times are current (60 s of leeway), whose audience is Pod
// Identity's, and whose Kubernetes claims name a namespace, a service account and a pod (and,
// from Kubernetes 1.30, the pod's node, which must be this one). Nothing here verifies the
// signature (issuer.ts does, with --issuer): the claims count only once the agent has accepted
// the token. A refusal is the agent's own answer to a malformed token: 400.

import { decodeJwtClaims } from "../jwt.ts";

export const POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com";
/** Projected tokens are about a kilobyte; anything far larger is not one. */
export const MAX_POD_TOKEN_LENGTH = 8 * 1024;
const LEEWAY_SECONDS = 60;

/** Who a token says it speaks for. */
export interface PodClaims {
  namespace: string;
  serviceAccount: string;
  pod: { name: string; uid: string };
  /** Absent before Kubernetes 1.30. */
  node?: string;
  /** When the token expires, in seconds since the epoch. */
  expiresAt: number;
  /** `namespace/serviceaccount`: what a route's allow list names. */
  subject: string;
}

/** A token refused for its form: the agent's status and a message that never quotes it. */
export class TokenRefused extends Error {
  override name = "TokenRefused";
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The token's claims, or TokenRefused saying what is wrong with it. */
export function checkPodToken(token: string, nodeName: string | undefined, now: number): PodClaims {
  if (token === "") throw new TokenRefused("Service account token cannot be empty");
  if (token.length > MAX_POD_TOKEN_LENGTH) {
    throw new TokenRefused(`Service account token is longer than ${MAX_POD_TOKEN_LENGTH} bytes`);
  }
  const claims = decodeJwtClaims(token);
  if (!claims) throw new TokenRefused("Service account token cannot be parsed as a JWT");
  const seconds = now / 1000;
  const time = (claim: "exp" | "nbf" | "iat") => {
    const value = claims[claim];
    if (value === undefined && claim !== "exp") return undefined;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new TokenRefused(`Service account token has no valid ${claim} claim`);
    }
    return value;
  };
  const exp = time("exp")!;
  if (exp + LEEWAY_SECONDS < seconds) throw new TokenRefused("Service account token is expired");
  const nbf = time("nbf");
  const iat = time("iat");
  if ((nbf ?? 0) - LEEWAY_SECONDS > seconds || (iat ?? 0) - LEEWAY_SECONDS > seconds) {
    throw new TokenRefused("Service account token is not valid yet");
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(POD_IDENTITY_AUDIENCE)) {
    throw new TokenRefused(
      `Service account token is not for the audience ${POD_IDENTITY_AUDIENCE}`,
    );
  }
  const k8s = claims["kubernetes.io"] as
    | Record<string, Record<string, unknown> | string>
    | undefined;
  const namespace = k8s?.namespace;
  const serviceAccount = (k8s?.serviceaccount as Record<string, unknown> | undefined)?.name;
  const pod = k8s?.pod as Record<string, unknown> | undefined;
  const node = (k8s?.node as Record<string, unknown> | undefined)?.name;
  const valid = (value: unknown): value is string => typeof value === "string" && NAME.test(value);
  if (
    !valid(namespace) || !valid(serviceAccount) || !valid(pod?.name) ||
    typeof pod?.uid !== "string" || !/^[0-9a-f-]{8,64}$/.test(pod.uid) ||
    (node !== undefined && !valid(node)) ||
    claims.sub !== `system:serviceaccount:${namespace}:${serviceAccount}`
  ) {
    throw new TokenRefused("Service account token has no valid Kubernetes claims for a pod");
  }
  if (node !== undefined && nodeName !== undefined && node !== nodeName) {
    throw new TokenRefused("Service account token belongs to a pod of another node");
  }
  return {
    namespace,
    serviceAccount,
    pod: { name: pod!.name as string, uid: pod!.uid as string },
    node,
    expiresAt: exp,
    subject: `${namespace}/${serviceAccount}`,
  };
}
