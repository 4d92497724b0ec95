// src/node/trust-policies.ts: each role of a routes file trusts the source role (or the hop
// before) only with the Pod Identity session tags of the service accounts its routes allow.

import { test } from "node:test";
import assert from "node:assert/strict";
import { CHAIN_INPUTS } from "../../src/inputs/chain.ts";
import { MODULE, readValues } from "../../src/inputs/input.ts";
import { parseRoutes } from "../../src/node/routes-file.ts";
import { trustPolicies } from "../../src/node/trust-policies.ts";

const SOURCE = "arn:aws:iam::111111111111:role/pods";
const CLUSTER = "arn:aws:eks:us-west-2:111111111111:cluster/prod";
const HUB = "arn:aws:iam::222222222222:role/hub";
const APP = "arn:aws:iam::333333333333:role/app";

test("a policy per role: the source role (or the previous hop) with each allowed account's tags", () => {
  const routes = parseRoutes(
    JSON.stringify({
      routes: {
        prod: { assume: [HUB, APP], allow: ["app/api", "batch/*"] },
        hub: { assume: [HUB], allow: ["app/api"] },
      },
    }),
    readValues(CHAIN_INPUTS, {}, MODULE),
    {},
    900_000,
  );
  const policies = trustPolicies(routes, SOURCE, CLUSTER);
  assert.deepEqual(Object.keys(policies).sort(), [HUB, APP].sort());
  const hub = policies[HUB].Statement;
  assert.equal(hub.length, 2, "app/api is allowed by two routes, stated once");
  assert.deepEqual(hub[0], {
    Sid: "prodHop1Allow1",
    Effect: "Allow",
    Principal: { AWS: SOURCE },
    Action: ["sts:AssumeRole", "sts:TagSession"],
    Condition: {
      StringEquals: {
        "aws:PrincipalTag/eks-cluster-arn": CLUSTER,
        "aws:PrincipalTag/kubernetes-namespace": "app",
        "aws:PrincipalTag/kubernetes-service-account": "api",
      },
    },
  });
  assert.deepEqual(hub[1].Condition.StringEquals, {
    "aws:PrincipalTag/eks-cluster-arn": CLUSTER,
    "aws:PrincipalTag/kubernetes-namespace": "batch",
  }, "namespace/* pins the namespace alone");
  assert.deepEqual(
    policies[APP].Statement.map((s) => s.Principal.AWS),
    [HUB, HUB],
    "the second hop trusts the first",
  );
});
