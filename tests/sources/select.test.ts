// src/sources/select.ts: --source wins; otherwise container credentials come first and web
// identity (IRSA) second, as in the AWS SDKs; with neither, the error names the EKS Pod Identity
// variables. Each source says itself whether the environment configures it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { selectSource, sourceOf } from "../../src/sources/select.ts";
import { SOURCES } from "../../src/sources/kinds.ts";
import { EpicacError } from "../../src/errors.ts";
import { thrownBy } from "../support/assertions.ts";

const FULL = { AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials" };
const RELATIVE = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/abc" };
const IRSA = {
  AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
  AWS_ROLE_ARN: "arn:aws:iam::111122223333:role/irsa",
};
const kind = (...args: Parameters<typeof selectSource>) => selectSource(...args).kind;

const refusal = (fn: () => unknown) => thrownBy(EpicacError, fn);

test("the sources --source accepts are container and web-identity, each with its module", () => {
  assert.deepEqual([...SOURCES], ["container", "web-identity"]);
  for (const name of SOURCES) assert.equal(sourceOf(name).kind, name);
});

test("the container source is configured by either container URI variable", () => {
  const container = sourceOf("container");
  assert.equal(container.isConfigured(FULL), true);
  assert.equal(container.isConfigured(RELATIVE), true);
  assert.equal(container.isConfigured({}), false);
  assert.equal(container.isConfigured(IRSA), false);
  assert.equal(
    container.isConfigured({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: "",
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "",
    }),
    false,
    "empty variables configure nothing",
  );
});

test("by default the container source comes before web identity", () => {
  assert.equal(kind(undefined, { ...FULL, ...IRSA }), "container");
  assert.equal(kind(undefined, { ...RELATIVE, ...IRSA }), "container");
  assert.equal(kind(undefined, FULL), "container");
});

test("by default web identity is used when only it is configured", () => {
  assert.equal(kind(undefined, IRSA), "web-identity");
  assert.equal(
    kind(undefined, { ...IRSA, AWS_CONTAINER_CREDENTIALS_FULL_URI: "" }),
    "web-identity",
  );
});

test("with nothing configured, or web identity half set, the error names the EKS Pod Identity variables", () => {
  for (
    const env of [
      {},
      { AWS_ROLE_ARN: IRSA.AWS_ROLE_ARN },
      { AWS_WEB_IDENTITY_TOKEN_FILE: IRSA.AWS_WEB_IDENTITY_TOKEN_FILE },
    ]
  ) {
    const error = refusal(() => selectSource(undefined, env));
    assert.equal(
      error.message,
      "AWS_CONTAINER_CREDENTIALS_FULL_URI is not set (nor AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)",
    );
  }
});

test("--source overrides the default order; a source asked for must be set up", () => {
  assert.equal(kind("web-identity", { ...FULL, ...IRSA }), "web-identity");
  assert.equal(kind("container", { ...FULL, ...IRSA }), "container");
  assert.match(
    refusal(() => selectSource("container", IRSA)).message,
    /^AWS_CONTAINER_CREDENTIALS_FULL_URI is not set/,
  );
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
    const error = refusal(() => selectSource("web-identity", env));
    assert.equal(
      error.message,
      "--source web-identity needs AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, and one is not set",
      JSON.stringify(env),
    );
    assert.match(error.hint, /eks\.amazonaws\.com\/role-arn/);
  }
});
