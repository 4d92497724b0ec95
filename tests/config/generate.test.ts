// epicac config: the AWS config it prints, its refusals, and the proof that counts: botocore (the
// AWS CLI) loads every generated profile and resolves it through the compiled binary, against
// moto checking every signature and permission.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateConfig } from "../../src/config/generate.ts";
import { UsageError } from "../../src/errors.ts";
import type { Agent } from "../support/agent.ts";
import { runEpicac, runnableTargets, runProcess, sourceTarget } from "../support/epicac.ts";
import type { Moto } from "../support/moto.ts";
import { type Pod, startPod } from "../support/pod.ts";

const PROD = "arn:aws:iam::222222222222:role/app";
const AUDIT = "arn:aws:iam::333333333333:role/audit-reader";

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
    [["--profile", `a=${PROD}`, "--region", "Europe"], /not an AWS region/],
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

test("config --help is printed by the command, exit 0", async () => {
  const result = await runEpicac(sourceTarget(), ["config", "--help"], { env: {} });
  assert.equal(result.code, 0);
  for (
    const flag of [
      "--profile",
      "--binary",
      "--assume",
      "--region",
      "--external-id",
      "--source-profile",
    ]
  ) assert.ok(result.stdout.includes(flag), flag);
});

// Resolution through botocore, for each native binary (a config names one program path).
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwOmFwcCJ9.Y29uZmln";
let pod: Pod;
let moto: Moto;
let agent: Agent;
let dir: string;

before(async () => {
  pod = await startPod("config", TOKEN);
  ({ moto, agent, dir } = pod);
});

after(() => pod?.close());

for (const target of runnableTargets().filter((t) => t.command.length === 1 && !t.emulated)) {
  for (const mode of ["source_profile chains", "--assume profiles"]) {
    test(`${target.name}: every profile of a generated config (${mode}) resolves with botocore`, async () => {
      // moto has one account: both destinations are its dest role.
      const args = [
        "config",
        "--profile",
        `prod=${moto.roleArn("dest")}`,
        "--profile",
        `audit=${moto.roleArn("dest")}`,
        "--binary",
        target.command[0],
        "--region",
        moto.region,
      ];
      if (mode === "--assume profiles") args.push("--assume");
      const generated = await runEpicac(target, args, { env: {} });
      assert.equal(generated.code, 0, generated.stderr);
      const home = mkdtempSync(join(dir, "home-"));
      writeFileSync(join(home, "config"), generated.stdout);
      for (const profile of ["prod", "audit"]) {
        const result = await runProcess("aws", [
          "sts",
          "get-caller-identity",
          "--profile",
          profile,
          "--output",
          "json",
        ], {
          env: {
            HOME: mkdtempSync(join(home, `${profile}-`)),
            AWS_CONFIG_FILE: join(home, "config"),
            AWS_ENDPOINT_URL_STS: moto.endpoint,
            AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url(),
            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: pod.tokenFile,
          },
          killAfterMs: 60_000,
        });
        assert.equal(result.code, 0, `${profile}: ${result.stderr}`);
        assert.match(
          JSON.parse(result.stdout).Arn,
          /^arn:aws:sts::\d{12}:assumed-role\/dest\//,
          profile,
        );
      }
    });
  }
}
