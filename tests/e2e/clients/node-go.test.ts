// The AWS SDK for Go v2 as Debian packages it predates the Pod Identity agent's addresses in its
// allow-list of container credential hosts: given epicac node's URI (the agent's address, another
// port), it refuses the URI itself, before any request, and says why. The README gives the first
// version that accepts it; with this one, `epicac serve` on loopback works (serve-go.test.ts).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { binaryTarget } from "../../support/epicac.ts";
import { noShellSkip, runWithoutShell } from "../../support/no-shell.ts";
import { agentAddressesSkip } from "../../support/network.ts";
import { ask, type NodePod, startTestNode, type TestNode } from "../../support/node-pod.ts";
import { buildGoConsumer, goSdkVersion } from "../../support/go-consumer.ts";

const NAME = `the Go SDK v2 ${goSdkVersion()} (Debian) refuses epicac node's URI: its allow-list ` +
  "predates the agent's address";
const skip = noShellSkip() ?? agentAddressesSkip();
const built = skip ? { skip } : buildGoConsumer();

if ("skip" in built) {
  test(NAME, { skip: built.skip });
} else {
  let node: TestNode;
  let pod: NodePod;
  before(async () => {
    node = await startTestNode("node-go", { node: 92, agent: 82 });
    node.writeRoutes({ prod: { assume: [node.moto.roleArn("dest")], allow: ["shop/app"] } });
    [pod] = await node.pods([{ namespace: "shop", serviceAccount: "app", pod: "go" }]);
    await node.start(binaryTarget("bun", process.arch === "arm64" ? "arm64" : "amd64"));
  });
  after(() => node?.close());

  test(NAME, async () => {
    assert.equal((await ask(pod, "prod")).status, 200, "epicac node serves the pod");
    const agentCalls = node.agent.requests.length;
    const result = await runWithoutShell(built.path, [], {
      env: {
        HOME: node.dir,
        AWS_CONTAINER_CREDENTIALS_FULL_URI:
          `http://169.254.170.23:${node.port}/v1/credentials/prod`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: pod.token,
        AWS_REGION: node.moto.region,
        STS_ENDPOINT: node.sts.endpoint,
        AWS_EC2_METADATA_DISABLED: "true",
      },
      killAfterMs: 60_000,
    });
    assert.notEqual(result.code, 0);
    assert.match(
      JSON.parse(result.stdout).error, // the consumer prints its error as JSON
      /invalid endpoint host, "169\.254\.170\.23", only loopback hosts are allowed/,
    );
    assert.equal(node.agent.requests.length, agentCalls, "nothing reached epicac node's agent");
  });
}
