// examples/kubernetes/deployment-serve*.yaml: the epicac sidecar is a native sidecar with a
// startupProbe on /readyz, the token is shared on a memory emptyDir (or a Secret), each
// application container sets the serve URI and token itself and runs hardened, and the sidecar
// runs hardened with measured resources (no cluster is available here: a structural test).
// Then the proof that the manifests fit together: the sidecar's own args, run by the binary
// against the agent emulator and the STS stub, serve every route an application container names.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
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
  valuesOfFlag,
  volumesByName,
  yamlDocuments,
} from "../../support/examples.ts";
import { binaryTarget, ROOT } from "../../support/epicac.ts";
import { type FakeStsPod, startFakeStsPod } from "../../support/pod.ts";
import { startServe } from "../../support/serve.ts";
import process from "node:process";

const FILES = [
  "deployment-serve.yaml",
  "deployment-serve-two-routes.yaml",
  "deployment-serve-secret.yaml",
];
const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;

interface Example {
  file: string;
  pod: Obj;
  sidecar: Obj;
  apps: Obj[];
  /** The sidecar's --flag=value args, in order. */
  flags: [string, string][];
  volumes: Map<string, Obj>;
}

async function example(file: string): Promise<Example> {
  const docs = (await yamlDocuments()).get(join(EXAMPLES, "kubernetes", file));
  assert.ok(docs && docs.length === 1, `${file}: one document`);
  const deployment = docs[0];
  assert.equal(deployment.kind, "Deployment");
  const pod = podSpecOf(deployment, file);
  const inits = list(pod.initContainers, "initContainers").map((c) => obj(c, "initContainer"));
  assert.equal(inits.length, 1, `${file}: one init container, the sidecar`);
  const sidecar = inits[0];
  const flags = containerFlags(sidecar, `${file}: sidecar`);
  return { file, pod, sidecar, apps: containersOf(pod), flags, volumes: volumesByName(pod) };
}

function assertHardened(container: Obj, what: string): void {
  const security = obj(container.securityContext, `${what} securityContext`);
  assert.equal(security.readOnlyRootFilesystem, true, `${what}: read-only root filesystem`);
  assert.equal(security.allowPrivilegeEscalation, false, `${what}: no privilege escalation`);
  assert.deepEqual(obj(security.capabilities, "capabilities").drop, ["ALL"], `${what}: caps`);
}

/** Kubernetes quantities as bytes (Mi, Gi) or millicores (m, whole cores). */
function quantity(value: Json | undefined): number {
  const text = String(value);
  const units: Record<string, number> = { Mi: 2 ** 20, Gi: 2 ** 30, m: 1, "": 1000 };
  const match = /^(\d+)(Mi|Gi|m|)$/.exec(text);
  assert.ok(match, `a quantity: ${text}`);
  return Number(match[1]) * units[match[2]];
}

