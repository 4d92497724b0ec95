// src/sources/select.ts: --source wins; otherwise container credentials come first and web
// identity (IRSA) second, as in the AWS SDKs; with neither, the container source is picked so
// that its error names the EKS Pod Identity variables.

import { test } from "node:test";
import assert from "node:assert/strict";
import { containerConfigured, selectSource, SOURCES } from "../../src/sources/select.ts";
import { EpicacError } from "../../src/errors.ts";

const FULL = { AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials" };
const RELATIVE = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/abc" };
const IRSA = {
  AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
  AWS_ROLE_ARN: "arn:aws:iam::111122223333:role/irsa",
};

test("the sources --source accepts are container and web-identity", () => {
  assert.deepEqual([...SOURCES], ["container", "web-identity"]);
});

test("the container source is configured by either container URI variable", () => {
  assert.equal(containerConfigured(FULL), true);
  assert.equal(containerConfigured(RELATIVE), true);
  assert.equal(containerConfigured({}), false);
  assert.equal(containerConfigured(IRSA), false);
  assert.equal(
    containerConfigured({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: "",
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "",
    }),
    false,
    "empty variables configure nothing",
  );
});

test("by default the container source comes before web identity", () => {
  assert.equal(selectSource(undefined, { ...FULL, ...IRSA }), "container");
  assert.equal(selectSource(undefined, { ...RELATIVE, ...IRSA }), "container");
  assert.equal(selectSource(undefined, FULL), "container");
});

test("by default web identity is used when only it is configured", () => {
  assert.equal(selectSource(undefined, IRSA), "web-identity");
  assert.equal(
    selectSource(undefined, { ...IRSA, AWS_CONTAINER_CREDENTIALS_FULL_URI: "" }),
    "web-identity",
  );
});

test("with nothing configured, or web identity half set, the container source is picked", () => {
  assert.equal(selectSource(undefined, {}), "container");
  assert.equal(selectSource(undefined, { AWS_ROLE_ARN: IRSA.AWS_ROLE_ARN }), "container");
  assert.equal(
    selectSource(undefined, { AWS_WEB_IDENTITY_TOKEN_FILE: IRSA.AWS_WEB_IDENTITY_TOKEN_FILE }),
    "container",
  );
});

test("--source overrides the default order", () => {
  assert.equal(selectSource("web-identity", { ...FULL, ...IRSA }), "web-identity");
  assert.equal(selectSource("container", { ...FULL, ...IRSA }), "container");
  // The container source reports its own missing variables later.
  assert.equal(selectSource("container", IRSA), "container");
});

test("--source web-identity without both IRSA variables says what is missing", () => {
  const incomplete = [
    {},
    FULL,
    { AWS_ROLE_ARN: IRSA.AWS_ROLE_ARN },
    { AWS_WEB_IDENTITY_TOKEN_FILE: IRSA.AWS_WEB_IDENTITY_TOKEN_FILE },
    { ...IRSA, AWS_ROLE_ARN: "" },
    { ...IRSA, AWS_WEB_IDENTITY_TOKEN_FILE: "" },
  ];
  for (const env of incomplete) {
    assert.throws(() => selectSource("web-identity", env), (error) => {
      assert.ok(error instanceof EpicacError);
      assert.equal(
        error.message,
        "--source web-identity needs AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, and one is not set",
      );
      assert.match(error.hint, /eks\.amazonaws\.com\/role-arn/);
      return true;
    }, JSON.stringify(env));
  }
});
