// src/commands/config.ts: the AWS config `epicac config` prints, and its refusals. (That
// botocore resolves every generated profile through the binary is in tests/e2e/config.test.ts.)

import { test } from "node:test";
import assert from "node:assert/strict";
import { generateConfig } from "../../src/commands/config.ts";
import { partitionOf } from "../../src/partitions.ts";
import { UsageError } from "../../src/errors.ts";

const PROD = "arn:aws:iam::222222222222:role/app";
const AUDIT = "arn:aws:iam::333333333333:role/audit-reader";
const body = (text: string) => text.split("\n").filter((l) => !l.startsWith("#")).join("\n");

test("the default is one credential_process profile and a source_profile chain per destination", () => {
  const text = generateConfig([
    "--profile",
    `prod=${PROD}`,
    "--profile",
    `audit=${AUDIT}`,
    "--region",
    "eu-west-1",
    "--external-id",
    "x-123",
  ]);
  assert.equal(
    text.split("\n").filter((l) => !l.startsWith("#")).join("\n"),
    [
      "",
      "[profile prod]",
      `role_arn = ${PROD}`,
      "source_profile = epicac-source",
      "external_id = x-123",
      "region = eu-west-1",
      "",
      "[profile audit]",
      `role_arn = ${AUDIT}`,
      "source_profile = epicac-source",
      "external_id = x-123",
      "region = eu-west-1",
      "",
      "[profile epicac-source]",
      "credential_process = /opt/epicac",
      "region = eu-west-1",
      "",
    ].join("\n"),
  );
});

test("--assume gives self-contained credential_process profiles", () => {
  const text = generateConfig([
    "--profile",
    `prod=${PROD}`,
    "--assume",
    "--binary",
    "/usr/local/bin/epicac",
    "--region",
    "eu-west-1",
  ]);
  assert.match(
    text,
    new RegExp(
      `\\[profile prod\\]\\ncredential_process = /usr/local/bin/epicac --assume ${PROD} --region eu-west-1\\nregion = eu-west-1\\n`,
    ),
  );
  assert.doesNotMatch(text, /source_profile|role_arn|epicac-source/);
});

test("bad input is a usage error that says what to give", () => {
  const refusals: [string[], RegExp][] = [
    [[], /at least one --profile/],
    [["--profile", "prod"], /--profile takes NAME=ROLE_ARN/],
    [["--profile", "pr od=" + PROD], /--profile takes NAME=ROLE_ARN/],
    [["--profile", "prod=arn:aws:iam::1:role/x"], /IAM role ARN/],
    [["--profile", `a=${PROD}`, "--profile", `a=${AUDIT}`], /given twice/],
    [["--profile", `epicac-source=${PROD}`], /also a destination/],
    [["--profile", `a=${PROD}`, "--binary", "/opt/my epicac"], /absolute path without spaces/],
    [["--profile", `a=${PROD}`, "--binary", "epicac"], /absolute path/],
    [
      ["--profile", `a=${PROD}`, "--region", "Europe"],
      /--region takes an AWS region name, not 'Europe'/,
    ],
    [["--profile", `a=${PROD}`, "--external-id", "x"], /--external-id takes 2 to 1224/],
    [["--nope"], /config: Unknown option '--nope'/],
  ];
  for (const [args, message] of refusals) {
    assert.throws(
      () => generateConfig(args),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      args.join(" "),
    );
  }
});

test("--assume with --region and --cache-dir writes the README's worked example", () => {
  const text = generateConfig([
    "--assume",
    "--profile",
    `prod=${PROD}`,
    "--profile",
    `audit=${AUDIT},external-id=audit-7f3c`,
    "--region",
    "eu-west-1",
    "--cache-dir",
    "/tmp/epicac",
  ]);
  assert.equal(
    body(text),
    [
      "",
      "[profile prod]",
      `credential_process = /opt/epicac --assume ${PROD} --region eu-west-1 --cache-dir /tmp/epicac`,
      "region = eu-west-1",
      "",
      "[profile audit]",
      `credential_process = /opt/epicac --assume ${AUDIT} --region eu-west-1 --external-id audit-7f3c --cache-dir /tmp/epicac`,
      "region = eu-west-1",
      "",
    ].join("\n"),
  );
});

