// examples/iam: every policy parses, moto's validator accepts it, and the trust and permission
// policies agree with the manifests and configs (principals, roles, the ExternalId).

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ASSUME_ACTIONS,
  AUDIT_ROLE_ARN,
  configMaps,
  exampleFiles,
  EXAMPLES,
  flagValues,
  list,
  manifests,
  type Obj,
  obj,
  POD_ROLE_ARN,
  PROD_ROLE_ARN,
  python,
  read,
  rel,
} from "../../support/examples.ts";

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
