// What the tests of examples/ share: where the files are, the accounts and roles they name,
// readers for each kind of file (YAML with two parsers, the AWS config, Kubernetes workloads,
// Dockerfiles), and the check of a manifest against its API's schema.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { arch } from "node:os";
import { dirname, join, relative } from "node:path";
import assert from "node:assert/strict";
import { ROOT, runProcess } from "./epicac.ts";

export const EXAMPLES = join(ROOT, "examples");
export const NATIVE = arch() === "arm64" ? "arm64" : "amd64";
export const BINARY = join(ROOT, "dist", `epicac-bun-linux-${NATIVE}`);
export const IMAGE_BINARY = "/opt/epicac";
export const IMAGE_CONFIG = "/etc/aws/config";
export const CLUSTER_ACCOUNT = "111111111111";
export const DESTINATION_ACCOUNTS = ["222222222222", "333333333333"];
export const POD_ROLE_ARN = `arn:aws:iam::${CLUSTER_ACCOUNT}:role/app-pod`;
export const PROD_ROLE_ARN = "arn:aws:iam::222222222222:role/app";
export const AUDIT_ROLE_ARN = "arn:aws:iam::333333333333:role/audit-reader";
export const ASSUME_ACTIONS = ["sts:AssumeRole", "sts:TagSession"];
// An offline mirror of the AWS provider, where this machine image has one (there is no network).
export const TF_PLUGIN_DIR = "/opt/tf-plugins";
export const TF_AWS_PROVIDER = join(TF_PLUGIN_DIR, "registry.terraform.io/hashicorp/aws");

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

// ---------------------------------------------------------------------------------------------
// Helpers

export function exampleFiles(dir = EXAMPLES): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? exampleFiles(join(dir, entry.name)) : [join(dir, entry.name)]
  ).sort();
}

export const rel = (file: string) => relative(EXAMPLES, file);
export const read = (file: string) => readFileSync(file, "utf8");

export function obj(value: Json | undefined, what: string): Obj {
  assert.ok(
    value !== null && typeof value === "object" && !Array.isArray(value),
    `${what} is not a mapping`,
  );
  return value as Obj;
}

export function list(value: Json | undefined, what: string): Json[] {
  assert.ok(Array.isArray(value), `${what} is not a list`);
  return value;
}