test("--cache-dir goes on the source profile's line in the source_profile form", () => {
  assert.match(
    generateConfig(["--profile", `prod=${PROD}`, "--cache-dir", "/tmp/epicac"]),
    /\[profile epicac-source\]\ncredential_process = \/opt\/epicac --cache-dir \/tmp\/epicac\n/,
  );
});

test("a destination in another partition gets a region of its own, or is refused", () => {
  const cn = "arn:aws-cn:iam::222222222222:role/app";
  assert.throws(
    () => generateConfig(["--profile", `china=${cn}`, "--region", "eu-west-1"]),
    (error: unknown) =>
      error instanceof UsageError &&
      /--profile china is a role in partition aws-cn, but --region eu-west-1 is in aws: give it a region of its own/
        .test(error.message),
  );
  const text = generateConfig([
    "--profile",
    `prod=${PROD}`,
    "--profile",
    `china=${cn},region=cn-north-1`,
    "--region",
    "eu-west-1",
  ]);
  assert.match(text, /\[profile prod\]\n[^[]*region = eu-west-1\n/);
  assert.match(text, /\[profile china\]\n[^[]*region = cn-north-1\n/);
  // The source profile's region cannot stand for both partitions: it gets none.
  assert.doesNotMatch(
    text,
    /\[profile epicac-source\]\ncredential_process = \/opt\/epicac\nregion/,
  );
});

test("every current partition is accepted, aws-eusc and the ISO ones included", () => {
  for (
    const [partition, region] of [
      ["aws-eusc", "eusc-de-east-1"],
      ["aws-us-gov", "us-gov-west-1"],
      ["aws-iso", "us-iso-east-1"],
      ["aws-iso-b", "us-isob-east-1"],
      ["aws-cn", "cn-northwest-1"],
    ]
  ) {
    assert.equal(partitionOf(region), partition);
    const text = generateConfig([
      "--profile",
      `x=arn:${partition}:iam::222222222222:role/app`,
      "--region",
      region,
    ]);
    assert.match(text, new RegExp(`role_arn = arn:${partition}:iam::222222222222:role/app`));
  }
});

test("per-profile settings other than region= and external-id= are refused", () => {
  assert.throws(
    () => generateConfig(["--profile", `prod=${PROD},duration=900`]),
    /--profile prod takes region= and external-id= after the ARN, not 'duration=900'/,
  );
});

test("--native writes role_arn + credential_source = EcsContainer, and no epicac at all", () => {
  const text = generateConfig([
    "--native",
    "--profile",
    `prod=${PROD},external-id=prod-ext-01`,
    "--profile",
    `audit=${AUDIT}`,
    "--region",
    "eu-west-1",
  ]);
  assert.match(
    text,
    new RegExp(
      `\\n\\[profile prod\\]\\nrole_arn = ${PROD}\\ncredential_source = EcsContainer\\nexternal_id = prod-ext-01\\nregion = eu-west-1\\n\\n\\[profile audit\\]\\nrole_arn = ${AUDIT}\\ncredential_source = EcsContainer\\nregion = eu-west-1\\n$`,
    ),
  );
  assert.doesNotMatch(text, /credential_process|source_profile|epicac-source|\/opt\/epicac/);
  for (const extra of [["--assume"], ["--cache-dir", "/tmp/c"], ["--binary", "/opt/epicac"]]) {
    assert.throws(
      () => generateConfig(["--native", "--profile", `a=${PROD}`, ...extra]),
      (error: unknown) =>
        error instanceof UsageError &&
        new RegExp(`--native profiles run no epicac process, so ${extra[0]}`).test(error.message),
    );
  }
});
