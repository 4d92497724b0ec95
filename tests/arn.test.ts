// src/arn.ts: IAM role ARNs of every partition are read in one place; anything else is refused,
// quoted, as a usage error (a flag or option) or a configuration error (a variable).

import { test } from "node:test";
import assert from "node:assert/strict";
import { accountOf, checkRoleArn, parseRoleArn } from "../src/arn.ts";
import { PARTITIONS } from "../src/partitions.ts";
import { EpicacError, UsageError } from "../src/errors.ts";
import { thrownBy } from "./support/assertions.ts";

const usageError = (fn: () => unknown) => thrownBy(UsageError, fn);

test("every current partition, aws-eusc included, and nothing else", () => {
  assert.deepEqual([...PARTITIONS], [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
  ]);
  assert.deepEqual(parseRoleArn("arn:aws-eusc:iam::123456789012:role/x"), {
    arn: "arn:aws-eusc:iam::123456789012:role/x",
    partition: "aws-eusc",
    account: "123456789012",
  });
  assert.equal(parseRoleArn("arn:aws-mars:iam::123456789012:role/x"), undefined);
});

test("an ARN from a variable is a configuration error naming the variable", () => {
  try {
    checkRoleArn("not-an-arn", "AWS_ROLE_ARN");
    assert.fail("accepted");
  } catch (error) {
    assert.ok(error instanceof EpicacError && !(error instanceof UsageError), String(error));
    assert.equal(
      error.message,
      "AWS_ROLE_ARN takes an IAM role ARN (arn:aws:iam::<account>:role/<name>), not 'not-an-arn'",
    );
    assert.equal(error.hint, "fix AWS_ROLE_ARN in the pod's environment");
  }
});

test("accountOf reads the account of a role or an assumed-role session, and nothing else", () => {
  assert.equal(accountOf("arn:aws:iam::444455556666:role/ecs-task"), "444455556666");
  assert.equal(accountOf("arn:aws:sts::111122223333:assumed-role/a/b"), "111122223333");
  for (const other of [undefined, 42, "", "arn:aws:s3:::bucket", "arn:aws:iam::12345:role/x"]) {
    assert.equal(accountOf(other), undefined, String(other));
  }
});

test("checkRoleArn accepts role ARNs in every partition", () => {
  for (
    const arn of PARTITIONS.map((p) => `arn:${p}:iam::123456789012:role/dest`)
  ) {
    assert.equal(checkRoleArn(arn, "--assume").arn, arn);
  }
});

test("checkRoleArn accepts role paths and every character IAM allows in a name", () => {
  for (
    const arn of [
      "arn:aws:iam::123456789012:role/team/payments/app",
      "arn:aws:iam::123456789012:role/service-role/a_b+c=d,e.f@g-h",
    ]
  ) {
    assert.equal(checkRoleArn(arn, "--assume").arn, arn);
  }
});

test("checkRoleArn refuses anything that is not an IAM role ARN, quoting it", () => {
  const bad = [
    "dest",
    "",
    "arn:aws:iam::12345678901:role/dest", // 11 digits
    "arn:aws:iam::1234567890123:role/dest",
    "arn:aws:iam::123456789012:user/dest",
    "arn:aws:sts::123456789012:assumed-role/dest/session",
    "arn:aws:iam:us-east-1:123456789012:role/dest",
    "arn:aws:iam::123456789012:role/",
    "arn:aws:iam::123456789012:role/has space",
    "arn:aws:iam::123456789012:role/dest\n",
    "arn:aws:iam::123456789012:role/dest;x",
    "arn:gcp:iam::123456789012:role/dest",
    " arn:aws:iam::123456789012:role/dest",
  ];
  for (const arn of bad) {
    const error = usageError(() => checkRoleArn(arn, "--assume"));
    assert.equal(
      error.message,
      `--assume takes an IAM role ARN (arn:aws:iam::<account>:role/<name>), not '${arn}'`,
    );
  }
});

test("checkRoleArn refuses a role ARN whose name is empty (a path ending in '/')", () => {
  // IAM role names are 1-64 characters after the last '/'; STS would refuse these later with
  // a ValidationError whose hint points at --duration.
  usageError(() => checkRoleArn("arn:aws:iam::123456789012:role/team/", "--assume"));
  usageError(() => checkRoleArn("arn:aws:iam::123456789012:role//", "--assume"));
});
