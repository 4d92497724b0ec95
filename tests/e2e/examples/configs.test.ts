// Every AWS config in examples/ resolves through the compiled binary with botocore, against a
// local moto and the Pod Identity agent emulator. Only account IDs, /opt/epicac and
// /tmp/epicac are rewritten for that.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BINARY,
  CLUSTER_ACCOUNT,
  configMaps,
  DESTINATION_ACCOUNTS,
  envOf,
  EXAMPLES,
  flagValues,
  IMAGE_BINARY,
  list,
  obj,
  parseIni,
  python,
  read,
  yamlDocuments,
} from "../../support/examples.ts";
import { type Agent, type AgentCredentials, startAgent } from "../../fakes/agent.ts";
import { type Moto, startMoto } from "../../support/moto.ts";
import { fakeJwt } from "../../support/jwt.ts";

const TOKEN = fakeJwt({ aud: ["pods.eks.amazonaws.com"] }, { signature: "ZXhhbXBsZXMtdGVzdA" });

// One Python process per pass: a fresh botocore session per profile, so nothing is cached
// between them (botocore keeps assumed-role credentials in memory, per session).
const RESOLVE = `import json, os, sys
import botocore.session
results = []
for job in json.loads(sys.argv[1]):
    os.environ["AWS_CONFIG_FILE"] = job["config"]
    os.environ["AWS_PROFILE"] = job["profile"]
    try:
        session = botocore.session.Session()
        credentials = session.get_credentials()
        identity = session.create_client("sts").get_caller_identity()
        results.append({"arn": identity["Arn"], "method": credentials.method})
    except Exception as error:
        results.append({"error": f"{type(error).__name__}: {error}"})
print(json.dumps(results))`;

interface Job {
  label: string;
  config: string;
  profile: string;
  role: "src" | "dest";
  method: string;
}

/** The config with what moto and this machine need instead of the cluster's accounts and paths. */
function forMoto(text: string, moto: Moto, cacheRoot: string): string {
  // Comments go: they matter to no reader, and they name the real accounts.
  const rewritten = text.split("\n").filter((line) => !/^\s*[#;]/.test(line)).join("\n")
    .replace(/arn:aws:iam::(\d{12}):role\/[\w+=,.@-]+/g, (arn, account) => {
      assert.ok(DESTINATION_ACCOUNTS.includes(account), `${arn} is a destination role`);
      return moto.roleArn("dest");
    })
    .replace(/(credential_process\s*=\s*)\/opt\/epicac(?=\s|$)/gm, `$1${BINARY}`)
    .replace(/(--cache-dir\s+)\/tmp\//g, `$1${cacheRoot}/`);
  for (const left of [CLUSTER_ACCOUNT, ...DESTINATION_ACCOUNTS, IMAGE_BINARY]) {
    assert.ok(!rewritten.includes(left), `nothing left to rewrite: ${left}`);
  }
  for (const cacheDir of flagValues(rewritten.replaceAll("\n", " "), "--cache-dir")) {
    assert.ok(cacheDir.startsWith(`${cacheRoot}/`), `--cache-dir ${cacheDir} is the test's own`);
  }
  return rewritten;
}

test("every AWS config in the examples resolves through the binary with botocore", async () => {
  assert.ok(existsSync(BINARY), `${BINARY} is missing; run make build-bun first`);
  const [deployment, twoAccounts] = await Promise.all(
    ["deployment.yaml", "deployment-two-accounts.yaml"].map(async (f) => {
      const doc = (await yamlDocuments()).get(join(EXAMPLES, "kubernetes", f))![0];
      const pod = obj(obj(obj(doc.spec, "spec").template, "template").spec, "pod");
      return envOf(obj(list(pod.containers, "containers")[0], "container"));
    }),
  );
  const configMapTexts = await configMaps();
  const configs = [
    { name: "aws-config", text: read(join(EXAMPLES, "aws-config")), env: deployment },
    { name: "aws-config", text: configMapTexts.get("aws-config")!.text, env: deployment },
    ...["aws-config-two-accounts", "aws-config-two-accounts-assume"].map((name) => ({
      name,
      text: configMapTexts.get(name)!.text,
      env: twoAccounts,
    })),
  ];
  assert.equal(deployment.get("AWS_REGION"), twoAccounts.get("AWS_REGION"));

  const dir = mkdtempSync(join(tmpdir(), "epicac-examples-"));
  let moto: Moto | undefined;
  let agent: Agent | undefined;
  try {
    const tokenFile = join(dir, "eks-pod-identity-token");
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const home = join(dir, "home");
    const cacheRoot = join(dir, "tmp"); // stands for the pod's /tmp emptyDir
    mkdirSync(home);
    mkdirSync(cacheRoot);
    moto = await startMoto();
    const served: AgentCredentials = await moto.mintSourceCredentials();
    agent = await startAgent({ credentials: () => served, expectedToken: TOKEN });

    const jobs: Job[] = [];
    const cached: Job[] = [];
    for (const [i, config] of configs.entries()) {
      const file = join(dir, `config-${i}`);
      writeFileSync(file, forMoto(config.text, moto, cacheRoot));
      for (const [profile, settings] of parseIni(config.text, config.name)) {
        const chained = settings.role_arn !== undefined ||
          flagValues(settings.credential_process ?? "", "--assume").length > 0;
        const job: Job = {
          label: `${config.name} [${profile}]`,
          config: file,
          profile,
          role: chained ? "dest" : "src",
          // botocore's name for who produced the credentials: its own AssumeRole, or the process.
          method: settings.role_arn !== undefined ? "assume-role" : "custom-process",
        };
        jobs.push(job);
        if (settings.credential_process?.includes("--cache-dir")) cached.push(job);
      }
    }
    assert.ok(cached.length > 0, "some example uses --cache-dir");

    const env = {
      HOME: home,
      AWS_REGION: deployment.get("AWS_REGION")!,
      AWS_DEFAULT_REGION: deployment.get("AWS_DEFAULT_REGION")!,
      AWS_ENDPOINT_URL_STS: moto.endpoint,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url(),
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      // Nothing may fall back to the instance metadata service.
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const check = (pass: Job[], results: { arn?: string; method?: string; error?: string }[]) => {
      assert.equal(results.length, pass.length);
      for (const [i, job] of pass.entries()) {
        const result = results[i];
        assert.equal(result.error, undefined, `${job.label}: ${result.error}`);
        assert.match(
          result.arn!,
          new RegExp(`^arn:aws:sts::${moto!.accountId}:assumed-role/${job.role}/[\\w+=,.@-]+$`),
          job.label,
        );
        assert.equal(result.method, job.method, job.label);
      }
    };

    // Every profile runs epicac once, and epicac asks the agent once, with the pod's token.
    check(jobs, await python(RESOLVE, [JSON.stringify(jobs)], env));
    assert.equal(agent.requests.length, jobs.length);
    assert.ok(
      agent.requests.every((r) => r.authorization === TOKEN && r.path === "/v1/credentials"),
    );

    // Again for the --cache-dir profiles: the same roles, and not one more request to the agent.
    check(cached, await python(RESOLVE, [JSON.stringify(cached)], env));
    assert.equal(agent.requests.length, jobs.length, "served from --cache-dir");
    const cacheDir = join(cacheRoot, "epicac");
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    assert.ok(readdirSync(cacheDir).length > 0);
  } finally {
    await agent?.close();
    await moto?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
