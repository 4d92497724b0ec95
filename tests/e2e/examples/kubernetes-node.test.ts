// examples/kubernetes/node: epicac node as a DaemonSet on the node's network, its routes, two
// applications that use it, a NetworkPolicy and a guard against Services with externalIPs.
// No cluster runs here, so:
// - every manifest is validated against the Kubernetes API's schema by the npm package
//   kubernetes-models (validators compiled from Kubernetes 1.36's OpenAPI document), which runs
//   offline under Deno and Bun alike. kubectl validates only against a running API server's
//   schema, and Debian packages no offline validator (kubeconform, kubeval). A field the schema
//   does not know is refused too, as the API server's strict field validation (kubectl's
//   default) refuses it;
// - kustomization.yaml is checked file by file, and rendered with `kubectl kustomize` where
//   kubectl is installed (it needs no cluster for that);
// - the facts users depend on are checked across the files: the DaemonSet's security settings,
//   its flags against epicac node's, the probes against --probe-listen, each application's URI
//   against --listen and the routes, the routes file's shape and role ARNs, the token the Pod
//   Identity webhook mounts (or the pod projects), the NetworkPolicy's port, and the policy's CEL
//   expression evaluated (by @bufbuild/cel) on Services with and without externalIPs.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import process from "node:process";
import { type CelInput, run as runCel } from "@bufbuild/cel";
import { validate as validateNamespace } from "kubernetes-models/_schemas/IoK8sApiCoreV1Namespace";
import { validate as validateServiceAccount } from "kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount";
import { validate as validateConfigMap } from "kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap";
import { validate as validateDaemonSet } from "kubernetes-models/_schemas/IoK8sApiAppsV1DaemonSet";
import { validate as validateDeployment } from "kubernetes-models/_schemas/IoK8sApiAppsV1Deployment";
import { validate as validateNetworkPolicy } from "kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy";
import { validate as validatePolicy } from "kubernetes-models/_schemas/IoK8sApiAdmissionregistrationV1ValidatingAdmissionPolicy";
import { validate as validatePolicyBinding } from "kubernetes-models/_schemas/IoK8sApiAdmissionregistrationV1ValidatingAdmissionPolicyBinding";
import { parseCommandLine } from "../../../src/cli/flags.ts";
import { INPUTS } from "../../../src/commands/node.ts";
import { CHAIN_INPUTS } from "../../../src/inputs/chain.ts";
import { MODULE, readValues } from "../../../src/inputs/input.ts";
import { parseRoutes } from "../../../src/node/routes-file.ts";
import {
  AUDIT_ROLE_ARN,
  containerFlags,
  containersOf,
  envEntries,
  EXAMPLES,
  type Json,
  list,
  mountsOf,
  type Obj,
  obj,
  podSpecOf,
  PROD_ROLE_ARN,
  python,
  PYYAML,
  read,
  schemaCheck,
  type SchemaError,
  valuesOfFlag,
  volumesByName,
  yamlDocuments,
} from "../../support/examples.ts";
import { ROOT, runProcess } from "../../support/epicac.ts";

const DIR = join(EXAMPLES, "kubernetes", "node");
const VERSION = JSON.parse(read(join(ROOT, "package.json"))).version;

// epicac node's command line: every flag it takes, from its own declarations.
const NODE_FLAGS = new Set(Object.values(INPUTS).map((input) => `--${input.flag}`));
// The addresses SDKs accept for plain http that are the agent's (link-local), and loopback.
const AGENT_HOSTS = ["169.254.170.23", "[fd00:ec2::23]"];
// The Pod Identity webhook's defaults (amazon-eks-pod-identity-webhook, main.go).
const WEBHOOK = {
  audience: "pods.eks.amazonaws.com",
  volume: "eks-pod-identity-token",
  mountPath: "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount",
  tokenPath: "eks-pod-identity-token",
};
const WEBHOOK_TOKEN_FILE = `${WEBHOOK.mountPath}/${WEBHOOK.tokenPath}`;
const APP_FILES = ["deployment.yaml", "deployment-projected-token.yaml"];

