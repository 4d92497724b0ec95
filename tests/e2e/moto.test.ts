// --assume against moto, which checks every signature and permission: the chain's final
// credentials must resolve, with the AWS CLI, to the expected assumed role. Also the IRSA source
// (an unsigned AssumeRoleWithWebIdentity, against a moto that checks nothing), and SDKs that use
// `--assume` output through a profile with no source_profile at all.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { AgentCredentials } from "../fakes/agent.ts";
import { ROOT, runEpicac, runnableTargets, runProcess, type Target } from "../support/epicac.ts";
import { assertFailure, parseSuccess, type ProcessCredentials } from "../support/assertions.ts";
import { type Moto, shellCommandLine, startMoto } from "../support/moto.ts";
import { type Env, type Pod, startPod } from "../support/pod.ts";
import { fakeJwt } from "../support/jwt.ts";

const TOKEN = fakeJwt({ sub: "system:serviceaccount:app:app" }, { signature: "bW90bw" });
// IRSA's projected token: audience sts.amazonaws.com (moto does not verify it).
const WEB_TOKEN = fakeJwt({ aud: "sts.amazonaws.com", sub: "system:serviceaccount:app:app" }, {
  signature: "aXJzYQ",
});
let pod: Pod;
let moto: Moto;
let open: Moto; // checks nothing: for the unsigned web identity call
let served: AgentCredentials;
let dir: string;

before(async () => {
  [pod, open] = await Promise.all([startPod("moto-chain", TOKEN), startMoto({ checked: false })]);
  ({ moto, served, dir } = pod);
  writeFileSync(join(dir, "web-identity-token"), `${WEB_TOKEN}\n`);
});

after(async () => {
  await Promise.all([pod?.close(), open?.close()]);
});

/** A pod with EKS Pod Identity; STS is moto, found by the SDK through AWS_ENDPOINT_URL_STS. */
const podEnv = (extra: Env = {}) =>
  pod.env({
    AWS_REGION: moto.region,
    AWS_DEFAULT_REGION: moto.region,
    AWS_ENDPOINT_URL_STS: moto.endpoint,
    ...extra,
  });

/** An IRSA pod: no container variables, a web identity token and role; STS is the open moto. */
function irsaEnv() {
  return {
    HOME: dir,
    AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, "web-identity-token"),
    AWS_ROLE_ARN: open.roleArn("irsa"),
    AWS_REGION: open.region,
    AWS_ENDPOINT_URL_STS: open.endpoint,
  };
}

/** Who the credentials are, asked of `sts` by the AWS CLI. */
async function callerArn(credentials: ProcessCredentials, sts: Moto): Promise<string> {
  const result = await runProcess("aws", ["sts", "get-caller-identity", "--output", "json"], {
    env: {
      HOME: mkdtempSync(join(dir, "home-")),
      AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
      AWS_SESSION_TOKEN: credentials.SessionToken,
      AWS_DEFAULT_REGION: sts.region,
      AWS_ENDPOINT_URL_STS: sts.endpoint,
    },
    killAfterMs: 60_000,
  });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout).Arn;
}

const assumed = (role: string, session = "[\\w+=,.@-]+") =>
  new RegExp(`^arn:aws:sts::\\d{12}:assumed-role/${role}/${session}$`);

type Case = [name: string, run: (t: Target) => Promise<void>];

const cases: Case[] = [
  ["one hop: the output is a session of dest that moto accepts", async (t) => {
    const doc = parseSuccess(
      await runEpicac(t, ["--assume", moto.roleArn("dest"), "--session-name", "one-hop"], {
        env: podEnv(),
      }),
    );
    assert.match(await callerArn(doc, moto), assumed("dest", "one-hop"));
    assert.equal(doc.AccountId, moto.accountId);
  }],
  ["two hops: src → dest → third", async (t) => {
    const doc = parseSuccess(
      await runEpicac(t, ["--assume", moto.roleArn("dest"), "--assume", moto.roleArn("third")], {
        env: podEnv(),
      }),
    );
    assert.match(await callerArn(doc, moto), assumed("third"));
  }],
  [
    "a hop the pod's role may not take is AccessDenied, naming the role and the principal",
    async (t) => {
      const result = await runEpicac(t, ["--assume", moto.roleArn("forbidden")], { env: podEnv() });
      assertFailure(result, {
        stderr: new RegExp(
          `sts:AssumeRole of ${
            moto.roleArn("forbidden")
          } was denied for arn:aws:sts::\\d{12}:assumed-role/src/[\\w-]+ \\(check that the trust policy`,
        ),
        secrets: [TOKEN, served.SecretAccessKey, served.Token],
      });
    },
  ],
  ["a second hop dest may not take is AccessDenied for dest's session", async (t) => {
    const result = await runEpicac(t, [
      "--assume",
      moto.roleArn("dest"),
      "--assume",
      moto.roleArn("forbidden"),
    ], { env: podEnv() });
    assertFailure(result, {
      stderr: /role\/forbidden was denied for arn:aws:sts::\d{12}:assumed-role\/dest\//,
    });
  }],
  ["IRSA: the web identity token becomes the irsa role's session, unsigned", async (t) => {
    const doc = parseSuccess(
      await runEpicac(t, ["--session-name", "irsa-pod"], { env: irsaEnv() }),
    );
    assert.match(await callerArn(doc, open), assumed("irsa", "irsa-pod"));
  }],
  ["IRSA as the first hop of a chain", async (t) => {
    const doc = parseSuccess(
      await runEpicac(t, ["--source", "web-identity", "--assume", open.roleArn("dest")], {
        env: irsaEnv(),
      }),
    );
    assert.match(await callerArn(doc, open), assumed("dest"));
  }],
  ["the AWS CLI uses a profile whose only line is credential_process with --assume", async (t) => {
    const home = mkdtempSync(join(dir, "home-"));
    const config = join(home, "config");
    const line = shellCommandLine([...t.command, "--assume", moto.roleArn("dest")]);
    writeFileSync(config, `[profile direct]\ncredential_process = ${line}\n`);
    const result = await runProcess("aws", [
      "sts",
      "get-caller-identity",
      "--profile",
      "direct",
      "--output",
      "json",
    ], {
      env: { ...podEnv({ HOME: home }), AWS_CONFIG_FILE: config, AWS_DEFAULT_REGION: moto.region },
      killAfterMs: 60_000,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(JSON.parse(result.stdout).Arn, assumed("dest"));
  }],
  ["fromIni uses a profile whose only line is credential_process with --assume", async (t) => {
    const home = mkdtempSync(join(dir, "home-"));
    const config = join(home, "config");
    const line = shellCommandLine([...t.command, "--assume", moto.roleArn("dest")]);
    writeFileSync(config, `[profile direct]\ncredential_process = ${line}\n`);
    const consumer = `${ROOT}tests/support/sdk-consumer.mjs`;
    const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
    const [program, ...args] = deno
      ? [deno.execPath(), "run", "-A", consumer, "direct"]
      : [process.execPath, consumer, "direct"];
    const result = await runProcess(program, args, {
      env: { ...podEnv({ HOME: home }), AWS_CONFIG_FILE: config },
      cwd: ROOT,
      killAfterMs: 60_000,
    });
    const out = JSON.parse(result.stdout);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(out.Arn, assumed("dest"));
    // No AssumeRole by the SDK: the profile has no role_arn, epicac did the chaining.
    assert.deepEqual(out.requests.map((r: { action: string }) => r.action), ["GetCallerIdentity"]);
  }],
];

for (const target of runnableTargets()) {
  for (const [name, fn] of cases) test(`${target.name}: moto ${name}`, () => fn(target));
}
