// The files in examples/: each parses (YAML with two parsers, JSON, HCL with terraform where it
// is installed, Dockerfiles by their structure, as no Docker engine runs here), the files agree
// with each other (names, paths, ARNs, ExternalId), and every AWS config in them resolves
// through the real binary with botocore, against a local moto and the Pod Identity agent
// emulator. Only account IDs, /opt/epicac and /tmp/epicac are rewritten for that.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { arch, tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import process from "node:process";
import { type Agent, type AgentCredentials, startAgent } from "./support/agent.ts";
import { ROOT, runProcess } from "./support/epicac.ts";
import { type Moto, startMoto } from "./support/moto.ts";

const EXAMPLES = join(ROOT, "examples");
const NATIVE = arch() === "arm64" ? "arm64" : "amd64";
const BINARY = join(ROOT, "dist", `epicac-bun-linux-${NATIVE}`);
const IMAGE_BINARY = "/opt/epicac";
const IMAGE_CONFIG = "/etc/aws/config";
const CLUSTER_ACCOUNT = "111111111111";
const DESTINATION_ACCOUNTS = ["222222222222", "333333333333"];
const POD_ROLE_ARN = `arn:aws:iam::${CLUSTER_ACCOUNT}:role/app-pod`;
const PROD_ROLE_ARN = "arn:aws:iam::222222222222:role/app";
const AUDIT_ROLE_ARN = "arn:aws:iam::333333333333:role/audit-reader";
const ASSUME_ACTIONS = ["sts:AssumeRole", "sts:TagSession"];
// An offline mirror of the AWS provider, where this machine image has one (there is no network).
const TF_PLUGIN_DIR = "/opt/tf-plugins";
const TF_AWS_PROVIDER = join(TF_PLUGIN_DIR, "registry.terraform.io/hashicorp/aws");

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

// ---------------------------------------------------------------------------------------------
// Helpers

function exampleFiles(dir = EXAMPLES): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? exampleFiles(join(dir, entry.name)) : [join(dir, entry.name)]
  ).sort();
}

const rel = (file: string) => relative(EXAMPLES, file);
const read = (file: string) => readFileSync(file, "utf8");

function obj(value: Json | undefined, what: string): Obj {
  assert.ok(
    value !== null && typeof value === "object" && !Array.isArray(value),
    `${what} is not a mapping`,
  );
  return value as Obj;
}

function list(value: Json | undefined, what: string): Json[] {
  assert.ok(Array.isArray(value), `${what} is not a list`);
  return value;
}

