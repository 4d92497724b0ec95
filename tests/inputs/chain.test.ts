// src/inputs/chain.ts: every input of a chain run is checked against STS's own limits (or the
// network rules) once, when it is read, whether the command line or the module gave it; a bad
// value is a usage error that names the input as its caller wrote it and says what it takes.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ASSUME,
  CACHE_DIR,
  DURATION,
  EXTERNAL_ID,
  REGION,
  SESSION_NAME,
  SOURCE_IDENTITY,
  STS_ENDPOINT,
  TAGS,
} from "../../src/inputs/chain.ts";
import { COMMAND_LINE, fromEnvironment, MODULE } from "../../src/inputs/input.ts";
import { EpicacError, UsageError } from "../../src/errors.ts";
import { thrownBy } from "../support/assertions.ts";

const usageError = (fn: () => unknown) => thrownBy(UsageError, fn);

test("session names and source identities take 2 to 64 of [\\w+=,.@-]", () => {
  for (const input of [SESSION_NAME, SOURCE_IDENTITY]) {
    assert.equal(input.read("ab", COMMAND_LINE), "ab");
    assert.equal(input.read("app_pod+1=a,b.c@d-e", MODULE), "app_pod+1=a,b.c@d-e");
    assert.equal(input.read("x".repeat(64), MODULE), "x".repeat(64));
  }
  for (const value of ["a", "", "x".repeat(65), "has space", "a/b", "a:b", "pöd", "a\nb", "a*"]) {
    assert.equal(
      usageError(() => SESSION_NAME.read(value, COMMAND_LINE)).message,
      `--session-name takes 2 to 64 characters of letters, digits and _+=,.@-, not '${value}'`,
    );
    assert.match(
      usageError(() => SOURCE_IDENTITY.read(value, MODULE)).message,
      /^sourceIdentity takes 2 to 64 characters/,
    );
  }
});

test("an external id takes 2 to 1224 of [\\w+=,.@:/-], and a refusal does not echo it", () => {
  assert.equal(EXTERNAL_ID.read("ab", COMMAND_LINE), "ab");
  assert.equal(EXTERNAL_ID.read("x".repeat(1224), MODULE), "x".repeat(1224));
  assert.equal(EXTERNAL_ID.read("a_b+c=d,e.f@g:h/i-j", MODULE), "a_b+c=d,e.f@g:h/i-j");
  for (const value of ["x", "", "x".repeat(1225), "has space", "a;b", "a\u00e9b", "a\nb"]) {
    assert.equal(
      usageError(() => EXTERNAL_ID.read(value, COMMAND_LINE)).message,
      "--external-id takes 2 to 1224 characters of letters, digits and _+=,.@:/-",
    );
    assert.equal(
      usageError(() => EXTERNAL_ID.read(value, MODULE)).message,
      "externalId takes 2 to 1224 characters of letters, digits and _+=,.@:/-",
    );
  }
});

test("a duration takes whole seconds from 900 to 43200, from either caller", () => {
  assert.equal(DURATION.read("900", COMMAND_LINE), 900);
  assert.equal(DURATION.read(43200, MODULE), 43200);
  for (const value of ["899", "0", "", "900.0", "1e3", "-900", " 900", "900s", "0x400", "43201"]) {
    assert.equal(
      usageError(() => DURATION.read(value, COMMAND_LINE)).message,
      `--duration takes a whole number of seconds from 900 to 43200, not '${value}'`,
    );
  }
  for (const value of [899, 900.5, NaN, "1800", 43201]) {
    assert.match(
      usageError(() => DURATION.read(value, MODULE)).message,
      /^durationSeconds takes a whole number of seconds from 900 to 43200/,
    );
  }
});

test("a tag on the command line splits at the first '='; the module's keys are taken whole", () => {
  assert.deepEqual(TAGS.read(["env=prod=eu", "empty=", "k=v:/+-@. _x"], COMMAND_LINE), [
    { Key: "env", Value: "prod=eu" },
    { Key: "empty", Value: "" },
    { Key: "k", Value: "v:/+-@. _x" },
  ]);
  // STS allows '=' in keys: the module never joins and splits them again.
  assert.deepEqual(TAGS.read({ "a=b": "c", "équipe": "paiements" }, MODULE), [
    { Key: "a=b", Value: "c" },
    { Key: "équipe", Value: "paiements" },
  ]);
});

