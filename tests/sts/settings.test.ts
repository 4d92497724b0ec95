// src/sts/settings.ts: the region and endpoint of every STS call come from the flags and
// the environment only, resolved once and checked; the AWS config file plays no part.

import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRegion, resolveStsTarget } from "../../src/sts/settings.ts";
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

test("a region name of every partition is accepted; anything else is refused, naming its origin", () => {
  for (
    const region of [
      "us-east-1",
      "ap-southeast-4",
      "cn-north-1",
      "us-gov-west-1",
      "us-iso-east-1",
      "us-isob-east-1",
      "eusc-de-east-1",
    ]
  ) assert.equal(checkRegion(region, "--region"), region);
  for (const bad of ["", "us-east-1.evil.example", "US-EAST-1", "us-east-1/", "us east 1", "x"]) {
    assert.ok(refusal(() => checkRegion(bad, "--region")) instanceof UsageError, bad);
    const fromEnv = refusal(() => resolveStsTarget({}, { AWS_REGION: bad || "-" }));
    assert.ok(!(fromEnv instanceof UsageError), "a variable is a configuration error");
    assert.match(fromEnv.message, /^AWS_REGION is not an AWS region name/);
  }
});

test("the endpoint is --sts-endpoint, else AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL", () => {
  const env = {
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_STS: "https://sts.example",
    AWS_ENDPOINT_URL: "https://all.example",
  };
  assert.equal(
    resolveStsTarget({ endpoint: "https://flag.example" }, env).endpoint,
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
      resolveStsTarget({ endpoint: "https://flag.example" }, env).endpoint,
      "https://flag.example",
    );
  }
  const notTrue = { AWS_REGION: "us-east-1", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "1" };
  assert.match(
    refusal(() =>
      resolveStsTarget({}, { ...notTrue, AWS_ENDPOINT_URL_STS: "http://sts.example.com" })
    ).message,
    /^AWS_ENDPOINT_URL_STS must be an https URL/,
  );
});