/** Runs python3 with a script and arguments; its stdout is JSON. */
export async function python(script: string, args: string[], env: Record<string, string> = {}) {
  const result = await runProcess("python3", ["-c", script, ...args], {
    env,
    killAfterMs: 60_000,
  });
  assert.equal(result.code, 0, `python3 failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** The project's pinned bun, else the one on PATH: under Deno, Bun.YAML runs in a subprocess. */
export function bunProgram(): string {
  const pinned = join(ROOT, ".tools", "bin", "bun");
  return existsSync(pinned) ? pinned : "bun";
}

// YAML: PyYAML (YAML 1.1, as Kubernetes' own parser mostly reads it) and Bun.YAML (YAML 1.2).
// Both must give the same documents, so no value means one thing to one reader and another to
// the other (`on`, `yes`, `0755`, …).
export const PYYAML = `import json, sys, yaml
print(json.dumps({f: list(yaml.safe_load_all(open(f, encoding="utf-8"))) for f in sys.argv[1:]},
                 default=str))`;
export const BUN_YAML = `const out = {};
for (const f of process.argv.slice(1)) out[f] = Bun.YAML.parse(await Bun.file(f).text());
console.log(JSON.stringify(out));`;

export interface BunGlobal {
  Bun?: { YAML?: { parse(text: string): unknown } };
}

export async function parseWithBun(files: string[]): Promise<Record<string, Json>> {
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
export function yamlDocuments(): Promise<Map<string, Obj[]>> {
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

export async function manifests(kind: string): Promise<{ file: string; doc: Obj }[]> {
  const found: { file: string; doc: Obj }[] = [];
  for (const [file, docs] of await yamlDocuments()) {
    // examples/kubernetes/node is epicac node's, with a test of its own (kubernetes-node).
    if (dirname(file) !== join(EXAMPLES, "kubernetes")) continue;
    for (const doc of docs) if (doc.kind === kind) found.push({ file, doc });
  }
  return found;
}

/** An AWS config file: profile name → settings. Comments and blank lines are skipped. */
export function parseIni(text: string, what: string): Map<string, Record<string, string>> {
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

export interface AwsConfig {
  name: string;
  text: string;
  profiles: Map<string, Record<string, string>>;
}

export async function configMaps(): Promise<Map<string, AwsConfig>> {
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
export const words = (line: string) => line.trim().split(/\s+/);

export function flagValues(line: string, flag: string): string[] {
  const argv = words(line);
  return argv.flatMap((word, i) => (word === flag ? [argv[i + 1]] : []));
}

export function envOf(container: Obj): Map<string, string> {
  const env = list(container.env, "container env");
  return new Map(env.map((e) => {
    const entry = obj(e, "env entry");
    return [String(entry.name), String(entry.value)];
  }));
}

// Kubernetes workloads: their pod spec, containers, volumes, mounts, env and args.

/** A workload's pod spec: spec.template.spec of a Deployment or a DaemonSet. */
export const podSpecOf = (workload: Obj, what: string): Obj =>
  obj(obj(obj(workload.spec, "spec").template, "template").spec, `${what}: pod spec`);

export const containersOf = (pod: Obj): Obj[] =>
  list(pod.containers, "containers").map((c) => obj(c, "container"));

export const volumesByName = (pod: Obj): Map<string, Obj> =>
  new Map(
    list(pod.volumes ?? [], "volumes").map((
      v,
    ) => [String(obj(v, "volume").name), obj(v, "volume")]),
  );

export const mountsOf = (container: Obj): Obj[] =>
  list(container.volumeMounts ?? [], "volumeMounts").map((m) => obj(m, "volumeMount"));

/** A container's env entries by name, each with its value or its valueFrom. */
export const envEntries = (container: Obj): Map<string, Obj> =>
  new Map(list(container.env ?? [], "env").map((e) => [String(obj(e, "env").name), obj(e, "env")]));

/** A container's args as [flag, value] pairs (value "" for a switch). */
export function containerFlags(container: Obj, what: string): [string, string][] {
  return list(container.args, `${what} args`).map((arg): [string, string] => {
    const match = /^(--[a-z-]+)(?:=(.+))?$/s.exec(String(arg));
    assert.ok(match, `${what}: arg ${arg} is --flag or --flag=value`);
    return [match[1], match[2] ?? ""];
  });
}

/** The values `flag` is given among a container's [flag, value] pairs, in order. */
export const valuesOfFlag = (flags: [string, string][], flag: string): string[] =>
  flags.filter(([f]) => f === flag).map(([, v]) => v);

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
export function dockerInstructions(text: string): { keyword: string; args: string }[] {
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
// A manifest against its API's schema

/** One complaint of a validator compiled from an OpenAPI schema (ajv's form). */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: unknown;
}

/**
 * The schema's verdict on a document, and the fields it does not know. `validate` runs a compiled
 * validator on what it is given and returns its complaints (none: valid). Such a validator reads
 * every property its schema names and enumerates only maps (labels, data, annotations, …): it
 * runs over a proxy that records what it reads, and a key it never read, at a place it did not
 * enumerate, is a field the API does not know (a typo, or a field at the wrong level), which the
 * API server's strict field validation refuses.
 */
export function schemaCheck(
  doc: Obj,
  validate: (doc: unknown) => SchemaError[],
): { errors: string[]; unknown: string[] } {
  const read = new Map<string, Set<string>>();
  const note = (path: string, key: string) => {
    if (!read.has(path)) read.set(path, new Set());
    read.get(path)!.add(key);
  };
  const wrap = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== "object") return value;
    return new Proxy(value, {
      get(target, key, receiver) {
        const found = Reflect.get(target, key, receiver);
        if (typeof key !== "string" || !Object.hasOwn(target, key)) return found;
        note(path, key);
        return wrap(found, `${path}/${key}`);
      },
      has(target, key) {
        if (typeof key === "string") note(path, key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        note(path, "*");
        return Reflect.ownKeys(target);
      },
    });
  };
  const errors = validate(wrap(doc, "")).map((e) =>
    `${e.instancePath || "/"}: ${e.keyword} ${JSON.stringify(e.params)}`
  );
  const unknown: string[] = [];
  const walk = (value: Json, path: string) => {
    if (value === null || typeof value !== "object") return;
    const seen = read.get(path);
    for (const [key, child] of Object.entries(value)) {
      if (!Array.isArray(value) && !seen?.has("*") && !seen?.has(key)) {
        unknown.push(`${path}/${key}`);
      } else walk(child, `${path}/${key}`);
    }
  };
  walk(doc, "");
  return { errors, unknown };
}