test("a tag without '=', with an empty or long key or value, or odd characters is refused", () => {
  const key = "k".repeat(128);
  const value = "v".repeat(256);
  assert.deepEqual(TAGS.read([`${key}=${value}`], COMMAND_LINE), [{ Key: key, Value: value }]);
  for (const spec of ["novalue", "=value", "=", "", `${key}k=v`, `k=${value}v`, "k!=v", "k=v\nx"]) {
    assert.match(
      usageError(() => TAGS.read([spec], COMMAND_LINE)).message,
      /^--tag takes KEY=VALUE \(a key of 1 to 128 and a value of up to 256/,
      JSON.stringify(spec),
    );
  }
  assert.match(usageError(() => TAGS.read({ "": "v" }, MODULE)).message, /^tags takes KEY=VALUE/);
  assert.match(usageError(() => TAGS.read({ k: 1 }, MODULE)).message, /^tags takes KEY=VALUE/);
  assert.match(usageError(() => TAGS.read(["k=v"], MODULE)).message, /^tags takes a list of/);
});

test("at most 50 tags, and no key twice (case-insensitively)", () => {
  const tags = Array.from({ length: 50 }, (_, i) => `k${i}=v`);
  assert.equal(TAGS.read(tags, COMMAND_LINE).length, 50);
  assert.equal(
    usageError(() => TAGS.read([...tags, "k50=v"], COMMAND_LINE)).message,
    "--tag takes at most 50 tags (STS's limit)",
  );
  assert.equal(
    usageError(() => TAGS.read(["Team=a", "other=b", "team=c"], COMMAND_LINE)).message,
    "--tag names the key team twice (keys are case-insensitive)",
  );
});

test("role ARNs of every partition are taken; anything else is refused, quoting it", () => {
  const arns = ["arn:aws:iam::123456789012:role/a", "arn:aws-cn:iam::123456789012:role/p/b"];
  assert.deepEqual(ASSUME.read(arns, COMMAND_LINE), arns);
  assert.deepEqual(ASSUME.read(arns, MODULE), arns);
  assert.equal(
    usageError(() => ASSUME.read(["arn:aws:iam::1:role/x"], COMMAND_LINE)).message,
    "--assume takes an IAM role ARN (arn:aws:iam::<account>:role/<name>), not 'arn:aws:iam::1:role/x'",
  );
  assert.match(usageError(() => ASSUME.read("arn", MODULE)).message, /^assume takes a list of/);
});

test("a region name of every partition is taken; from a variable, a bad one is a configuration error", () => {
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
  ) assert.equal(REGION.read(region, COMMAND_LINE), region);
  for (const bad of ["us-east-1.evil.example", "US-EAST-1", "us-east-1/", "us east 1", "x"]) {
    assert.ok(thrownBy(EpicacError, () => REGION.read(bad, COMMAND_LINE)) instanceof UsageError);
    const fromEnv = thrownBy(EpicacError, () => fromEnvironment(REGION, { AWS_REGION: bad }));
    assert.ok(!(fromEnv instanceof UsageError), "a variable is a configuration error");
    assert.match(fromEnv.message, /^AWS_REGION takes an AWS region name/);
    assert.match(fromEnv.hint, /fix AWS_REGION in the pod's environment/);
  }
});

test("an STS endpoint refused is quoted by its origin only, never its path or query", () => {
  const error = usageError(() =>
    STS_ENDPOINT.read("http://10.0.0.5:8080/x?token=abc", COMMAND_LINE)
  );
  assert.equal(
    error.message,
    "--sts-endpoint takes an https URL without user name or password (plain http only to loopback), not 'http://10.0.0.5:8080'",
  );
  assert.match(
    usageError(() => STS_ENDPOINT.read("sts", MODULE)).message,
    /^stsEndpoint .* not 'sts'$/,
  );
});

test("a variable that is empty counts as unset", () => {
  assert.equal(fromEnvironment(CACHE_DIR, { EPICAC_CACHE_DIR: "" }), undefined);
  assert.equal(fromEnvironment(CACHE_DIR, { EPICAC_CACHE_DIR: "/c" }), "/c");
  assert.equal(
    fromEnvironment(REGION, { AWS_REGION: "", AWS_DEFAULT_REGION: "eu-west-1" }),
    "eu-west-1",
  );
});
