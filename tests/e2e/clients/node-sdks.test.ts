// Real AWS SDKs get a route's role from `epicac node`, given only what a pod of Pod Identity is
// given (the URI, now epicac node's, and the token file the kubelet writes) with every shell
// hidden: the AWS CLI (botocore) and the JavaScript SDK v3's default chain under Node, Bun and
// Deno, against moto, in the test run's loopback-only namespace with the agent's addresses on
// `lo`. Each proves it at STS's door: its call was signed with the keys epicac node chained
// from that pod's own session, and only epicac node assumed the role.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { binaryTarget } from "../../support/epicac.ts";
import { noShellSkip } from "../../support/no-shell.ts";
import { agentAddressesSkip } from "../../support/network.ts";
import {
  ask,
  type NodePod,
  type RunningNode,
  startTestNode,
  type TestNode,
} from "../../support/node-pod.ts";
import { AWS_CLI_SKIP, CLIENTS, identityWithoutShell } from "../../support/sdk-clients.ts";
import { assertSignedIdentityCall } from "../../support/sts-counter.ts";

const skip = noShellSkip() ?? AWS_CLI_SKIP ?? agentAddressesSkip();

if (skip) {
  for (const client of CLIENTS) {
    test(`${client.name} resolves a route through epicac node`, { skip });
  }
} else {
  let node: TestNode;
  let running: RunningNode;
  let pod: NodePod;
  let homes = 0;
  before(async () => {
    node = await startTestNode("node-sdks", { node: 91, agent: 81 });
    node.writeRoutes({ prod: { assume: [node.moto.roleArn("dest")], allow: ["shop/app"] } });
    [pod] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "web" }]);
    running = await node.start(binaryTarget("bun", process.arch === "arm64" ? "arm64" : "amd64"));
    await ask(pod, "prod"); // the pod's chain, made once: each client then only uses it
  });
  after(() => node?.close());

  for (const client of CLIENTS) {
    test(`${client.name} resolves a route through epicac node`, async () => {
      const stsBefore = node.sts.calls.length;
      const home = join(node.dir, `home-${++homes}`);
      mkdirSync(home);
      const identity = await identityWithoutShell(client, {
        HOME: home,
        AWS_CONFIG_FILE: join(home, "no-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(home, "no-credentials"),
        AWS_CONTAINER_CREDENTIALS_FULL_URI:
          `http://169.254.170.23:${node.port}/v1/credentials/prod`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.tokenFile,
        AWS_REGION: node.moto.region,
        AWS_DEFAULT_REGION: node.moto.region,
        AWS_ENDPOINT_URL_STS: node.sts.endpoint,
        AWS_EC2_METADATA_DISABLED: "true",
      });
      assert.match(
        identity.Arn,
        new RegExp(`^arn:aws:sts::${node.moto.accountId}:assumed-role/dest/shop\\.app\\.web-`),
      );
      // What epicac node holds for the pod now is what the client signed with.
      const served = JSON.parse((await ask(pod, "prod")).body);
      if (identity.AccessKeyId) assert.equal(identity.AccessKeyId, served.AccessKeyId);
      assertSignedIdentityCall(node.sts.calls.slice(stsBefore), served.AccessKeyId);
      const assumedBy = node.sts.calls.filter((c) => c.action === "AssumeRole");
      assert.equal(assumedBy.length, 1, "epicac node assumed the role once, no client did");
      assert.equal(assumedBy[0].accessKeyId, pod.source.AccessKeyId);
      assert.match(
        await (await fetch(running.probeUrl("/metrics"))).text(),
        /route="prod",status="200"/,
      );
    });
  }
}
