// epicac config end to end: the proof that counts. botocore (the AWS CLI) loads every generated
// profile and resolves it through the compiled binary, against moto checking every signature and
// permission. (What it prints, and its refusals: tests/commands/config.test.ts.)

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Agent } from "../fakes/agent.ts";
import process from "node:process";
import {
  programOf,
  ROOT,
  runEpicac,
  runnableTargets,
  runProcess,
  sourceTarget,
} from "../support/epicac.ts";
import type { Moto } from "../support/moto.ts";
import { type Pod, startPod } from "../support/pod.ts";
import { fakeJwt } from "../support/jwt.ts";

test("config --help is printed by the command, exit 0", async () => {
  const result = await runEpicac(sourceTarget(), ["config", "--help"], { env: {} });
  assert.equal(result.code, 0);
  for (
    const flag of [
      "--profile",
      "--binary",
      "--assume",
      "--native",
      "--region",
      "--external-id",
      "--source-profile",
    ]
  ) assert.ok(result.stdout.includes(flag), flag);
});

// Resolution through botocore, for each native binary and the program the Deno binaries embed
// (a config names one program path: for that program, a script that runs it).
const TOKEN = fakeJwt({ sub: "system:serviceaccount:app:app" }, { signature: "Y29uZmln" });
let pod: Pod;
let moto: Moto;
let agent: Agent;
let dir: string;

before(async () => {
  pod = await startPod("config", TOKEN);
  ({ moto, agent, dir } = pod);
});

after(() => pod?.close());

for (
  const target of runnableTargets({ denoBundle: true, emulated: true }).filter((t) =>
    (t.compiled || t.bundled) && !t.emulated
  )
) {
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
        programOf(target, dir),
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

test("--native profiles resolve with botocore and the JavaScript SDK v3 themselves, no epicac run", async () => {
  const generated = await runEpicac(sourceTarget(), [
    "config",
    "--native",
    "--profile",
    `prod=${moto.roleArn("dest")}`,
    "--region",
    moto.region,
  ], { env: {} });
  assert.equal(generated.code, 0, generated.stderr);
  assert.doesNotMatch(generated.stdout, /credential_process/);
  const home = mkdtempSync(join(dir, "native-"));
  writeFileSync(join(home, "config"), generated.stdout);
  // As the kubelet writes it: no newline (botocore sends the file's bytes and refuses one).
  const tokenFile = join(home, "token");
  writeFileSync(tokenFile, TOKEN);
  const env = {
    HOME: home,
    AWS_CONFIG_FILE: join(home, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "no-credentials"),
    AWS_PROFILE: "prod",
    AWS_ENDPOINT_URL_STS: moto.endpoint,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url(),
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
    AWS_EC2_METADATA_DISABLED: "true",
  };
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  const consumer = `${ROOT}tests/support/sdk-consumer.mjs`;
  const clients: [string, string, string[]][] = [
    ["botocore", "aws", ["sts", "get-caller-identity", "--output", "json"]],
    [
      "the JavaScript SDK v3",
      deno ? deno.execPath() : process.execPath,
      deno ? ["run", "-A", consumer, "prod"] : [consumer, "prod"],
    ],
  ];
  for (const [name, program, args] of clients) {
    const before = agent.requests.length;
    const result = await runProcess(program, args, { env, cwd: ROOT, killAfterMs: 60_000 });
    assert.equal(result.code, 0, `${name}: ${result.stdout} ${result.stderr}`);
    assert.match(JSON.parse(result.stdout).Arn, /^arn:aws:sts::\d{12}:assumed-role\/dest\//, name);
    assert.equal(agent.requests.length - before, 1, `${name} read the agent itself`);
    assert.equal(agent.requests.at(-1)!.authorization, TOKEN, `${name} sent the pod's token`);
  }
});
