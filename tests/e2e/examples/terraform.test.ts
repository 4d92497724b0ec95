// examples/terraform: balanced HCL with the expected resources, formatted and validated by
// terraform (offline, where it is installed).

import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import process from "node:process";
import {
  CLUSTER_ACCOUNT,
  DESTINATION_ACCOUNTS,
  exampleFiles,
  read,
  rel,
  TF_AWS_PROVIDER,
  TF_PLUGIN_DIR,
} from "../../support/examples.ts";
import { runProcess } from "../../support/epicac.ts";

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
