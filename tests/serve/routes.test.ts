// src/serve/routes.ts: the chains serve answers for, from the flags and --route specs, each value
// read by its flag's own declaration and named as the route gives it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { CHAIN_INPUTS } from "../../src/inputs/chain.ts";
import { COMMAND_LINE, readValues } from "../../src/inputs/input.ts";
import { buildRoutes } from "../../src/serve/routes.ts";
import { thrownBy } from "../support/assertions.ts";

const PROD = "arn:aws:iam::222222222222:role/app";
const AUDIT = "arn:aws:iam::333333333333:role/audit";
const base = readValues(
  CHAIN_INPUTS,
  { assume: [PROD], "external-id": "base-id", tag: ["team=a"] },
  COMMAND_LINE,
);
const routes = (specs: string[], withDefault = true) => buildRoutes(base, {}, specs, withDefault);

const usageError = (fn: () => unknown) => thrownBy(UsageError, fn);

test("the default route is the command's own chain; each --route adds a path with its hops", () => {
  assert.deepEqual(
    routes([`audit=${AUDIT}`, `two=${PROD},${AUDIT}`]).map((r) => [r.name, r.path, r.chain.assume]),
    [
      ["", "/v1/credentials", [PROD]],
      ["audit", "/v1/credentials/audit", [AUDIT]],
      ["two", "/v1/credentials/two", [PROD, AUDIT]],
    ],
  );
});

test("a route's own session options win over the command's; its tags replace the command's", () => {
  const [route] = routes(
    [`audit=${AUDIT},external-id=audit-7f3c,session-name=app-pod,duration=1800,tag=a=b,tag=c=d`],
    false,
  );
  assert.equal(route.chain.session.externalId, "audit-7f3c");
  assert.equal(route.chain.session.sessionName, "app-pod");
  assert.equal(route.chain.session.durationSeconds, 1800);
  assert.deepEqual(route.chain.session.tags, [{ Key: "a", Value: "b" }, { Key: "c", Value: "d" }]);
  const [inherits] = routes([`audit=${AUDIT}`], false);
  assert.equal(inherits.chain.session.externalId, "base-id");
  assert.deepEqual(inherits.chain.session.tags, [{ Key: "team", Value: "a" }]);
});

test("bad routes are usage errors that say what a route takes, naming the route's own key", () => {
  const cases: [string[], boolean, RegExp][] = [
    [[`bad name=${AUDIT}`], true, /NAME of 1 to 64 letters, digits, - and _/],
    [[`${"x".repeat(65)}=${AUDIT}`], true, /NAME of 1 to 64/],
    [["audit="], true, /--route audit names no role ARN/],
    [
      [`audit=${AUDIT},region=eu-west-1`],
      true,
      /takes role ARNs, then session-name=, external-id=/,
    ],
    [[`audit=${AUDIT}`, `audit=${PROD}`], true, /--route audit is given twice/],
    [["audit=arn:aws:iam::1:role/x"], true, /^--route audit takes an IAM role ARN/],
    [[`audit=${AUDIT},external-id=x`], true, /^--route audit external-id= takes 2 to 1224/],
    [[`audit=${AUDIT},duration=7200`], true, /^--route audit duration= 7200 is over 3600/],
    [[`audit=${AUDIT},duration=1800,duration=900`], true, /gives duration= twice/],
    [[], false, /--no-default-route needs at least one --route/],
  ];
  for (const [specs, withDefault, message] of cases) {
    assert.match(usageError(() => routes(specs, withDefault)).message, message, specs.join(" "));
  }
});

test("route names the server uses for its own paths and metric labels are refused", () => {
  for (const name of ["default", "other", "metrics", "healthz", "readyz"]) {
    assert.match(
      usageError(() => routes([`${name}=${AUDIT}`], false)).message,
      new RegExp(`^--route ${name}: the names default, other, metrics, healthz, readyz`),
    );
  }
});
