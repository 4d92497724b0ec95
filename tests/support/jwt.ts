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
