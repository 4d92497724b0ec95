// src/doctor/checks.ts in process: each check finds what a run would find, through the same
// sources, and says what to fix; none crashes on odd input, none shows a secret.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCache, checkConfig, checkEnvironment, checkToken } from "../../src/doctor/checks.ts";

/** The config check alone (a shell warning may follow it: tests/doctor/shell.test.ts). */
const checkProfile = async (env: Record<string, string>) => (await checkConfig(env))[0];
import { sourceOf } from "../../src/sources/select.ts";
import { fakeJwt } from "../support/jwt.ts";

const dir = mkdtempSync(join(tmpdir(), "epicac-checks-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;

function file(content: string, mode = 0o644): string {
  const path = join(dir, `file-${++serial}`);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

const CONTAINER_TOKEN = fakeJwt({
  sub: "system:serviceaccount:app:container",
  aud: ["pods.eks.amazonaws.com"],
});
const WEB_TOKEN = fakeJwt({ sub: "system:serviceaccount:app:irsa", aud: ["sts.amazonaws.com"] });
const BOTH = () => ({
  AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials",
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file(CONTAINER_TOKEN),
  AWS_WEB_IDENTITY_TOKEN_FILE: file(WEB_TOKEN),
  AWS_ROLE_ARN: "arn:aws:iam::111122223333:role/irsa",
});

test("environment: each source describes what is set up; none set up is one failure with the fix", () => {
  const env = BOTH();
  const container = checkEnvironment(env, sourceOf("container"));
  assert.equal(container.status, "pass");
  assert.match(
    container.detail,
    /^EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_FULL_URI=http:\/\/169\.254\.170\.23/,
  );
  assert.match(
    checkEnvironment(env, sourceOf("web-identity")).detail,
    /^IRSA: AWS_ROLE_ARN=arn:aws:iam::111122223333:role\/irsa, AWS_WEB_IDENTITY_TOKEN_FILE=/,
  );
  const none = checkEnvironment({}, undefined);
  assert.equal(none.status, "fail");
  assert.match(none.fix!, /create an EKS Pod Identity association/);
  const noToken = checkEnvironment(
    { AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials" },
    sourceOf("container"),
  );
  assert.match(noToken.detail, /but no authorization token variable is/);
  const badArn = checkEnvironment({ ...env, AWS_ROLE_ARN: "irsa" }, sourceOf("web-identity"));
  assert.equal(badArn.status, "fail");
  assert.match(badArn.detail, /^AWS_ROLE_ARN takes an IAM role ARN/);
});

test("token: the chosen source's own token is the one checked", async () => {
  const env = BOTH();
  const web = await checkToken(env, sourceOf("web-identity"));
  assert.match(
    web.detail,
    /^web identity token file .*: JWT for system:serviceaccount:app:irsa, audience sts\.amazonaws\.com$/,
  );
  const container = await checkToken(env, sourceOf("container"));
  assert.match(container.detail, /^token file .*: JWT for system:serviceaccount:app:container/);
});

test("token: odd claims are described, an expired token fails, and the token is never shown", async () => {
  const cases: [Record<string, unknown>, RegExp, string][] = [
    [
      { sub: "a:b", exp: 1e17 },
      /JWT for a:b, audience none, with an exp claim that is not a time$/,
      "pass",
    ],
    [
      { sub: { toString: "x" }, aud: [{}] },
      /JWT for \(not a string\), audience \(not a string\)$/,
      "pass",
    ],
    [{ sub: "a:b", exp: 1_600_000_000 }, /expired at 2020-09-13T12:26:40\.000Z$/, "fail"],
  ];
  for (const [claims, detail, status] of cases) {
    const token = fakeJwt(claims);
    const check = await checkToken(
      { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file(token) },
      sourceOf("container"),
    );
    assert.equal(check.status, status, JSON.stringify(claims));
    assert.match(check.detail, detail);
    assert.ok(!check.detail.includes(token));
  }
});

const PROGRAM = file("#!/bin/sh\nexit 0\n", 0o755);
const MODERN = `[default]
region = us-west-2

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[services local]
sts =
  endpoint_url = https://sts.us-west-2.amazonaws.com

[profile "dest"]
role_arn = arn:aws:iam::222222222222:role/dest
source_profile = src
services = local
region = eu-west-1

[profile src]
credential_process = ${PROGRAM}

[profile ecs]
role_arn = arn:aws:iam::222222222222:role/dest
credential_source = EcsContainer
region = eu-west-1

[bare]
role_arn = arn:aws:iam::222222222222:role/dest
credential_source = EcsContainer
`;

const config = (env: Record<string, string>) =>
  checkProfile({ AWS_CONFIG_FILE: file(MODERN), HOME: dir, ...env });

test("config: current syntax (sso-session, services, sub-sections, quoted names) reads as the SDK reads it", async () => {
  const check = await config({ AWS_PROFILE: "dest" });
  assert.equal(check.status, "pass", check.detail);
  assert.match(
    check.detail,
    /profile dest: dest: assumes arn:aws:iam::222222222222:role\/dest with profile src; src: credential_process .* \(executable\); region eu-west-1$/,
  );
  const ecs = await config({ AWS_PROFILE: "ecs" });
  assert.match(
    ecs.detail,
    /ecs: assumes .* with credential_source EcsContainer; region eu-west-1$/,
  );
});

test("config: a bare [name] section in the config file is not a profile", async () => {
  const check = await config({ AWS_PROFILE: "bare" });
  assert.equal(check.status, "fail");
  assert.match(
    check.detail,
    /profile bare is not in the file \(profiles there: default, dest, src, ecs\)/,
  );
});

test("config: AWS_DEFAULT_PROFILE that differs from AWS_PROFILE splits botocore from the JavaScript SDK", async () => {
  const check = await config({ AWS_PROFILE: "dest", AWS_DEFAULT_PROFILE: "ecs" });
  assert.equal(check.status, "fail");
  assert.match(
    check.detail,
    /botocore \(boto3, the AWS CLI\) uses profile ecs \(AWS_DEFAULT_PROFILE\), the JavaScript SDK profile dest/,
  );
});

test("config: a role to assume needs a region each SDK can see", async () => {
  const noRegion =
    `[profile app]\nrole_arn = arn:aws:iam::222222222222:role/dest\nsource_profile = src\n[profile src]\ncredential_process = ${PROGRAM}\n`;
  const check = (env: Record<string, string>) =>
    checkProfile({ AWS_CONFIG_FILE: file(noRegion), AWS_PROFILE: "app", HOME: dir, ...env });
  const none = await check({});
  assert.equal(none.status, "fail");
  assert.match(
    none.detail,
    /no region to call STS for the role in \(botocore \(boto3, the AWS CLI\) reads AWS_DEFAULT_REGION; the JavaScript SDK reads AWS_REGION\)/,
  );
  assert.match(
    none.fix!,
    /set AWS_REGION and AWS_DEFAULT_REGION \(EKS sets both\), or region = in profile app/,
  );
  const onlyJs = await check({ AWS_REGION: "us-west-2" });
  assert.match(onlyJs.detail, /\(botocore \(boto3, the AWS CLI\) reads AWS_DEFAULT_REGION\)$/);
  assert.equal(
    (await check({ AWS_REGION: "us-west-2", AWS_DEFAULT_REGION: "us-west-2" })).status,
    "pass",
  );
});

test("config: a FIFO or a file over 1 MiB is refused without reading it whole", async () => {
  const big = file("#".repeat(1024 * 1024 + 1));
  const check = await checkProfile({ AWS_CONFIG_FILE: big, AWS_PROFILE: "x" });
  assert.equal(check.status, "fail");
  assert.match(check.detail, /: it is larger than 1048576 bytes$/);
  const device = await checkProfile({ AWS_CONFIG_FILE: "/dev/zero", AWS_PROFILE: "x" });
  assert.match(device.detail, /: it is not a regular file$/);
});

test("cache: skipped without --cache-dir; a usable directory passes; a file in its place fails with the fix", async () => {
  assert.equal((await checkCache(undefined)).status, "skip");
  const good = join(dir, `cache-${++serial}`);
  assert.equal((await checkCache({ dir: good })).status, "pass");
  const notDir = file("x");
  const bad = await checkCache({ dir: notDir });
  assert.equal(bad.status, "fail");
  assert.match(bad.detail, /is not a directory, so every run goes uncached/);
});
