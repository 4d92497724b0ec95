// examples/kubernetes: every manifest parses the same with PyYAML and Bun.YAML, the ConfigMaps
// hold AWS configs, and the Deployments mount them, set the environment and run as non-root.

import { test } from "node:test";
import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import {
  AUDIT_ROLE_ARN,
  configMaps,
  containersOf,
  envOf,
  EXAMPLES,
  flagValues,
  IMAGE_BINARY,
  IMAGE_CONFIG,
  manifests,
  mountsOf,
  obj,
  parseIni,
  PROD_ROLE_ARN,
  read,
  rel,
  volumesByName,
  words,
  yamlDocuments,
} from "../../support/examples.ts";

test("kubernetes: every YAML file parses the same with PyYAML and Bun.YAML", async () => {
  const docs = await yamlDocuments();
  for (const [file, fileDocs] of docs) {
    if (dirname(file) !== join(EXAMPLES, "kubernetes")) continue; // node/: kubernetes-node.test.ts
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
  assert.equal((await manifests("Deployment")).length, 5);
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

    const volumes = volumesByName(pod);
    const containers = containersOf(pod);
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
    const mounts = mountsOf(container);
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
