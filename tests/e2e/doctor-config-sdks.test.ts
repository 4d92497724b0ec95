// doctor's config check against the SDKs themselves: for each AWS config file of a corpus (the
// syntax people write today, and the mistakes they make), botocore and the JavaScript SDK v3 each
// try to get credentials and call sts:GetCallerIdentity with them, against the loopback agent
// emulator and fake STS. An SDK "works" when that call is signed with the profile's role (keys
// the fake STS issued), not with whatever its default chain fell back to (the pod's own keys).
// doctor's config check passes exactly when both work, and when it fails because one of them
// would, it names that one.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkConfig } from "../../src/doctor/checks.ts";
import { type FakeStsPod, startFakeStsPod } from "../support/pod.ts";
import { ROOT, runProcess } from "../support/epicac.ts";

let pod: FakeStsPod;
let program: string;

before(async () => {
  pod = await startFakeStsPod("doctor-sdks", "unused-token-for-this-test");
  // A credential_process both SDKs can run: static keys, as epicac's JSON.
  program = join(pod.dir, "static-credentials");
  writeFileSync(
    program,
    `#!/bin/sh\necho '{"Version":1,"AccessKeyId":"ASIASTATIC0000000001","SecretAccessKey":"staticSecret0123456789","SessionToken":"staticSessionToken0123456789","Expiration":"2099-01-01T00:00:00Z"}'\n`,
  );
  chmodSync(program, 0o755);
});

after(() => pod?.close());

const BOTOCORE = `
import json, os, sys
import botocore.session
try:
    session = botocore.session.Session()
    client = session.create_client("sts", endpoint_url=os.environ["FAKE_STS"])
    print(json.dumps({"ok": True, "arn": client.get_caller_identity()["Arn"]}))
except Exception as error:
    print(json.dumps({"ok": False, "error": type(error).__name__ + ": " + str(error)}))
`;

interface Verdict {
  ok: boolean;
  error?: string;
}

/** Whether `run` ended with sts:GetCallerIdentity signed by a role the fake STS issued. */
async function signedByTheRole(run: () => Promise<Verdict>): Promise<Verdict> {
  const first = pod.sts.requests.length;
  const verdict = await run();
  const call = pod.sts.requests.slice(first).findLast((r) => r.action === "GetCallerIdentity");
  if (verdict.ok && !call?.accessKeyId?.startsWith("ASIASTUB")) {
    return { ok: false, error: `signed with ${call?.accessKeyId}, not the profile's role` };
  }
  return verdict;
}

function botocore(env: Record<string, string>): Promise<Verdict> {
  return signedByTheRole(async () => {
    const result = await runProcess("python3", ["-c", BOTOCORE], { env, killAfterMs: 60_000 });
    return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
  });
}

function javascript(env: Record<string, string>): Promise<Verdict> {
  return signedByTheRole(async () => {
    const result = await runProcess(
      join(ROOT, ".tools", "bin", "bun"),
      [`${ROOT}tests/support/sdk-consumer.mjs`, env.AWS_PROFILE || "default"],
      { env, killAfterMs: 60_000 },
    );
    const doc = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    return doc.error ? { ok: false, error: `${doc.error}: ${doc.message}` } : { ok: true };
  });
}

const DEST = "arn:aws:iam::222222222222:role/dest";