for (const file of FILES) {
  test(`kubernetes/${file}: a native sidecar with a startupProbe, hardened, with measured resources`, async () => {
    const e = await example(file);
    const { sidecar, pod } = e;
    assert.equal(sidecar.restartPolicy, "Always", "a native sidecar (Kubernetes 1.29+)");
    assert.equal(sidecar.name, "epicac");
    assert.equal(
      sidecar.image,
      `ghcr.io/example/epicac:${VERSION}`,
      "the release's image and version",
    );
    assert.equal(sidecar.command, undefined, "the image's entry point: epicac serve");

    const [listen] = valuesOfFlag(e.flags, "--listen");
    assert.match(listen, /^127\.0\.0\.1:\d+$/, "serve on the pod's loopback");
    const [probeListen] = valuesOfFlag(e.flags, "--probe-listen");
    const probePort = Number(/^0\.0\.0\.0:(\d+)$/.exec(probeListen)?.[1]);
    assert.ok(probePort > 0, "probes on the pod's IP, where the kubelet connects");
    for (const [probe, path] of [["startupProbe", "/readyz"], ["livenessProbe", "/healthz"]]) {
      const httpGet = obj(obj(sidecar[probe], probe).httpGet, `${probe} httpGet`);
      assert.equal(httpGet.path, path, probe);
      assert.equal(httpGet.port, probePort, `${probe} on --probe-listen's port`);
      assert.equal(httpGet.host, undefined, `${probe}: the pod's IP`);
    }
    const startup = obj(sidecar.startupProbe, "startupProbe");
    assert.ok(Number(startup.periodSeconds) * Number(startup.failureThreshold) >= 60);

    const podSecurity = obj(pod.securityContext, "pod securityContext");
    assert.equal(podSecurity.runAsNonRoot, true);
    assert.ok(Number(podSecurity.runAsUser) > 0);
    assert.ok(Number(podSecurity.fsGroup) > 0, "fsGroup: the application reads the 0640 token");
    assertHardened(sidecar, "sidecar");
    assert.equal(obj(sidecar.securityContext, "").runAsNonRoot, true);

    const resources = obj(sidecar.resources, "sidecar resources");
    const requests = obj(resources.requests, "requests");
    const limits = obj(resources.limits, "limits");
    // Measured: 42 MiB idle, 64 MiB at the peak of a million requests (README, make bench).
    assert.ok(quantity(requests.memory) >= 64 * 2 ** 20, "memory request covers the measured peak");
    assert.ok(quantity(limits.memory) > quantity(requests.memory), "room above the peak");
    assert.ok(quantity(requests.cpu) > 0 && quantity(limits.cpu) >= quantity(requests.cpu));
  });

  test(`kubernetes/${file}: the token is shared, and each application container sets serve's URI and token itself`, async () => {
    const e = await example(file);
    const [tokenFile] = valuesOfFlag(e.flags, "--token-file");
    assert.ok(tokenFile, "--token-file");
    const tokenMount = mountsOf(e.sidecar).find((m) => m.mountPath === dirname(tokenFile));
    assert.ok(tokenMount, "the sidecar mounts the token's directory");
    const volume = e.volumes.get(String(tokenMount.name));
    assert.ok(volume, "the token volume");
    const secret = volume.secret ? obj(volume.secret, "secret") : undefined;
    if (secret) {
      assert.equal(tokenMount.readOnly, true, "a Secret is read, never written");
      assert.deepEqual(secret.items, [{ key: "token", path: "token" }]);
    } else {
      assert.deepEqual(
        obj(volume.emptyDir, "emptyDir").medium,
        "Memory",
        "the token stays in memory",
      );
      assert.notEqual(tokenMount.readOnly, true, "the sidecar writes the token it generates");
    }
    const [listen] = valuesOfFlag(e.flags, "--listen");
    const routes = valuesOfFlag(e.flags, "--no-default-route").length > 0
      ? []
      : ["/v1/credentials"];
    for (const spec of valuesOfFlag(e.flags, "--route")) {
      routes.push(`/v1/credentials/${spec.split("=")[0]}`);
    }

    assert.ok(e.apps.length >= 1);
    for (const app of e.apps) {
      const what = `container ${app.name}`;
      const env = envEntries(app);
      const uri = new URL(String(env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")?.value));
      assert.equal(uri.host, listen, `${what}: serve's address`);
      assert.ok(routes.includes(uri.pathname), `${what}: ${uri.pathname} is one of ${routes}`);
      assert.equal(env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")?.value, tokenFile, what);
      for (const absent of ["AWS_CONFIG_FILE", "AWS_PROFILE", "AWS_ACCESS_KEY_ID"]) {
        assert.ok(!env.has(absent), `${what}: no ${absent}, serve is the only source`);
      }
      const inline = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
      if (secret) {
        const ref = obj(obj(inline?.valueFrom, `${what} token valueFrom`).secretKeyRef, "ref");
        assert.deepEqual(ref, { name: secret.secretName, key: "token" }, `${what}: the Secret`);
      } else {
        assert.equal(inline, undefined, `${what}: the file only`);
      }
      const mount: Obj | undefined = mountsOf(app).find((m) => m.name === tokenMount.name);
      assert.equal(mount?.mountPath, dirname(tokenFile), `${what}: mounts the token`);
      assert.equal(mount?.readOnly, true, `${what}: read-only`);
      assertHardened(app, what);
    }
  });
}

// The sidecars' own args, run: every route an application container names is served.
let pod: FakeStsPod;
before(async () => {
  pod = await startFakeStsPod("kubernetes-serve");
});
after(() => pod?.close());

const NATIVE = binaryTarget("bun", process.arch === "arm64" ? "arm64" : "amd64");
const ACCOUNTS: Record<string, string> = {
  [PROD_ROLE_ARN]: "222222222222",
  [AUDIT_ROLE_ARN]: "333333333333",
};

for (const file of FILES) {
  test(`kubernetes/${file}: the sidecar's args, run by the binary, serve every container's route`, async () => {
    const e = await example(file);
    const args = e.flags
      .filter(([f]) => !["--listen", "--probe-listen", "--token-file"].includes(f))
      .map(([f, v]) => (v === "" ? f : `${f}=${v}`));
    const from = pod.sts.requests.length;
    const serving = await startServe(
      NATIVE,
      [...args, "--sts-endpoint", pod.sts.endpoint],
      pod.env(),
      join(pod.dir, `token-${file}`),
    );
    try {
      const routes = valuesOfFlag(e.flags, "--route").length +
        (valuesOfFlag(e.flags, "--no-default-route").length ? 0 : 1);
      const refreshed = () => serving.events().filter((x) => x.event === "refreshed").length;
      await serving.waitForEvent("refreshed", () => refreshed() >= routes);
      for (const app of e.apps) {
        const uri = new URL(
          String(envEntries(app).get("AWS_CONTAINER_CREDENTIALS_FULL_URI")?.value),
        );
        const answer = await fetch(serving.url(uri.pathname), {
          headers: { authorization: serving.token() },
        });
        assert.equal(answer.status, 200, `${app.name}: ${uri.pathname}`);
        const doc = await answer.json();
        const calls = pod.sts.requests.slice(from);
        const role = calls.find((c) => ACCOUNTS[c.params.RoleArn] === doc.AccountId);
        assert.ok(role, `${app.name}: credentials of one of the example's roles`);
      }
      const audit = pod.sts.requests.slice(from).find((c) => c.params.RoleArn === AUDIT_ROLE_ARN);
      if (audit) assert.equal(audit.params.ExternalId, "audit-7f3c");
    } finally {
      await serving.stop();
    }
  });
}
