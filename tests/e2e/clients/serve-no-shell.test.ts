// Real AWS SDKs get the destination role from an `epicac serve` sidecar with no shell in their
// container: the AWS CLI (botocore) and the JavaScript SDK v3's default chain under Node, Bun
// and Deno, each run with every shell hidden (tests/support/no-shell.ts), against moto. Each
// proves it: its environment holds serve's URI and token file and no other credentials, serve
// counted the request, and at STS (counted at the peer's door) the client's call was signed with
// the keys serve served, while the role was assumed only by serve, once per route.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { AWS_CLI_SKIP, CLIENTS, identityWithoutShell } from "../../support/sdk-clients.ts";
import { noShellSkip, runWithoutShell } from "../../support/no-shell.ts";
import { type ServePod, startServePod } from "../../support/serve-pod.ts";
import { assertSignedIdentityCall } from "../../support/sts-counter.ts";

const skip = noShellSkip() ?? AWS_CLI_SKIP;

if (skip) {
  for (const client of CLIENTS) {
    test(`${client.name} resolves through serve with no shell`, { skip });
  }
} else {
  let pod: ServePod;
  before(async () => {
    pod = await startServePod("serve-no-shell");
  });
  after(() => pod?.close());

  test("with the shells hidden, sh -c really fails (the way SDKs start credential_process)", async () => {
    const direct = await runWithoutShell("/usr/bin/env", ["sh", "-c", "echo reached"]);
    assert.notEqual(direct.code, 0);
    assert.doesNotMatch(direct.stdout, /reached/);
    const node = await runWithoutShell("/usr/bin/node", [
      "-e",
      "require('child_process').exec('echo reached', (e, out) => console.log(e ? e.code : out))",
    ]);
    assert.doesNotMatch(node.stdout, /reached/);
    assert.match(node.stdout, /EACCES|ENOENT/);
  });

  const routes: [string, string, string][] = [
    ["the default route", "/v1/credentials", "default"],
    ["the named route third", "/v1/credentials/third", "third"],
  ];
  for (const client of CLIENTS) {
    const onRoutes = client.name.startsWith("the AWS CLI") ? routes : routes.slice(0, 1);
    for (const [routeName, path, label] of onRoutes) {
      test(`${client.name} resolves ${routeName} through serve with no shell`, async () => {
        const role = label === "default" ? "dest" : "third";
        const stsBefore = pod.sts.calls.length;
        const answeredBefore = await pod.answered(label);
        const identity = await identityWithoutShell(client, pod.clientEnv(path));
        assert.match(
          identity.Arn,
          new RegExp(`^arn:aws:sts::${pod.pod.moto.accountId}:assumed-role/${role}/`),
        );
        const served = await pod.served(path);
        if (identity.AccessKeyId) assert.equal(identity.AccessKeyId, served.AccessKeyId);
        // serve answered it; STS saw the client's call signed with those keys, and no AssumeRole.
        assert.ok(await pod.answered(label) > answeredBefore, "serve answered the client");
        assertSignedIdentityCall(pod.sts.calls.slice(stsBefore), served.AccessKeyId);
        assert.equal(
          pod.sts.calls.filter((c) => c.action === "AssumeRole").length,
          2,
          "serve assumed each route's role once, and no client did",
        );
      });
    }
  }
}