// ---------------------------------------------------------------------------------------------
// Reading the directory

async function documents(file: string): Promise<Obj[]> {
  const docs = (await yamlDocuments()).get(join(DIR, file));
  assert.ok(docs, `node/${file} is a YAML file of examples/kubernetes/node`);
  return docs;
}

async function one(file: string, kind: string): Promise<Obj> {
  const docs = (await documents(file)).filter((d) => d.kind === kind);
  assert.equal(docs.length, 1, `node/${file}: one ${kind}`);
  return docs[0];
}

/** Every manifest of the directory (not kustomization.yaml), with its file. */
async function allManifests(): Promise<{ file: string; doc: Obj }[]> {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
  const out: { file: string; doc: Obj }[] = [];
  for (const file of files.sort()) {
    for (const doc of await documents(file)) out.push({ file, doc });
  }
  return out;
}

const meta = (doc: Obj) => obj(doc.metadata, `${doc.kind} metadata`);

interface Node {
  daemonSet: Obj;
  pod: Obj;
  container: Obj;
  /** The container's args as [flag, value] pairs (value "" for a switch). */
  flags: [string, string][];
}

async function node(): Promise<Node> {
  const daemonSet = await one("daemonset.yaml", "DaemonSet");
  const pod = podSpecOf(daemonSet, String(meta(daemonSet).name));
  const containers = containersOf(pod);
  assert.equal(containers.length, 1, "one container, epicac node");
  const container = containers[0];
  const flags = containerFlags(container, "epicac node");
  return { daemonSet, pod, container, flags };
}

/** HOST:PORT as epicac node's --listen writes it (IPv6 in brackets). */
function hostPort(address: string): { host: string; port: number } {
  const match = /^(\[[0-9a-f:]+\]|[0-9.]+):(\d{1,5})$/.exec(address);
  assert.ok(match, `${address} is HOST:PORT`);
  return { host: match[1], port: Number(match[2]) };
}

const isLoopback = (host: string) => /^127\./.test(host) || host === "[::1]";

interface Route {
  assume: string[];
  allow: string[];
  externalId?: string;
  durationSeconds?: number;
  tags?: Record<string, string>;
}

/** routes.json from the ConfigMap the DaemonSet mounts, read by epicac node's own parser. */
async function routes(): Promise<Map<string, Route>> {
  const configMap = await one("configmap.yaml", "ConfigMap");
  const data = obj(configMap.data, "ConfigMap data");
  assert.deepEqual(Object.keys(data), ["routes.json"], "one key, routes.json");
  const text = String(data["routes.json"]);
  const parsed = parseRoutes(text, readValues(CHAIN_INPUTS, {}, MODULE), {}, 900_000);
  const file = JSON.parse(text) as { routes: Record<string, Route> };
  assert.deepEqual([...parsed.keys()], Object.keys(file.routes));
  return new Map(Object.entries(file.routes));
}

const allows = (route: Route, namespace: string, account: string) =>
  route.allow.includes(`${namespace}/${account}`) || route.allow.includes(`${namespace}/*`);

/**
 * What the Pod Identity webhook does to a container (addEnvToContainer in pkg/handler/handler.go):
 * it leaves one alone entirely only when it sets a credentials variable, a region and
 * AWS_STS_REGIONAL_ENDPOINTS; otherwise it mounts the token volume (and adds what is missing).
 */
