// src/node/pod-token.ts: a caller's token is checked for its form before anything is called, as
// the agent checks it (400), with the Kubernetes claims a node needs, and refused when it names
// another node.

import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPodToken, TokenRefused } from "../../src/node/pod-token.ts";
import { fakeJwt, kubeletToken } from "../support/jwt.ts";
import { thrownBy } from "../support/assertions.ts";

const POD = { namespace: "app", serviceAccount: "api", pod: "api-7d9f8-x2k4q", node: "node-a" };
const now = () => Date.now();
const refused = (token: string, node = "node-a", at = now()) =>
  thrownBy(TokenRefused, () => checkPodToken(token, node, at)).message;

test("a kubelet's token gives its namespace, service account, pod and node", () => {
  const claims = checkPodToken(kubeletToken(POD), "node-a", now());
  assert.equal(claims.subject, "app/api");
  assert.equal(claims.pod.name, "api-7d9f8-x2k4q");
  assert.match(claims.pod.uid, /^[0-9a-f-]+$/);
  assert.equal(claims.node, "node-a");
  // Tokens from before Kubernetes 1.30 name no node: the agent's verdict decides.
  assert.equal(
    checkPodToken(kubeletToken({ ...POD, node: undefined }), "node-a", now()).node,
    undefined,
  );
});

test("a token for another node is refused", () => {
  assert.equal(
    refused(kubeletToken(POD), "node-b"),
    "Service account token belongs to a pod of another node",
  );
});

test("an expired or not yet valid token is refused, with 60 s of leeway", () => {
  const seconds = Math.floor(now() / 1000);
  assert.ok(checkPodToken(kubeletToken(POD, { exp: seconds - 30 }), "node-a", now()));
  assert.equal(
    refused(kubeletToken(POD, { exp: seconds - 90 })),
    "Service account token is expired",
  );
  assert.equal(
    refused(kubeletToken(POD, { nbf: seconds + 90 })),
    "Service account token is not valid yet",
  );
  assert.equal(
    refused(kubeletToken(POD, { iat: seconds + 90 })),
    "Service account token is not valid yet",
  );
  assert.equal(
    refused(kubeletToken(POD, { exp: "soon" })),
    "Service account token has no valid exp claim",
  );
});

test("a token for another audience, without pod claims, or not a JWT is refused", () => {
  assert.match(
    refused(kubeletToken(POD, { aud: ["sts.amazonaws.com"] })),
    /not for the audience pods\.eks\.amazonaws\.com/,
  );
  assert.match(
    refused(kubeletToken(POD, { sub: "system:serviceaccount:other:api" })),
    /no valid Kubernetes claims/,
  );
  assert.match(
    refused(kubeletToken(POD, { "kubernetes.io": { namespace: "app" } })),
    /no valid Kubernetes claims/,
  );
  assert.match(
    refused(
      fakeJwt({ aud: "pods.eks.amazonaws.com", exp: 9e9, sub: "system:serviceaccount:app:api" }),
    ),
    /no valid Kubernetes claims/,
  );
  assert.equal(refused(""), "Service account token cannot be empty");
  assert.equal(refused("not-a-jwt"), "Service account token cannot be parsed as a JWT");
  assert.match(refused(`${kubeletToken(POD)}${"x".repeat(9000)}`), /longer than 8192 bytes/);
});