/** Runs python3 with a script and arguments; its stdout is JSON. */
async function python(script: string, args: string[], env: Record<string, string> = {}) {
  const result = await runProcess("python3", ["-c", script, ...args], {
    env,
    killAfterMs: 60_000,
  });
  assert.equal(result.code, 0, `python3 failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** The project's pinned bun, else the one on PATH: under Deno, Bun.YAML runs in a subprocess. */
function bunProgram(): string {
  const pinned = join(ROOT, ".tools", "bin", "bun");
  return existsSync(pinned) ? pinned : "bun";
}

// YAML: PyYAML (YAML 1.1, as Kubernetes' own parser mostly reads it) and Bun.YAML (YAML 1.2).
// Both must give the same documents, so no value means one thing to one reader and another to
// the other (`on`, `yes`, `0755`, …).
const PYYAML = `import json, sys, yaml
print(json.dumps({f: list(yaml.safe_load_all(open(f, encoding="utf-8"))) for f in sys.argv[1:]},
                 default=str))`;
const BUN_YAML = `const out = {};
for (const f of process.argv.slice(1)) out[f] = Bun.YAML.parse(await Bun.file(f).text());
console.log(JSON.stringify(out));`;

interface BunGlobal {
  Bun?: { YAML?: { parse(text: string): unknown } };
}

async function parseWithBun(files: string[]): Promise<Record<string, Json>> {
  const bun = (globalThis as BunGlobal).Bun;
  if (bun?.YAML) {
    return Object.fromEntries(files.map((f) => [f, bun.YAML!.parse(read(f)) as Json]));
  }
  const result = await runProcess(bunProgram(), ["-e", BUN_YAML, ...files]);
  assert.equal(result.code, 0, `bun -e failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

let yamlCache: Promise<Map<string, Obj[]>> | undefined;

/** Every YAML file's documents, parsed once by both parsers, which must agree. */
function yamlDocuments(): Promise<Map<string, Obj[]>> {
  yamlCache ??= (async () => {
    const files = exampleFiles().filter((f) => /\.ya?ml$/.test(f));
    assert.ok(files.length > 0, "no YAML files in examples/");
    const [py, bun] = await Promise.all([python(PYYAML, files), parseWithBun(files)]);
    const docs = new Map<string, Obj[]>();
    for (const file of files) {
      const pyDocs = list(py[file], `${rel(file)} (PyYAML)`).filter((d) => d !== null);
      // Bun.YAML gives a lone document as itself and several as a list.
      const bunDocs = pyDocs.length === 1 ? [bun[file]] : list(bun[file], `${rel(file)} (Bun)`);
      assert.deepEqual(bunDocs, pyDocs, `${rel(file)}: PyYAML and Bun.YAML disagree`);
      docs.set(file, pyDocs.map((d, i) => obj(d, `${rel(file)} document ${i + 1}`)));
    }
    return docs;
  })();
  return yamlCache;
}

async function manifests(kind: string): Promise<{ file: string; doc: Obj }[]> {
  const found: { file: string; doc: Obj }[] = [];
  for (const [file, docs] of await yamlDocuments()) {
    for (const doc of docs) if (doc.kind === kind) found.push({ file, doc });
  }
  return found;
}

/** An AWS config file: profile name → settings. Comments and blank lines are skipped. */
function parseIni(text: string, what: string): Map<string, Record<string, string>> {
  const profiles = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(?:profile\s+)?([\w.@+-]+)\]$/.exec(line);
    if (section) {
      assert.ok(!profiles.has(section[1]), `${what}: profile ${section[1]} appears twice`);
      current = {};
      profiles.set(section[1], current);
      continue;
    }
    const setting = /^([a-z_]+)\s*=\s*(.*)$/.exec(line);
    assert.ok(setting && current, `${what} line ${i + 1} is neither a section nor a setting`);
    current[setting[1]] = setting[2];
  }
  return profiles;
}

interface AwsConfig {
  name: string;
  text: string;
  profiles: Map<string, Record<string, string>>;
}

async function configMaps(): Promise<Map<string, AwsConfig>> {
  const configs = new Map<string, AwsConfig>();
  for (const { file, doc } of await manifests("ConfigMap")) {
    const name = String(obj(doc.metadata, "metadata").name);
    const data = obj(doc.data, `${rel(file)} ${name} data`);
    assert.deepEqual(Object.keys(data), ["config"], `${rel(file)} ${name}: one key, config`);
    assert.equal(typeof data.config, "string");
    const what = `${rel(file)} (${name})`;
    configs.set(name, {
      name: what,
      text: data.config as string,
      profiles: parseIni(data.config as string, what),
    });
  }
  return configs;
}

/** The words of a credential_process line (the examples need no quoting). */
const words = (line: string) => line.trim().split(/\s+/);

function flagValues(line: string, flag: string): string[] {
  const argv = words(line);
  return argv.flatMap((word, i) => (word === flag ? [argv[i + 1]] : []));
}

