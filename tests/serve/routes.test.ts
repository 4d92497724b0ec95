// src/serve/routes.ts and src/serve/listen.ts: the chains serve answers for, from the flags and
// --route specs, and the loopback-only address rule.

import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { buildRoutes } from "../../src/serve/routes.ts";
import { parseListen, parseProbeListen } from "../../src/serve/listen.ts";
import { thrownBy } from "../support/assertions.ts";

const NAMES = { seconds: true, name: (input: string) => `--${input}` };
const PROD = "arn:aws:iam::222222222222:role/app";
const AUDIT = "arn:aws:iam::333333333333:role/audit";
const base = { env: {}, assume: [PROD], session: { externalId: "base-id", tags: ["team=a"] } };

const usageError = (fn: () => unknown) => thrownBy(UsageError, fn);

test("the default route is the command's own chain; each --route adds a path with its hops", () => {
  const routes = buildRoutes(base, [`audit=${AUDIT}`, `two=${PROD},${AUDIT}`], true, NAMES);
  assert.deepEqual(routes.map((r) => [r.name, r.path, r.chain.assume]), [
    ["", "/v1/credentials", [PROD]],
    ["audit", "/v1/credentials/audit", [AUDIT]],
    ["two", "/v1/credentials/two", [PROD, AUDIT]],
  ]);
});

test("a route's own session options win over the command's; its tags replace the command's", () => {
  const [route] = buildRoutes(
    base,
    [`audit=${AUDIT},external-id=audit-7f3c,session-name=app-pod,duration=1800,tag=a=b,tag=c=d`],
    false,
    NAMES,
  );
  assert.equal(route.chain.session.externalId, "audit-7f3c");
  assert.equal(route.chain.session.sessionName, "app-pod");
  assert.equal(route.chain.session.durationSeconds, 1800);
  assert.deepEqual(route.chain.session.tags, [{ Key: "a", Value: "b" }, { Key: "c", Value: "d" }]);
  const [inherits] = buildRoutes(base, [`audit=${AUDIT}`], false, NAMES);
  assert.equal(inherits.chain.session.externalId, "base-id");
  assert.deepEqual(inherits.chain.session.tags, [{ Key: "team", Value: "a" }]);
});

test("bad routes are usage errors that say what a route takes", () => {
  const cases: [string[], boolean, RegExp][] = [
    [[`bad name=${AUDIT}`], true, /NAME of 1 to 64 letters, digits, - and _/],
    [[`${"x".repeat(65)}=${AUDIT}`], true, /NAME of 1 to 64/],
    [["audit="], true, /--route audit names no role ARN/],
    [
      [`audit=${AUDIT},region=eu-west-1`],
      true,
      /takes role ARNs, then external-id=, session-name=/,
    ],
    [[`audit=${AUDIT}`, `audit=${PROD}`], true, /--route audit is given twice/],
    [[`default=${AUDIT}`], true, /--route default is the default route's name/],
    [["audit=arn:aws:iam::1:role/x"], true, /--route audit takes an IAM role ARN/],
    [[`audit=${AUDIT},external-id=x`], true, /--external-id takes 2 to 1224/],
    [[], false, /--no-default-route needs at least one --route/],
  ];
  for (const [specs, withDefault, message] of cases) {
    assert.match(usageError(() => buildRoutes(base, specs, withDefault, NAMES)).message, message);
  }
});

test("--listen takes loopback only", () => {
  assert.deepEqual(parseListen("127.0.0.1:9911"), { hostname: "127.0.0.1", port: 9911 });
  assert.deepEqual(parseListen("127.1.2.3:0"), { hostname: "127.1.2.3", port: 0 });
  assert.deepEqual(parseListen("[::1]:80"), { hostname: "::1", port: 80 });
  assert.deepEqual(parseListen("localhost:9911"), { hostname: "localhost", port: 9911 });
  for (
    const bad of [
      "0.0.0.0:9911",
      "10.0.0.1:80",
      ":9911",
      "9911",
      "127.0.0.1",
      "[::]:80",
      "127.0.0.256:1",
      "127.0.0.1:65536",
      "example.com:80",
      "169.254.170.23:80",
    ]
  ) {
    assert.match(
      usageError(() => parseListen(bad)).message,
      /^--listen takes a loopback HOST:PORT/,
      bad,
    );
  }
});

test("--probe-listen takes any IP address and port, not a host name", () => {
  assert.deepEqual(parseProbeListen("0.0.0.0:9912"), { hostname: "0.0.0.0", port: 9912 });
  assert.deepEqual(parseProbeListen("[::]:9912"), { hostname: "::", port: 9912 });
  assert.deepEqual(parseProbeListen("10.1.2.3:80"), { hostname: "10.1.2.3", port: 80 });
  for (const bad of ["9912", ":9912", "pod:9912", "0.0.0.0", "1.2.3.256:1", "0.0.0.0:65536"]) {
    assert.match(usageError(() => parseProbeListen(bad)).message, /^--probe-listen takes an IP/);
  }
});
