// Fake JWTs shaped like the projected service-account tokens the kubelet writes: a header, the
// given claims, and a signature nobody checks (epicac only ever reads a token's claims). Every
// test that needs a token makes it here.

const base64url = (text: string) =>
  btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** A token for `claims` (by default a pod's service account, for EKS Pod Identity). */
export function fakeJwt(
  claims: Record<string, unknown> = {
    aud: ["pods.eks.amazonaws.com"],
    sub: "system:serviceaccount:app:app",
  },
  options: { kid?: string; signature?: string } = {},
): string {
  const header = { alg: "RS256", ...(options.kid ? { kid: options.kid } : {}) };
  const signature = options.signature ??
    base64url(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(48))));
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.${signature}`;
}

/** A pod token for service account `name` in namespace `namespace`, valid for an hour. */
export function podToken(namespace = "app", name = "app"): string {
  return fakeJwt({
    aud: ["pods.eks.amazonaws.com"],
    sub: `system:serviceaccount:${namespace}:${name}`,
    exp: Math.floor(Date.now() / 1000) + 3600,
  });
}

export interface PodIdentity {
  namespace: string;
  serviceAccount: string;
  pod: string;
  /** Default: a UID made from the pod's name. */
  uid?: string;
  /** Kubernetes 1.30 and later name the node; undefined leaves it out, as older ones do. */
  node?: string;
}

/** A projected token as the kubelet writes it for a pod, with the claims a node reads. */
export function kubeletToken(
  pod: PodIdentity,
  claims: Record<string, unknown> = {},
  options: { kid?: string; signature?: string } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const uid = pod.uid ?? uidFor(pod.pod);
  return fakeJwt({
    aud: ["pods.eks.amazonaws.com"],
    exp: now + 86_400,
    iat: now,
    nbf: now,
    iss: "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE",
    sub: `system:serviceaccount:${pod.namespace}:${pod.serviceAccount}`,
    "kubernetes.io": {
      namespace: pod.namespace,
      ...(pod.node ? { node: { name: pod.node, uid: uidFor(pod.node) } } : {}),
      pod: { name: pod.pod, uid },
      serviceaccount: { name: pod.serviceAccount, uid: uidFor(pod.serviceAccount) },
    },
    ...claims,
  }, options);
}

/** A UID-shaped string that is always the same for one name. */
function uidFor(name: string): string {
  let hash = 0;
  for (const c of name) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const hex = hash.toString(16).padStart(8, "0");
  return `${hex}-${hex.slice(0, 4)}-4${hex.slice(1, 4)}-8${hex.slice(0, 3)}-${hex}${
    hex.slice(0, 4)
  }`;
}
