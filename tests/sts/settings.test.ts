// src/sts/settings.ts: the region and endpoint of every STS call come from the flags and
// the environment only, resolved once and checked; the AWS config file plays no part.

import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveStsTarget } from "../../src/sts/settings.ts";
import { EpicacError, UsageError } from "../../src/errors.ts";
import { thrownBy } from "../support/assertions.ts";

const refusal = (fn: () => unknown) => thrownBy(EpicacError, fn);

test("the region is --region, else AWS_REGION, else AWS_DEFAULT_REGION", () => {
  const env = { AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-west-2" };
  assert.equal(resolveStsTarget({ region: "us-east-2" }, env).region, "us-east-2");
  assert.equal(resolveStsTarget({}, env).region, "eu-west-1");
  assert.equal(resolveStsTarget({}, { AWS_DEFAULT_REGION: "eu-west-2" }).region, "eu-west-2");
});

test("without any region the run fails before a request, asking for one; config files are not read", () => {
  const error = refusal(() =>
    resolveStsTarget({}, { AWS_CONFIG_FILE: "/nonexistent/epicac-config", AWS_PROFILE: "x" })
  );
  assert.ok(!(error instanceof UsageError));
  assert.equal(error.message, "no AWS region is set for STS");
  assert.match(error.hint, /pass --region, or set AWS_REGION/);
  assert.match(error.hint, /does not read regions from AWS config files/);
});

test("a region or endpoint from a variable is checked there, as a configuration error", () => {
  const region = refusal(() => resolveStsTarget({}, { AWS_REGION: "us-east-1.evil.example" }));
  assert.ok(!(region instanceof UsageError));
  assert.match(region.message, /^AWS_REGION takes an AWS region name/);
  const endpoint = refusal(() =>
    resolveStsTarget({}, { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: "http://sts.example.com" })
  );
  assert.ok(!(endpoint instanceof UsageError));
  assert.match(endpoint.message, /^AWS_ENDPOINT_URL takes an https URL/);
});

test("the endpoint is --sts-endpoint, else AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL", () => {
  const env = {
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_STS: "https://sts.example",
    AWS_ENDPOINT_URL: "https://all.example",
  };
  assert.equal(
    resolveStsTarget({ stsEndpoint: "https://flag.example" }, env).endpoint,
    "https://flag.example",
  );
  assert.equal(resolveStsTarget({}, env).endpoint, "https://sts.example");
  assert.equal(
    resolveStsTarget({}, { ...env, AWS_ENDPOINT_URL_STS: "" }).endpoint,
    "https://all.example",
    "an empty variable counts as unset",
  );
  assert.equal(resolveStsTarget({}, { AWS_REGION: "us-east-1" }).endpoint, undefined);
});

test("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, in any case, turns the variables off, not the flag", () => {
  for (const value of ["true", "TRUE", "True"]) {
    const env = {
      AWS_REGION: "us-east-1",
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: value,
      AWS_ENDPOINT_URL_STS: "http://sts.example.com",
    };
    assert.equal(resolveStsTarget({}, env).endpoint, undefined, value);
    assert.equal(
      resolveStsTarget({ stsEndpoint: "https://flag.example" }, env).endpoint,
      "https://flag.example",
    );
  }
  const notTrue = { AWS_REGION: "us-east-1", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "1" };
  assert.match(
    refusal(() =>
      resolveStsTarget({}, { ...notTrue, AWS_ENDPOINT_URL_STS: "http://sts.example.com" })
    ).message,
    /^AWS_ENDPOINT_URL_STS takes an https URL/,
  );
});
