// src/node/routes-file.ts: a routes file under the module's option names, each value read by its
// own declaration and named as the file gives it; what STS would refuse on every call, or what
// would make refreshes storm, is refused at load.

import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { CHAIN_INPUTS } from "../../src/inputs/chain.ts";
import { MODULE, readValues } from "../../src/inputs/input.ts";
import { allows, parseRoutes } from "../../src/node/routes-file.ts";
import { thrownBy } from "../support/assertions.ts";

const BASE = readValues(CHAIN_INPUTS, {}, MODULE);
const WINDOW = 900_000;
const PROD = "arn:aws:iam::222222222222:role/app";
const parse = (routes: unknown) => parseRoutes(JSON.stringify({ routes }), BASE, {}, WINDOW);
const refused = (routes: unknown) => thrownBy(UsageError, () => parse(routes)).message;

test("a route: its hops, who may ask, its session options; a definition that changes with it", () => {
  const routes = parse({
    prod: {
      assume: [PROD],
      allow: ["app/api", "batch/*"],
      externalId: "a,b",
      durationSeconds: 3600,
      tags: { "cost=center": "x" },
    },
  });
  const prod = routes.get("prod")!;
  assert.deepEqual(prod.chain.assume, [PROD]);
  assert.equal(prod.chain.session.externalId, "a,b");
  assert.deepEqual(prod.chain.session.tags, [{ Key: "cost=center", Value: "x" }]);
  assert.ok(allows(prod, "app/api"));
  assert.ok(allows(prod, "batch/anything"));
  assert.equal(allows(prod, "app/other"), false);
  assert.equal(allows(prod, "batchx/y"), false);
  const changed = parse({
    prod: { assume: [PROD], allow: ["app/api", "batch/*"], externalId: "a,c" },
  });
  assert.notEqual(changed.get("prod")!.definition, prod.definition);
});

test("what STS refuses on every call, or what storms, is refused at load, named as the file names it", () => {
  assert.match(
    refused({ prod: { assume: [PROD], allow: ["app/api"], durationSeconds: 7200 } }),
    /^routes\.prod\.durationSeconds 7200 is over 3600/,
  );
  assert.match(
    refused({ prod: { assume: [PROD], allow: ["app/api"], durationSeconds: 901 } }),
    /^routes\.prod\.durationSeconds 901 leaves less than 30s above/,
  );
  assert.match(
    refused({
      prod: { assume: [PROD], allow: ["app/api"], tags: { "Kubernetes-Namespace": "x" } },
    }),
    /^routes\.prod\.tags sets Kubernetes-Namespace, a transitive session tag Pod Identity already sets/,
  );
  assert.match(
    refused({ prod: { assume: [PROD], allow: ["app/api"], externalId: "x" } }),
    /^routes\.prod\.externalId takes 2 to 1224/,
  );
});

test("a fixed session name or source identity needs fixedIdentity", () => {
  assert.match(
    refused({ prod: { assume: [PROD], allow: ["app/api"], sessionName: "shared" } }),
    /^routes\.prod\.sessionName is fixed for every pod, which hides which pod acted: set routes\.prod\.fixedIdentity/,
  );
  const fixed = parse({
    prod: { assume: [PROD], allow: ["app/api"], sessionName: "shared", fixedIdentity: true },
  });
  assert.equal(fixed.get("prod")!.fixedIdentity, true);
});

test("malformed files and routes are refused, saying what a route takes", () => {
  const cases: [unknown, RegExp][] = [
    [[], /holds \{"routes"/],
    [{}, /has no route/],
    [{ "bad name": { assume: [PROD], allow: ["a/b"] } }, /a name is 1 to 64 letters/],
    [{ prod: { allow: ["app/api"] } }, /^routes\.prod\.assume names no role to assume/],
    [{ prod: { assume: [PROD] } }, /^routes\.prod\.allow is missing/],
    [{ prod: { assume: [PROD], allow: [] } }, /^routes\.prod\.allow names no service account/],
    [
      { prod: { assume: [PROD], allow: ["app"] } },
      /^routes\.prod\.allow takes NAMESPACE\/SERVICEACCOUNT or NAMESPACE\/\*, not 'app'/,
    ],
    [{ prod: { assume: [PROD], allow: ["*/*"] } }, /takes NAMESPACE\/SERVICEACCOUNT/],
    [
      { prod: { assume: ["arn:aws:iam::1:role/x"], allow: ["a/b"] } },
      /^routes\.prod\.assume takes an IAM role ARN/,
    ],
    [
      { prod: { assume: [PROD], allow: ["a/b"], region: "us-east-1" } },
      /^routes\.prod\.region is not an option/,
    ],
    [{ prod: "x" }, /^routes\.prod is not an object/],
  ];
  for (const [routes, message] of cases) {
    assert.match(refused(routes), message, JSON.stringify(routes));
  }
  assert.match(thrownBy(UsageError, () => parseRoutes("{", BASE, {}, WINDOW)).message, /not JSON/);
  assert.match(
    thrownBy(UsageError, () => parseRoutes('{"routes":{},"x":1}', BASE, {}, WINDOW)).message,
    /nothing else/,
  );
});