function webhookMountsToken(container: Obj): boolean {
  const env = envEntries(container);
  const credentials = env.has("AWS_CONTAINER_CREDENTIALS_FULL_URI") ||
    env.has("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const region = env.has("AWS_REGION") || env.has("AWS_DEFAULT_REGION");
  return !(credentials && region && env.has("AWS_STS_REGIONAL_ENDPOINTS"));
}

// ---------------------------------------------------------------------------------------------
// The Kubernetes schema

type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

const SCHEMAS: Record<string, Validator> = {
  "v1/Namespace": validateNamespace,
  "v1/ServiceAccount": validateServiceAccount,
  "v1/ConfigMap": validateConfigMap,
  "apps/v1/DaemonSet": validateDaemonSet,
  "apps/v1/Deployment": validateDeployment,
  "networking.k8s.io/v1/NetworkPolicy": validateNetworkPolicy,
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": validatePolicy,
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding": validatePolicyBinding,
};

/** A compiled Kubernetes validator's complaints about `doc` (none: valid). */
const complaints = (validate: Validator) => (doc: unknown): SchemaError[] =>
  validate(doc) ? [] : validate.errors ?? [];

test("kubernetes/node: every manifest is valid against the Kubernetes schema, with no unknown field", async () => {
  const manifests = await allManifests();
  assert.ok(manifests.length >= 9, "the directory's manifests");
  for (const { file, doc } of manifests) {
    const what = `node/${file}: ${doc.kind} ${meta(doc).name}`;
    const validate = SCHEMAS[`${doc.apiVersion}/${doc.kind}`];
    assert.ok(validate, `${what}: ${doc.apiVersion} ${doc.kind} is a kind this test knows`);
    const { errors, unknown } = schemaCheck(doc, complaints(validate));
    assert.deepEqual(errors, [], `${what}: the schema refuses it`);
    assert.deepEqual(unknown, [], `${what}: fields the schema does not know`);
  }
  // The check finds a field at the wrong level: a DaemonSet has no replicas.
  const misplaced = structuredClone(await one("daemonset.yaml", "DaemonSet"));
  obj(misplaced.spec, "spec").replicas = 2;
  const { unknown } = schemaCheck(misplaced, complaints(validateDaemonSet));
  assert.deepEqual(unknown, ["/spec/replicas"], "a field the schema does not know is found");
});

// ---------------------------------------------------------------------------------------------
// kustomization.yaml

interface Kustomization {
  resources: string[];
  image: { name: string; newName: string; newTag: string; digest: string };
}

async function kustomization(): Promise<Kustomization> {
  const doc = await one("kustomization.yaml", "Kustomization");
  assert.equal(doc.apiVersion, "kustomize.config.k8s.io/v1beta1");
  // Nothing that changes the files on the way (namespace, prefixes, patches): what is checked
  // here is what gets applied, apart from the image.
  assert.deepEqual(
    Object.keys(doc).sort(),
    ["apiVersion", "images", "kind", "resources"],
    "kustomization.yaml: resources and the image only",
  );
  const images = list(doc.images, "images").map((i) => obj(i, "image"));
  assert.equal(images.length, 1, "one image, named once");
  const image = images[0] as unknown as Kustomization["image"];
  return { resources: list(doc.resources, "resources").map(String), image };
}

/** The container's image as kustomize writes it. */
const pinned = (image: Kustomization["image"]) =>
  `${image.newName}:${image.newTag}@${image.digest}`;

test("kubernetes/node/kustomization.yaml: every manifest but the NetworkPolicy, and the image pinned by digest", async () => {
  const { resources, image } = await kustomization();
  const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
  assert.equal(new Set(resources).size, resources.length, "each resource once");
  for (const resource of resources) {
    assert.ok(files.includes(resource), `${resource} is a file of examples/kubernetes/node`);
    assert.ok((await documents(resource)).length > 0, `${resource} parses`);
  }
  // The NetworkPolicy alone is left to the user: applied in a namespace without a default-deny
  // policy it would cut the applications off from everything else (networkpolicy.yaml).
  assert.deepEqual(files.filter((f) => !resources.includes(f)), ["networkpolicy.yaml"]);

  const { container } = await node();
  assert.equal(container.image, image.name, "the DaemonSet's image is the one kustomize pins");
  assert.equal(image.newName, "ghcr.io/example/epicac", "the release's image");
  assert.equal(image.newTag, VERSION, "the release's version");
  assert.match(image.digest, /^sha256:[0-9a-f]{64}$/, "pinned by digest");
  for (const { doc } of await allManifests()) {
    if (doc.kind !== "DaemonSet" && doc.kind !== "Deployment") continue;
    for (const c of containersOf(podSpecOf(doc, String(meta(doc).name)))) {
      assert.ok(
        c.image === image.name || !String(c.image).includes("epicac"),
        `${meta(doc).name}: epicac's image is named only through kustomization.yaml`,
      );
    }
  }
});

function kubectlInstalled(): boolean {
  const path = process.env.PATH ?? "";
  return path.split(":").some((dir) => {
    try {
      return dir !== "" && readdirSync(dir).includes("kubectl");
    } catch {
      return false;
    }
  });
}

test(
  "kubernetes/node: kubectl kustomize renders the listed manifests, with the pinned image",
  { skip: kubectlInstalled() ? false : "kubectl is not installed" },
  async () => {
    const result = await runProcess("kubectl", ["kustomize", DIR], { killAfterMs: 60_000 });
    assert.equal(result.code, 0, `kubectl kustomize failed: ${result.stderr}`);
    const dir = mkdtempSync(join(tmpdir(), "epicac-kustomize-"));
    try {
      const rendered = join(dir, "rendered.yaml");
      writeFileSync(rendered, result.stdout);
      const docs = list((await python(PYYAML, [rendered]))[rendered], "rendered documents");
      const { resources, image } = await kustomization();
      const expected: Obj[] = [];
      for (const resource of resources) {
        for (const doc of await documents(resource)) {
          const copy = structuredClone(doc);
          if (copy.kind === "DaemonSet") {
            containersOf(podSpecOf(copy, String(meta(copy).name)))[0].image = pinned(image);
          }
          expected.push(copy);
        }
      }
      const key = (d: Json) => {
        const o = obj(d, "document");
        return `${o.kind}/${meta(o).namespace ?? ""}/${meta(o).name}`;
      };
      const byKey = (ds: Json[]) => [...ds].sort((a, b) => key(a).localeCompare(key(b)));
      assert.deepEqual(byKey(docs), byKey(expected));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

// ---------------------------------------------------------------------------------------------
// The DaemonSet

test("kubernetes/node/daemonset.yaml: on the node's network, like the agent, hardened, in its own namespace", async () => {
  const { daemonSet, pod, container } = await node();
  const namespace = await one("namespace.yaml", "Namespace");
  assert.equal(meta(daemonSet).namespace, meta(namespace).name, "in the namespace of its own");
  assert.equal(
    obj(meta(namespace).labels, "Namespace labels")["pod-security.kubernetes.io/enforce"],
    "privileged",
    "the only Pod Security level that admits hostNetwork",
  );
  const account = await one("serviceaccount.yaml", "ServiceAccount");
  assert.equal(pod.serviceAccountName, meta(account).name, "its own service account");
  assert.equal(meta(account).namespace, meta(daemonSet).namespace);
  assert.equal(account.automountServiceAccountToken, false);
  for (const { file, doc } of await allManifests()) {
    assert.ok(
      !/Binding$/.test(String(doc.kind)) || doc.kind === "ValidatingAdmissionPolicyBinding",
      `node/${file}: nothing is bound to the service account`,
    );
  }

  assert.equal(pod.hostNetwork, true);
  assert.equal(
    pod.dnsPolicy,
    "ClusterFirstWithHostNet",
    "the cluster's DNS from the node's network",
  );
  assert.equal(pod.automountServiceAccountToken, false, "no Kubernetes API token");
  assert.equal(pod.priorityClassName, "system-node-critical");
  assert.deepEqual(pod.tolerations, [{ operator: "Exists" }], "every node, whatever its taints");
  const terms = list(
    obj(
      obj(obj(pod.affinity, "affinity").nodeAffinity, "nodeAffinity")
        .requiredDuringSchedulingIgnoredDuringExecution,
      "required",
    ).nodeSelectorTerms,
    "nodeSelectorTerms",
  );
  assert.deepEqual(terms, [{
    matchExpressions: [
      { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
      { key: "kubernetes.io/arch", operator: "In", values: ["amd64", "arm64"] },
      {
        key: "eks.amazonaws.com/compute-type",
        operator: "NotIn",
        values: ["fargate", "hybrid", "auto"],
      },
    ],
  }], "the agent's nodes: Linux, amd64 or arm64, not Fargate, hybrid or Auto Mode");
  const grace = Number(pod.terminationGracePeriodSeconds);
  assert.ok(grace >= 5 && grace <= 15, "short, but the 5 s the process takes to stop");

  const strategy = obj(obj(daemonSet.spec, "spec").updateStrategy, "updateStrategy");
  assert.equal(strategy.type, "RollingUpdate");
  const rolling = obj(strategy.rollingUpdate, "rollingUpdate");
  assert.ok(
    rolling.maxUnavailable === 1 || /^([1-9]|10)%$/.test(String(rolling.maxUnavailable)),
    "a small maxUnavailable: one node or a few percent at a time",
  );
  assert.ok(rolling.maxSurge === undefined || rolling.maxSurge === 0, "no surge: one port");

  const podSecurity = obj(pod.securityContext, "pod securityContext");
  const security = obj(container.securityContext, "container securityContext");
  const either = (key: string) => security[key] ?? podSecurity[key];
  // User 0, with NET_BIND_SERVICE as its only capability (a non-root user would need a file
  // capability on the binary to keep it through exec).
  assert.equal(either("runAsUser"), 0);
  assert.equal(either("runAsNonRoot"), false);
  assert.equal(security.readOnlyRootFilesystem, true);
  assert.equal(security.allowPrivilegeEscalation, false);
  assert.notEqual(security.privileged, true);
  assert.deepEqual(obj(security.capabilities, "capabilities"), {
    drop: ["ALL"],
    add: ["NET_BIND_SERVICE"],
  }, "port 90 and nothing else");
  assert.deepEqual(either("seccompProfile"), { type: "RuntimeDefault" });

  const resources = obj(container.resources, "resources");
  for (const kind of ["requests", "limits"]) {
    const set = obj(resources[kind], kind);
    assert.ok(set.cpu && set.memory, `${kind}: cpu and memory, on every node`);
  }
});

test("kubernetes/node/daemonset.yaml: epicac node's flags, environment, routes file and probes", async () => {
  const n = await node();
  const { container, pod } = n;
  assert.deepEqual(container.command, ["/opt/epicac", "node"], "the image runs serve otherwise");
  for (const [name] of n.flags) assert.ok(NODE_FLAGS.has(name), `${name} is a flag of epicac node`);
  parseCommandLine(list(container.args, "args").map(String), INPUTS); // as epicac node reads them

  const listen = valuesOfFlag(n.flags, "--listen");
  assert.ok(listen.length > 0, "--listen is given, where the applications look");
  for (const address of listen) {
    const { host, port } = hostPort(address);
    assert.ok(
      AGENT_HOSTS.includes(host) || isLoopback(host),
      `--listen ${address}: agent's or loopback`,
    );
    assert.ok(port < 1024, `--listen ${address}: a port only NET_BIND_SERVICE can bind`);
  }
  const [probeListen] = valuesOfFlag(n.flags, "--probe-listen");
  const probe = hostPort(probeListen);
  const ports = list(container.ports, "ports").map((p) => obj(p, "port"));
  for (const { port } of [...listen.map(hostPort), probe]) {
    assert.ok(
      ports.some((p) => p.containerPort === port && (p.protocol ?? "TCP") === "TCP"),
      `port ${port} is declared, so the scheduler keeps other host ports off it`,
    );
  }
  for (const [name, path] of [["readinessProbe", "/readyz"], ["livenessProbe", "/healthz"]]) {
    const httpGet = obj(obj(container[name], name).httpGet, `${name} httpGet`);
    assert.equal(httpGet.path, path, name);
    assert.equal(httpGet.port, probe.port, `${name} on --probe-listen's port`);
    // The kubelet asks the pod's IP (the node's) unless told otherwise.
    const host = httpGet.host ?? "0.0.0.0";
    assert.ok(
      probe.host === "0.0.0.0" || probe.host === host,
      `${name}: ${host} reaches --probe-listen ${probeListen}`,
    );
  }

  const env = envEntries(container);
  assert.deepEqual([...env.keys()].sort(), ["AWS_REGION", "NODE_NAME"]);
  assert.match(String(env.get("AWS_REGION")!.value), /^[a-z]{2}(-[a-z]+)+-\d$/, "STS's region");
  assert.deepEqual(env.get("NODE_NAME")!.valueFrom, { fieldRef: { fieldPath: "spec.nodeName" } });

  // --routes is the ConfigMap's routes.json, mounted read-only as a directory.
  const [routesFile] = valuesOfFlag(n.flags, "--routes");
  assert.ok(routesFile, "--routes");
  const mount = mountsOf(container).find((m) => m.mountPath === posix.dirname(routesFile));
  assert.ok(mount, `a volume at ${posix.dirname(routesFile)}`);
  assert.equal(mount.readOnly, true);
  assert.equal(mount.subPath, undefined, "a subPath mount would not see the ConfigMap change");
  const volume = volumesByName(pod).get(String(mount.name));
  const source = obj(volume?.configMap, "the routes volume's configMap");
  const configMap = await one("configmap.yaml", "ConfigMap");
  assert.equal(source.name, meta(configMap).name);
  assert.equal(meta(configMap).namespace, meta(n.daemonSet).namespace);
  assert.deepEqual(source.items, [{ key: "routes.json", path: posix.basename(routesFile) }]);
});

// ---------------------------------------------------------------------------------------------
// The routes

test("kubernetes/node/configmap.yaml: routes.json has epicac node's shape and the examples' roles", async () => {
  const all = await routes();
  assert.deepEqual([...all.keys()], ["prod", "audit"]);
  assert.deepEqual(all.get("prod")!.assume, [PROD_ROLE_ARN]);
  assert.deepEqual(all.get("audit")!.assume, [AUDIT_ROLE_ARN]);
  // audit-reader's trust policy wants this ExternalId.
  const trust = JSON.parse(
    read(join(EXAMPLES, "iam", "destination-role-trust-policy-external-id.json")),
  );
  assert.equal(
    all.get("audit")!.externalId,
    trust.Statement[0].Condition.StringEquals["sts:ExternalId"],
  );
});

// ---------------------------------------------------------------------------------------------
// The applications

for (const file of APP_FILES) {
  test(`kubernetes/node/${file}: the application asks epicac node for a route that allows it, with the Pod Identity token`, async () => {
    const deployment = await one(file, "Deployment");
    const n = await node();
    const all = await routes();
    const pod = podSpecOf(deployment, String(meta(deployment).name));
    const namespace = String(meta(deployment).namespace);
    const account = String(pod.serviceAccountName);
    const containers = containersOf(pod);
    assert.ok(containers.length > 0);
    for (const container of containers) {
      const what = `${file} container ${container.name}`;
      const env = envEntries(container);
      const uri = new URL(String(env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")?.value));
      assert.equal(uri.protocol, "http:", what);
      assert.ok(
        valuesOfFlag(n.flags, "--listen").includes(uri.host),
        `${what}: ${uri.host} is a --listen`,
      );
      const route = /^\/v1\/credentials\/([A-Za-z0-9_-]+)$/.exec(uri.pathname)?.[1];
      assert.ok(route && all.has(route), `${what}: ${uri.pathname} names a route of routes.json`);
      assert.ok(
        allows(all.get(route)!, namespace, account),
        `${what}: ${route} allows ${namespace}/${account}`,
      );
      assert.equal(env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")?.value, WEBHOOK_TOKEN_FILE);
      for (const absent of ["AWS_CONFIG_FILE", "AWS_PROFILE", "AWS_ACCESS_KEY_ID"]) {
        assert.ok(!env.has(absent), `${what}: no ${absent}, epicac node is the only source`);
      }

      const own = mountsOf(container).find((m) => m.mountPath === WEBHOOK.mountPath);
      if (webhookMountsToken(container)) {
        // The webhook adds the mount: one of the pod's own there would make the pod invalid.
        assert.equal(own, undefined, `${what}: leaves ${WEBHOOK.mountPath} to the webhook`);
        assert.deepEqual(
          [...env.keys()].sort(),
          ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI"],
          `${what}: the two variables and nothing else`,
        );
      } else {
        assert.ok(own, `${what}: the webhook leaves it alone, so it mounts the token itself`);
        assert.equal(own.readOnly, true);
        assert.equal(own.name, WEBHOOK.volume, "the webhook's volume name: it adds no second");
        const volume = volumesByName(pod).get(String(own.name));
        const sources = list(obj(volume?.projected, "projected volume").sources, "sources");
        assert.equal(sources.length, 1);
        const token = obj(obj(sources[0], "source").serviceAccountToken, "serviceAccountToken");
        assert.equal(token.audience, WEBHOOK.audience, "the audience EKS Auth accepts");
        assert.equal(token.path, WEBHOOK.tokenPath);
        assert.ok(Number(token.expirationSeconds) >= 3600, "a lifetime the kubelet renews");
        assert.equal(`${own.mountPath}/${token.path}`, WEBHOOK_TOKEN_FILE);
      }

      const security = obj(container.securityContext, `${what} securityContext`);
      assert.equal(security.readOnlyRootFilesystem, true, what);
      assert.equal(security.allowPrivilegeEscalation, false, what);
      assert.deepEqual(obj(security.capabilities, "capabilities"), { drop: ["ALL"] }, what);
    }
    const podSecurity = obj(pod.securityContext, "pod securityContext");
    assert.equal(podSecurity.runAsNonRoot, true);
    assert.ok(Number(podSecurity.runAsUser) > 0);
  });
}

test("kubernetes/node: one application relies on the webhook's token mount, the other projects it", async () => {
  const [webhook, projected] = await Promise.all(
    APP_FILES.map(async (f) => containersOf(podSpecOf(await one(f, "Deployment"), f))[0]),
  );
  assert.equal(webhookMountsToken(webhook), true, APP_FILES[0]);
  assert.equal(webhookMountsToken(projected), false, APP_FILES[1]);
});

// ---------------------------------------------------------------------------------------------
// The NetworkPolicy and the Service guard

function selects(selector: Obj, labels: Obj): boolean {
  const matchLabels = obj(selector.matchLabels ?? {}, "matchLabels");
  const expressions = list(selector.matchExpressions ?? [], "matchExpressions");
  return Object.entries(matchLabels).every(([k, v]) => labels[k] === v) &&
    expressions.every((e) => {
      const { key, operator, values } = obj(e, "expression");
      const value = labels[String(key)];
      const within = list(values ?? [], "values").includes(value as Json);
      if (operator === "In") return value !== undefined && within;
      if (operator === "NotIn") return !within;
      if (operator === "Exists") return value !== undefined;
      if (operator === "DoesNotExist") return value === undefined;
      assert.fail(`operator ${operator}`);
    });
}

test("kubernetes/node/networkpolicy.yaml: the applications' pods may reach epicac node's address and port", async () => {
  const policy = await one("networkpolicy.yaml", "NetworkPolicy");
  const spec = obj(policy.spec, "spec");
  assert.ok(list(spec.policyTypes, "policyTypes").includes("Egress"));
  for (const file of APP_FILES) {
    const deployment = await one(file, "Deployment");
    assert.equal(meta(policy).namespace, meta(deployment).namespace, `${file}'s namespace`);
    const labels = obj(
      meta(obj(obj(deployment.spec, "spec").template, "template")).labels,
      "labels",
    );
    assert.ok(selects(obj(spec.podSelector, "podSelector"), labels), `it selects ${file}'s pods`);
  }
  const rules = list(spec.egress, "egress").map((r) => obj(r, "egress rule"));
  for (const address of valuesOfFlag((await node()).flags, "--listen")) {
    const { host, port } = hostPort(address);
    if (isLoopback(host)) continue;
    const cidr = `${host.replace(/^\[|\]$/g, "")}/${host.startsWith("[") ? 128 : 32}`;
    const allowed = rules.some((rule) =>
      list(rule.to, "to").some((to) => obj(obj(to, "peer").ipBlock, "ipBlock").cidr === cidr) &&
      list(rule.ports, "ports").some((p) => {
        const entry = obj(p, "port");
        return entry.port === port && (entry.protocol ?? "TCP") === "TCP";
      })
    );
    assert.ok(allowed, `egress to ${cidr} port ${port} (--listen ${address})`);
  }
});

/** A JSON value as CEL input: objects as maps, whole numbers as CEL ints. */
function celValue(value: Json): CelInput {
  if (Array.isArray(value)) return value.map(celValue);
  if (value !== null && typeof value === "object") {
    return new Map(Object.entries(value).map(([k, v]) => [k, celValue(v)]));
  }
  return typeof value === "number" && Number.isInteger(value) ? BigInt(value) : value;
}

test("kubernetes/node/validatingadmissionpolicy.yaml: Services with externalIPs are refused, others admitted", async () => {
  const policy = await one("validatingadmissionpolicy.yaml", "ValidatingAdmissionPolicy");
  const binding = await one("validatingadmissionpolicy.yaml", "ValidatingAdmissionPolicyBinding");
  const spec = obj(policy.spec, "spec");
  const bindingSpec = obj(binding.spec, "binding spec");
  assert.equal(bindingSpec.policyName, meta(policy).name, "the binding enforces this policy");
  assert.ok(
    list(bindingSpec.validationActions, "validationActions").includes("Deny"),
    "the binding refuses, not only warns or audits",
  );
  assert.equal(bindingSpec.matchResources, undefined, "every namespace");
  assert.equal(spec.failurePolicy ?? "Fail", "Fail");
  const rules = list(obj(spec.matchConstraints, "matchConstraints").resourceRules, "rules");
  assert.ok(
    rules.some((r) => {
      const rule = obj(r, "rule");
      return list(rule.apiGroups, "apiGroups").includes("") &&
        list(rule.resources, "resources").includes("services") &&
        ["CREATE", "UPDATE"].every((op) => list(rule.operations, "operations").includes(op));
    }),
    "Services, when created and when updated",
  );

  const service = (extra: Obj): Json => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "s", namespace: "app" },
    spec: { selector: { app: "x" }, ports: [{ port: 90, protocol: "TCP" }], ...extra },
  });
  const cases: [string, Json, boolean][] = [
    ["a Service without externalIPs", service({}), true],
    ["empty externalIPs", service({ externalIPs: [] }), true],
    ["externalIPs 169.254.170.23", service({ externalIPs: ["169.254.170.23"] }), false],
    ["externalIPs fd00:ec2::23", service({ externalIPs: ["fd00:ec2::23"] }), false],
    ["any other externalIPs", service({ externalIPs: ["192.0.2.10"] }), false],
  ];
  const validations = list(spec.validations, "validations").map((v) => obj(v, "validation"));
  assert.ok(validations.length > 0);
  for (const [what, object, admitted] of cases) {
    const verdicts = validations.map((v) =>
      runCel(String(v.expression), { object: celValue(object) })
    );
    for (const verdict of verdicts) {
      assert.equal(typeof verdict, "boolean", `${what}: the expression evaluates (${verdict})`);
    }
    assert.equal(verdicts.every((v) => v === true), admitted, `${what}: admitted is ${admitted}`);
  }
});

// ---------------------------------------------------------------------------------------------
// The README

test("kubernetes/node/README.md: says what each file is", () => {
  const readme = read(join(DIR, "README.md"));
  for (const file of readdirSync(DIR).filter((f) => f !== "README.md")) {
    assert.ok(readme.includes(`| \`${file}\` |`), `README.md's table names ${file}`);
  }
});