/** name, config text, extra environment. */
const CORPUS: [string, (program: string) => string, Record<string, string>][] = [
  [
    "current syntax: sso-session and services sections, sub-sections, a quoted name",
    (p) =>
      `[default]\nregion = us-west-2\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\n[services local]\nsts =\n  endpoint_url = https://sts.us-west-2.amazonaws.com\n\n[profile "dest"]\nrole_arn = ${DEST}\nsource_profile = src\nregion = us-west-2\n\n[profile src]\ncredential_process = ${p}\n`,
    { AWS_PROFILE: "dest" },
  ],
  [
    "a bare [dest] section, which the config file does not read as a profile",
    (p) =>
      `[dest]\nrole_arn = ${DEST}\nsource_profile = src\nregion = us-west-2\n\n[profile src]\ncredential_process = ${p}\n`,
    { AWS_PROFILE: "dest" },
  ],
  [
    "credential_source = EcsContainer",
    () =>
      `[profile dest]\nrole_arn = ${DEST}\ncredential_source = EcsContainer\nregion = us-west-2\n`,
    { AWS_PROFILE: "dest" },
  ],
  [
    "AWS_DEFAULT_PROFILE naming another profile than AWS_PROFILE",
    (p) =>
      `[profile dest]\nrole_arn = ${DEST}\nsource_profile = src\nregion = us-west-2\n\n[profile src]\ncredential_process = ${p}\n\n[profile other]\nregion = us-west-2\n`,
    { AWS_PROFILE: "dest", AWS_DEFAULT_PROFILE: "other" },
  ],
  [
    "no region anywhere",
    (p) =>
      `[profile dest]\nrole_arn = ${DEST}\nsource_profile = src\n\n[profile src]\ncredential_process = ${p}\n`,
    { AWS_PROFILE: "dest" },
  ],
  [
    "only AWS_REGION, which botocore does not read",
    (p) =>
      `[profile dest]\nrole_arn = ${DEST}\nsource_profile = src\n\n[profile src]\ncredential_process = ${p}\n`,
    { AWS_PROFILE: "dest", AWS_REGION: "us-west-2" },
  ],
  [
    "both region variables, as EKS sets them",
    (p) =>
      `[profile dest]\nrole_arn = ${DEST}\nsource_profile = src\n\n[profile src]\ncredential_process = ${p}\n`,
    { AWS_PROFILE: "dest", AWS_REGION: "us-west-2", AWS_DEFAULT_REGION: "us-west-2" },
  ],
  [
    "a source_profile loop",
    () =>
      `[profile dest]\nrole_arn = ${DEST}\nsource_profile = other\nregion = us-west-2\n\n[profile other]\nrole_arn = ${DEST}\nsource_profile = dest\n`,
    { AWS_PROFILE: "dest" },
  ],
  [
    "a profile that is not in the file",
    (p) => `[profile src]\ncredential_process = ${p}\nregion = us-west-2\n`,
    { AWS_PROFILE: "prdo" },
  ],
];

for (const [name, text, extra] of CORPUS) {
  test(`doctor's config check agrees with botocore and the JavaScript SDK: ${name}`, async () => {
    const file = join(pod.dir, `config-${name.replace(/\W+/g, "-")}`);
    writeFileSync(file, text(program));
    const env = {
      HOME: pod.dir,
      AWS_CONFIG_FILE: file,
      AWS_SHARED_CREDENTIALS_FILE: join(pod.dir, "no-credentials-file"),
      AWS_CONTAINER_CREDENTIALS_FULL_URI: pod.agent.url(),
      AWS_CONTAINER_AUTHORIZATION_TOKEN: pod.token,
      AWS_ENDPOINT_URL_STS: pod.sts.endpoint,
      FAKE_STS: pod.sts.endpoint,
      AWS_EC2_METADATA_DISABLED: "true",
      ...extra,
    };
    const [boto, js] = [await botocore(env), await javascript(env)];
    const [doctor] = await checkConfig(env);
    const both = boto.ok && js.ok;
    assert.equal(
      doctor.status === "pass",
      both,
      `doctor: ${doctor.status} ${doctor.detail}; botocore: ${JSON.stringify(boto)}; JavaScript: ${
        JSON.stringify(js)
      }`,
    );
    if (!both && boto.ok !== js.ok) {
      const failing = boto.ok ? /JavaScript SDK/ : /botocore/;
      assert.match(doctor.detail, failing, "doctor names the SDK the set-up fails for");
    }
  });
}
