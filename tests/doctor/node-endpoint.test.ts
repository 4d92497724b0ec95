// src/doctor/node-endpoint.ts: which URIs are epicac node's (the agent's address on another port,
// a route in the path); the answers themselves are checked end to end with epicac node.

import { test } from "node:test";
import assert from "node:assert/strict";
import { nodeEndpoint } from "../../src/doctor/node-endpoint.ts";

test("the agent's address on another port, with a route, is epicac node", () => {
  const uri = (full: string) => nodeEndpoint({ AWS_CONTAINER_CREDENTIALS_FULL_URI: full });
  assert.equal(uri("http://169.254.170.23:90/v1/credentials/prod")?.route, "prod");
  assert.equal(uri("http://[fd00:ec2::23]:90/v1/credentials/audit")?.route, "audit");
  for (
    const other of [
      "http://169.254.170.23/v1/credentials", // the agent itself
      "http://169.254.170.23:80/v1/credentials/prod",
      "http://169.254.170.23:90/v1/credentials", // no route
      "http://127.0.0.1:9911/v1/credentials/prod", // a serve sidecar
      "https://169.254.170.23:90/v1/credentials/prod",
      "not a uri",
    ]
  ) assert.equal(uri(other), undefined, other);
  assert.equal(nodeEndpoint({}), undefined);
});