function envOf(container: Obj): Map<string, string> {
  const env = list(container.env, "container env");
  return new Map(env.map((e) => {
    const entry = obj(e, "env entry");
    return [String(entry.name), String(entry.value)];
  }));
}

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
function dockerInstructions(text: string): { keyword: string; args: string }[] {
  const out: { keyword: string; args: string }[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    const full = pending + line;
    pending = "";
    const match = /^(\S+)\s+(.*)$/.exec(full);
    assert.ok(match, `not an instruction: ${full}`);
    out.push({ keyword: match[1].toUpperCase(), args: match[2].trim() });
  }
  assert.equal(pending, "", "the Dockerfile ends in a continuation");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Inventory

test("every file in examples/ is one of the kinds this test checks", () => {
  const unchecked = exampleFiles().map(rel).filter((f) =>
    !/^kubernetes\/[\w-]+\.yaml$/.test(f) && !/^iam\/[\w-]+\.json$/.test(f) &&
    !/^terraform\/[\w-]+\.tf$/.test(f) &&
    !/^Dockerfile\.(distroless|chainguard)(\.dockerignore)?$/.test(f) &&
    f !== "aws-config" && f !== "README.md"
  );
  assert.deepEqual(unchecked, []);
});

// ---------------------------------------------------------------------------------------------
// Kubernetes

test("kubernetes: every YAML file parses the same with PyYAML and Bun.YAML", async () => {
  const docs = await yamlDocuments();
  for (const [file, fileDocs] of docs) {
    assert.ok(fileDocs.length > 0, `${rel(file)} has no document`);
    for (const doc of fileDocs) {
      const meta = obj(doc.metadata, `${rel(file)} metadata`);
      assert.equal(typeof doc.apiVersion, "string", `${rel(file)}: apiVersion`);
      assert.ok(["ServiceAccount", "ConfigMap", "Deployment"].includes(String(doc.kind)));
      assert.match(String(meta.name), /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${rel(file)}: name`);
      assert.equal(meta.namespace, "app", `${rel(file)}: namespace`);
    }
  }
  assert.equal((await manifests("ServiceAccount")).length, 1);
  assert.equal((await manifests("Deployment")).length, 2);
  assert.equal((await manifests("ConfigMap")).length, 3);
});

test("kubernetes: each ConfigMap holds an AWS config under the key config", async () => {
  const configs = await configMaps();
  assert.deepEqual([...configs.keys()].sort(), [
    "aws-config",
    "aws-config-two-accounts",
    "aws-config-two-accounts-assume",
  ]);
  for (const { name, profiles } of configs.values()) {
    for (const [profile, settings] of profiles) {
      const command = settings.credential_process;
      if (command !== undefined) {
        assert.equal(words(command)[0], IMAGE_BINARY, `${name} [${profile}]: the image's binary`);
      } else {
        assert.ok(settings.role_arn, `${name} [${profile}]: role_arn or credential_process`);
        assert.ok(profiles.has(settings.source_profile), `${name} [${profile}]: source_profile`);
      }
    }
  }
  const two = configs.get("aws-config-two-accounts")!.profiles;
  assert.deepEqual([...two.keys()], ["prod", "audit", "pod"]);
  assert.equal(two.get("prod")!.role_arn, PROD_ROLE_ARN);
  assert.equal(two.get("audit")!.role_arn, AUDIT_ROLE_ARN);
  assert.equal(two.get("audit")!.external_id, "audit-7f3c");
  const assume = configs.get("aws-config-two-accounts-assume")!.profiles;
  assert.deepEqual([...assume.keys()], ["prod", "audit"]);
  const prod = assume.get("prod")!.credential_process;
  const audit = assume.get("audit")!.credential_process;
  assert.deepEqual(flagValues(prod, "--assume"), [PROD_ROLE_ARN]);
  assert.deepEqual(flagValues(audit, "--assume"), [AUDIT_ROLE_ARN]);
  assert.deepEqual(flagValues(audit, "--external-id"), ["audit-7f3c"]);
});

test("aws-config (in the images) has the same profiles as kubernetes/configmap.yaml", async () => {
  const image = parseIni(read(join(EXAMPLES, "aws-config")), "aws-config");
  const configMap = (await configMaps()).get("aws-config")!.profiles;
  assert.deepEqual(image, configMap);
  assert.deepEqual(image.get("prod"), { role_arn: PROD_ROLE_ARN, source_profile: "pod" });
  assert.deepEqual(image.get("pod"), { credential_process: IMAGE_BINARY });
});

for (const deploymentFile of ["deployment.yaml", "deployment-two-accounts.yaml"]) {
  test(`kubernetes/${deploymentFile}: service account, mounted config, env, non-root`, async () => {
    const file = join(EXAMPLES, "kubernetes", deploymentFile);
    const docs = (await yamlDocuments()).get(file)!;
    assert.equal(docs.length, 1);
    const deployment = docs[0];
    assert.equal(deployment.kind, "Deployment");
    assert.equal(deployment.apiVersion, "apps/v1");
    const spec = obj(deployment.spec, "spec");
    const template = obj(spec.template, "template");
    const labels = obj(obj(template.metadata, "template metadata").labels, "labels");
    const selector = obj(obj(spec.selector, "selector").matchLabels, "matchLabels");
    for (const [key, value] of Object.entries(selector)) assert.equal(labels[key], value);

    const pod = obj(template.spec, "pod spec");
    const [account] = await manifests("ServiceAccount");
    const accountMeta = obj(account.doc.metadata, "ServiceAccount metadata");
    assert.equal(pod.serviceAccountName, accountMeta.name);
    assert.equal(obj(deployment.metadata, "metadata").namespace, accountMeta.namespace);

    const podSecurity = obj(pod.securityContext, "pod securityContext");
    assert.equal(podSecurity.runAsNonRoot, true);
    assert.ok(Number(podSecurity.runAsUser) > 0, "runAsUser is not root");

    const volumes = new Map(
      list(pod.volumes, "volumes").map((v) => [String(obj(v, "volume").name), obj(v, "volume")]),
    );
    const containers = list(pod.containers, "containers").map((c) => obj(c, "container"));
    assert.equal(containers.length, 1);
    const container = containers[0];
    const security = obj(container.securityContext, "container securityContext");
    assert.equal(security.readOnlyRootFilesystem, true);
    assert.equal(security.allowPrivilegeEscalation, false);
    assert.deepEqual(obj(security.capabilities, "capabilities").drop, ["ALL"]);

    const env = envOf(container);
    const configFile = env.get("AWS_CONFIG_FILE");
    const profile = env.get("AWS_PROFILE");
    assert.equal(configFile, IMAGE_CONFIG, "AWS_CONFIG_FILE is where the images put the config");
    assert.ok(profile, "AWS_PROFILE is set");
    assert.match(env.get("AWS_REGION") ?? "", /^[a-z]{2}(-[a-z]+)+-\d$/, "AWS_REGION is set");
    // botocore reads only AWS_DEFAULT_REGION.
    assert.equal(env.get("AWS_DEFAULT_REGION"), env.get("AWS_REGION"));

    // The config file is the ConfigMap's key, mounted read-only at AWS_CONFIG_FILE's directory.
    const mounts = list(container.volumeMounts, "volumeMounts").map((m) => obj(m, "mount"));
    const configMount = mounts.find((m) => m.mountPath === dirname(configFile));
    assert.ok(configMount, `a volume is mounted at ${dirname(configFile)}`);
    assert.equal(configMount.readOnly, true);
    assert.equal(configMount.subPath, undefined, "a subPath mount would miss updates");
    const source = obj(volumes.get(String(configMount.name))?.configMap, "config volume");
    assert.deepEqual(source.items, [{ key: "config", path: basename(configFile) }]);
    const config = (await configMaps()).get(String(source.name));
    assert.ok(config, `ConfigMap ${source.name} is in examples/kubernetes`);
    assert.ok(
      config.profiles.has(profile),
      `AWS_PROFILE=${profile} is a profile of ${source.name}`,
    );

    // Every --cache-dir is on a writable emptyDir: the root filesystem is read-only.
    for (const [name, settings] of config.profiles) {
      for (const cacheDir of flagValues(settings.credential_process ?? "", "--cache-dir")) {
        const mount = mounts.find((m) => cacheDir.startsWith(`${m.mountPath}/`));
        assert.ok(mount, `[${name}] --cache-dir ${cacheDir} is under a mounted volume`);
        assert.notEqual(mount.readOnly, true);
        assert.ok(volumes.get(String(mount.name))?.emptyDir, `${mount.mountPath} is an emptyDir`);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// IAM

function iamDocument(name: string) {
  const doc = JSON.parse(read(join(EXAMPLES, "iam", name))) as Obj;
  assert.equal(doc.Version, "2012-10-17", `${name}: Version`);
  const statements = list(doc.Statement, `${name} Statement`).map((s) => obj(s, "statement"));
  assert.equal(statements.length, 1, `${name}: one statement`);
  const statement = statements[0];
  assert.equal(statement.Effect, "Allow");
  assert.deepEqual(statement.Action, ASSUME_ACTIONS, `${name}: sts:AssumeRole and sts:TagSession`);
  return statement;
}

test("iam: every JSON file parses", () => {
  const files = exampleFiles().filter((f) => f.endsWith(".json"));
  assert.equal(files.length, 4);
  for (const file of files) assert.doesNotThrow(() => JSON.parse(read(file)), rel(file));
});

test("iam/source-role-trust-policy.json: Pod Identity, for the manifests' service account", async () => {
  const statement = iamDocument("source-role-trust-policy.json");
  assert.deepEqual(statement.Principal, { Service: "pods.eks.amazonaws.com" });
  const [account] = await manifests("ServiceAccount");
  const meta = obj(account.doc.metadata, "ServiceAccount metadata");
  assert.deepEqual(statement.Condition, {
    StringEquals: {
      "aws:RequestTag/eks-cluster-name": "example-cluster",
      "aws:RequestTag/kubernetes-namespace": meta.namespace,
      "aws:RequestTag/kubernetes-service-account": meta.name,
    },
  });
});

test("iam/source-role-permissions.json: may assume every destination role the configs name", async () => {
  const statement = iamDocument("source-role-permissions.json");
  assert.deepEqual(statement.Resource, [PROD_ROLE_ARN, AUDIT_ROLE_ARN]);
  const named = new Set<string>();
  for (const { text } of (await configMaps()).values()) {
    for (const arn of text.match(/arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+/g) ?? []) named.add(arn);
  }
  assert.deepEqual([...named].sort(), [PROD_ROLE_ARN, AUDIT_ROLE_ARN].sort());
});

test("iam/destination-role-trust-policy*.json: trust the pod's role; audit needs the ExternalId", async () => {
  const plain = iamDocument("destination-role-trust-policy.json");
  assert.deepEqual(plain.Principal, { AWS: POD_ROLE_ARN });
  assert.equal(plain.Condition, undefined);
  const audit = iamDocument("destination-role-trust-policy-external-id.json");
  assert.deepEqual(audit.Principal, { AWS: POD_ROLE_ARN });
  assert.deepEqual(audit.Condition, { StringEquals: { "sts:ExternalId": "audit-7f3c" } });
  // The ExternalId the configs send is the one the trust policy requires.
  const configs = await configMaps();
  const sent = [
    configs.get("aws-config-two-accounts")!.profiles.get("audit")!.external_id,
    ...flagValues(
      configs.get("aws-config-two-accounts-assume")!.profiles.get("audit")!.credential_process,
      "--external-id",
    ),
  ];
  assert.deepEqual(sent, ["audit-7f3c", "audit-7f3c"]);
});

// moto's IAM grammar checks (unknown keys, condition operators, effect values, …).
const MOTO_VALIDATE = `import json, sys
from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator
out = {}
for f in sys.argv[1:]:
    validator = IAMTrustPolicyDocumentValidator if "trust" in f else IAMPolicyDocumentValidator
    try:
        validator(open(f, encoding="utf-8").read()).validate()
        out[f] = "valid"
    except Exception as error:
        out[f] = f"{type(error).__name__}: {error}"
print(json.dumps(out))`;

test("iam: moto's policy validator accepts every document", async () => {
  const files = exampleFiles().filter((f) => f.endsWith(".json"));
  const verdicts = await python(MOTO_VALIDATE, files);
  for (const file of files) assert.equal(verdicts[file], "valid", rel(file));
});

// ---------------------------------------------------------------------------------------------
// Terraform

/**
 * A structural check of HCL, not a parse: brackets balance outside strings, comments and
 * heredocs, and strings end. Returns the top-level blocks as "header" → body text.
 */
function hclBlocks(text: string, what: string): { header: string; body: string }[] {
  const blocks: { header: string; body: string }[] = [];
  const stack: { char: string; at: number }[] = [];
  const pairs: Record<string, string> = { "}": "{", "]": "[", ")": "(" };
  const lineAt = (i: number) => text.slice(0, i).split("\n").length;
  let i = 0;
  let blockStart = 0;
  // Inside a string: `${…}` opens an expression, which may hold strings of its own.
  const skipString = (from: number): number => {
    let j = from + 1;
    while (j < text.length) {
      const c = text[j];
      if (c === "\\") j += 2;
      else if (c === '"') return j + 1;
      else if (c === "\n") break;
      else if (text.startsWith("${", j)) j = skipExpression(j + 2);
      else j++;
    }
    assert.fail(`${what}: a string that starts on line ${lineAt(from)} does not end`);
  };
  const skipExpression = (from: number): number => {
    let depth = 1;
    let j = from;
    while (j < text.length) {
      const c = text[j];
      if (c === '"') j = skipString(j);
      else if (c === "{") (depth++, j++);
      else if (c === "}") {
        if (--depth === 0) return j + 1;
        j++;
      } else j++;
    }
    assert.fail(`${what}: an interpolation on line ${lineAt(from)} does not end`);
  };
  while (i < text.length) {
    const c = text[i];
    if (c === "#" || text.startsWith("//", i)) {
      i = text.indexOf("\n", i) === -1 ? text.length : text.indexOf("\n", i);
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      assert.ok(end !== -1, `${what}: a comment on line ${lineAt(i)} does not end`);
      i = end + 2;
    } else if (c === '"') {
      i = skipString(i);
    } else if (text.startsWith("<<", i) && /^<<-?[A-Z]+\n/.test(text.slice(i, i + 40))) {
      const tag = /^<<-?([A-Z]+)\n/.exec(text.slice(i))![1];
      const end = new RegExp(`\\n\\s*${tag}\\s*\\n`).exec(text.slice(i));
      assert.ok(end, `${what}: the heredoc ${tag} on line ${lineAt(i)} does not end`);
      i += end.index + end[0].length - 1;
    } else if ("{[(".includes(c)) {
      if (stack.length === 0 && c === "{") {
        blocks.push({ header: text.slice(blockStart, i).trim().split("\n").pop()!, body: "" });
      }
      stack.push({ char: c, at: i });
      i++;
    } else if ("}])".includes(c)) {
      const open = stack.pop();
      assert.ok(open, `${what}: '${c}' on line ${lineAt(i)} closes nothing`);
      assert.equal(
        open.char,
        pairs[c],
        `${what}: '${c}' on line ${lineAt(i)} closes '${open.char}'`,
      );
      if (stack.length === 0 && c === "}") {
        blocks[blocks.length - 1].body = text.slice(open.at + 1, i);
        blockStart = i + 1;
      }
      i++;
    } else {
      i++;
    }
  }
  assert.deepEqual(
    stack.map((s) => `'${s.char}' on line ${lineAt(s.at)}`),
    [],
    `${what}: unclosed`,
  );
  return blocks;
}

function terraformFiles(): string[] {
  return exampleFiles().filter((f) => f.endsWith(".tf"));
}

test("terraform: balanced blocks and the expected resources (a structural check, not a parse)", () => {
  const blocks = terraformFiles().flatMap((f) => hclBlocks(read(f), rel(f)));
  const find = (header: string) => {
    const found = blocks.filter((b) => b.header === header);
    assert.equal(found.length, 1, `one block ${header}`);
    return found[0].body;
  };
  const attribute = (body: string, name: string) =>
    new RegExp(`^\\s*${name}\\s*=\\s*(.+)$`, "m").exec(body)?.[1].trim();

  // Providers: the cluster's account, and one alias per destination account.
  const providers = blocks.filter((b) => b.header === 'provider "aws"');
  assert.deepEqual(providers.map((p) => attribute(p.body, "alias")), [
    undefined,
    '"prod"',
    '"audit"',
  ]);

  assert.equal(attribute(find('resource "aws_iam_role" "pod"'), "provider"), undefined);
  assert.equal(attribute(find('resource "aws_iam_role" "prod"'), "provider"), "aws.prod");
  assert.equal(attribute(find('resource "aws_iam_role" "audit"'), "provider"), "aws.audit");
  const association = find('resource "aws_eks_pod_identity_association" "app"');
  assert.deepEqual(
    ["cluster_name", "namespace", "service_account", "role_arn"].map((a) =>
      attribute(association, a)
    ),
    ["var.cluster_name", "var.namespace", "var.service_account", "aws_iam_role.pod.arn"],
  );
  const policy = find('resource "aws_iam_role_policy" "pod_assume_destinations"');
  assert.equal(attribute(policy, "role"), "aws_iam_role.pod.id");

  const podTrust = find('data "aws_iam_policy_document" "pod_trust"');
  assert.match(podTrust, /identifiers\s*=\s*\["pods\.eks\.amazonaws\.com"\]/);
  for (const name of ["pod_trust", "pod_assume_destinations", "prod_trust", "audit_trust"]) {
    const body = find(`data "aws_iam_policy_document" "${name}"`);
    assert.match(body, /actions\s*=\s*\["sts:AssumeRole", "sts:TagSession"\]/, name);
  }
  assert.match(find('data "aws_iam_policy_document" "audit_trust"'), /"sts:ExternalId"/);

  // The defaults are the placeholders the other examples use.
  const defaults = Object.fromEntries(
    blocks.filter((b) => b.header.startsWith("variable ")).map((
      b,
    ) => [JSON.parse(b.header.split(" ")[1]), attribute(b.body, "default")]),
  );
  assert.equal(defaults.cluster_account_id, `"${CLUSTER_ACCOUNT}"`);
  assert.deepEqual([defaults.prod_account_id, defaults.audit_account_id], [
    `"${DESTINATION_ACCOUNTS[0]}"`,
    `"${DESTINATION_ACCOUNTS[1]}"`,
  ]);
  assert.equal(defaults.pod_role_name, '"app-pod"');
  assert.equal(defaults.namespace, '"app"');
  assert.equal(defaults.service_account, '"app"');
  assert.equal(defaults.cluster_name, '"example-cluster"');
  assert.equal(defaults.audit_external_id, '"audit-7f3c"');
});

test("terraform: the structural check finds what it must", () => {
  assert.throws(() => hclBlocks('resource "a" "b" {\n  x = [1, 2\n}\n', "t"), /closes '\['/);
  assert.throws(() => hclBlocks('a = "open\n', "t"), /does not end/);
  assert.throws(() => hclBlocks("a {\n", "t"), /unclosed/);
  assert.deepEqual(
    hclBlocks('# {\nx "y" {\n  a = "${b}}" # }\n  c = <<-EOT\n    {\n  EOT\n}\n', "t"),
    [{ header: 'x "y"', body: '\n  a = "${b}}" # }\n  c = <<-EOT\n    {\n  EOT\n' }],
  );
});

/** terraform, if installed, with nothing from the user's setup and no network. */
async function terraform(args: string[], cwd: string) {
  const cliConfig = join(cwd, "..", "terraformrc");
  writeFileSync(cliConfig, "");
  return await runProcess("terraform", args, {
    cwd,
    killAfterMs: 120_000,
    env: {
      HOME: join(cwd, ".."),
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      // Link the provider from the mirror instead of copying its 700 MB.
      TF_PLUGIN_CACHE_DIR: TF_PLUGIN_DIR,
      TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE: "1",
    },
  });
}

function terraformInstalled(): boolean {
  const path = process.env.PATH ?? "";
  return path.split(":").some((dir) => dir !== "" && existsSync(join(dir, "terraform")));
}

/** A copy of examples/terraform, so that init writes nothing into the examples. */
function terraformCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "epicac-examples-tf-"));
  mkdirSync(join(dir, "work"));
  for (const file of terraformFiles()) cpSync(file, join(dir, "work", basename(file)));
  return dir;
}

test(
  "terraform fmt -check: every .tf file is valid HCL, formatted canonically",
  { skip: terraformInstalled() ? false : "terraform is not installed" },
  async () => {
    const dir = terraformCopy();
    try {
      const result = await terraform(["fmt", "-check", "-diff"], join(dir, "work"));
      assert.equal(result.code, 0, `terraform fmt: ${result.stdout}${result.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "terraform validate: the configuration matches the AWS provider's schema (offline mirror)",
  {
    skip: !terraformInstalled()
      ? "terraform is not installed"
      : !existsSync(TF_AWS_PROVIDER)
      ? `no offline AWS provider in ${TF_PLUGIN_DIR}`
      : false,
  },
  async () => {
    const dir = terraformCopy();
    const work = join(dir, "work");
    try {
      const init = await terraform(
        ["init", "-backend=false", "-input=false", `-plugin-dir=${TF_PLUGIN_DIR}`],
        work,
      );
      assert.equal(init.code, 0, `terraform init: ${init.stdout}${init.stderr}`);
      const validate = await terraform(["validate", "-json"], work);
      const verdict = JSON.parse(validate.stdout);
      assert.deepEqual(verdict.diagnostics, [], validate.stdout);
      assert.equal(verdict.valid, true);
      assert.equal(validate.code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Dockerfiles

const FINAL_BASES: Record<string, RegExp> = {
  "Dockerfile.distroless":
    /^gcr\.io\/distroless\/(base|cc)-debian1\d(:nonroot)(@sha256:[0-9a-f]{64})?$/,
  "Dockerfile.chainguard": /^cgr\.dev\/chainguard\/glibc-dynamic(:latest)?(@sha256:[0-9a-f]{64})?$/,
};

for (const [name, finalBase] of Object.entries(FINAL_BASES)) {
  test(`${name}: multi-stage, glibc base, non-root, no shell in the final stage`, () => {
    const instructions = dockerInstructions(read(join(EXAMPLES, name)));
    const stages: { from: string; body: { keyword: string; args: string }[] }[] = [];
    for (const instruction of instructions) {
      if (instruction.keyword === "FROM") stages.push({ from: instruction.args, body: [] });
      else {
        assert.ok(stages.length > 0, `${instruction.keyword} before the first FROM`);
        stages[stages.length - 1].body.push(instruction);
      }
    }
    assert.ok(stages.length >= 2, "multi-stage");
    const [build, final] = [stages[0], stages[stages.length - 1]];
    const args = (stage: typeof build, keyword: string) =>
      stage.body.filter((i) => i.keyword === keyword).map((i) => i.args);

    // Build stage: the project's own build.
    assert.match(build.from, /\sAS build$/i);
    assert.deepEqual(args(build, "RUN"), ["make build-bun"]);

    // Final stage: the base, no shell needed, non-root.
    const base = final.from.replace(/^--platform=\S+\s+/, "");
    assert.match(base, finalBase);
    assert.deepEqual(args(final, "RUN"), [], "no RUN: there is no shell");
    assert.deepEqual(args(final, "SHELL"), []);
    const users = args(final, "USER");
    assert.ok(users.length > 0, "USER is set");
    assert.match(users[users.length - 1], /^[1-9]\d*(:[1-9]\d*)?$/, "a numeric non-root USER");
    for (const keyword of ["ENTRYPOINT", "CMD"]) {
      for (const value of args(final, keyword)) {
        assert.ok(Array.isArray(JSON.parse(value)), `${keyword} in exec form: ${value}`);
      }
    }
    assert.deepEqual(JSON.parse(args(final, "ENTRYPOINT")[0]), [IMAGE_BINARY]);

    // The binary for the target architecture, under the names scripts/build gives them.
    const copies = args(final, "COPY");
    assert.ok(args(final, "ARG").includes("TARGETARCH"));
    assert.ok(
      copies.includes(`--from=build /src/dist/epicac-bun-linux-\${TARGETARCH} ${IMAGE_BINARY}`),
      `COPY of the binary: ${copies.join(" | ")}`,
    );
    const buildScript = read(join(ROOT, "scripts", "build"));
    for (const targetArch of ["amd64", "arm64"]) {
      assert.match(buildScript, new RegExp(`\\[bun-linux-${targetArch}\\]=`));
    }
    assert.ok(copies.includes(`examples/aws-config ${IMAGE_CONFIG}`), "COPY of the config");
    assert.ok(args(final, "ENV").includes(`AWS_CONFIG_FILE=${IMAGE_CONFIG}`));

    // Every path copied from the build context exists and passes the .dockerignore.
    const ignore = read(join(EXAMPLES, `${name}.dockerignore`)).split("\n")
      .map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    assert.equal(ignore[0], "*", "the .dockerignore excludes everything first");
    const allowed = ignore.slice(1).map((l) => {
      assert.ok(l.startsWith("!"), `only exceptions after '*': ${l}`);
      return l.slice(1);
    });
    const fromContext = stages.flatMap((s) => args(s, "COPY")).filter((c) => !c.startsWith("--"));
    for (const copy of fromContext) {
      for (const source of copy.split(/\s+/).slice(0, -1)) {
        assert.ok(existsSync(join(ROOT, source)), `${source} exists in the repository`);
        assert.ok(
          allowed.some((a) => source === a || (a.endsWith("/") && source.startsWith(a))),
          `${source} is let through by ${name}.dockerignore`,
        );
      }
    }
  });
}

test("examples/README.md names the base images that cannot work, and why", () => {
  const readme = read(join(EXAMPLES, "README.md"));
  for (const needle of ["static-debian12", "`scratch`", "Alpine", "musl", "glibc", "/proc"]) {
    assert.ok(readme.includes(needle), `README mentions ${needle}`);
  }
});

// ---------------------------------------------------------------------------------------------
// End to end: every AWS config in the examples, through the binary, with botocore.

const TOKEN =
  "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsicG9kcy5la3MuYW1hem9uYXdzLmNvbSJdfQ.ZXhhbXBsZXMtdGVzdA";

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
