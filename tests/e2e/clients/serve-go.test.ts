// The AWS SDK for Go v2 (Debian's package, built offline) gets the destination role from an
// `epicac serve` sidecar with no shell in its container, against moto, proven as in
// serve-no-shell.test.ts. That SDK version reads only the inline AWS_CONTAINER_AUTHORIZATION_TOKEN
// (the token file came later), as older SDKs do: the application is given the token itself,
// as a Kubernetes Secret would give it.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { noShellSkip, runWithoutShell } from "../../support/no-shell.ts";
import { type ServePod, startServePod } from "../../support/serve-pod.ts";
import { buildGoConsumer, goSdkVersion } from "../../support/go-consumer.ts";
import { assertSignedIdentityCall } from "../../support/sts-counter.ts";

const NAME = `the Go SDK v2 ${goSdkVersion()} (Debian) resolves the default route through serve ` +
  "with no shell, given the token inline";
const skip = noShellSkip();
const built = skip ? { skip } : buildGoConsumer();

if ("skip" in built) {
  test(NAME, { skip: built.skip });
} else {
  let pod: ServePod;
  before(async () => {
    pod = await startServePod("serve-go");
  });
  after(() => pod?.close());

  test(NAME, async () => {
    const stsBefore = pod.sts.calls.length;
    const answeredBefore = await pod.answered();
    const env = pod.clientEnv("/v1/credentials", {
      AWS_CONTAINER_AUTHORIZATION_TOKEN: pod.serving.token(),
      STS_ENDPOINT: pod.sts.endpoint,
    });
    delete (env as Record<string, string | undefined>).AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
    const result = await runWithoutShell(built.path, [], { env, killAfterMs: 60_000 });
    assert.equal(result.code, 0, `${result.stdout} ${result.stderr}`);
    const identity = JSON.parse(result.stdout);
    assert.match(
      identity.Arn,
      new RegExp(`^arn:aws:sts::${pod.pod.moto.accountId}:assumed-role/dest/`),
    );
    const served = await pod.served();
    assert.equal(identity.AccessKeyId, served.AccessKeyId);
    assert.ok(await pod.answered() > answeredBefore, "serve answered the client");
    assertSignedIdentityCall(pod.sts.calls.slice(stsBefore), served.AccessKeyId);
    assert.equal(pod.sts.calls.filter((c) => c.action === "AssumeRole").length, 2);
  });
}
