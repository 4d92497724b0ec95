// The real AWS SDK clients the end-to-end tests run as consumers: the AWS CLI (botocore) and the
// JavaScript SDK v3's default chain under Node, Bun and Deno, each named with its version. Each
// prints the identity STS gave it (GetCallerIdentity) as JSON.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { ROOT } from "./epicac.ts";
import { runWithoutShell } from "./no-shell.ts";

const CONSUMER = `${ROOT}tests/support/sdk-consumer.mjs`;
const DENO = `${ROOT}.tools/bin/deno`;
const BUN = `${ROOT}.tools/bin/bun`;

/** The real Python behind the AWS CLI (pyenv's `aws` and `python3` are shell scripts). */
function python(): string | undefined {
  const found = spawnSync("python3", ["-c", "import sys, awscli; print(sys.executable)"], {
    encoding: "utf8",
  });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** The first version number a program prints about itself. */
function versionOf(program: string, args: string[]): string {
  const run = spawnSync(program, args, { encoding: "utf8" });
  return /\d+\.\d+\.\d+/.exec(`${run.stdout}${run.stderr}`)?.[0] ?? "unknown";
}

const PYTHON = python();
/** Why the AWS CLI cannot run here, or undefined. */
export const AWS_CLI_SKIP = PYTHON
  ? undefined
  : "the AWS CLI (awscli for python3) is not installed";
const JS_SDK = JSON.parse(
  readFileSync(`${ROOT}node_modules/@aws-sdk/credential-provider-node/package.json`, "utf8"),
).version;

export interface Identity {
  Arn: string;
  Account: string;
  AccessKeyId?: string;
}

export interface Client {
  name: string;
  command: () => string[];
  /** Parse the client's stdout into the identity it got. */
  identity: (stdout: string) => Identity;
}

export const CLIENTS: Client[] = [
  {
    name: `the AWS CLI ${
      PYTHON ? versionOf(PYTHON, ["-m", "awscli", "--version"]) : "(missing)"
    } (botocore ${
      PYTHON ? versionOf(PYTHON, ["-c", "import botocore; print(botocore.__version__)"]) : "-"
    })`,
    command: () => [PYTHON!, "-m", "awscli", "sts", "get-caller-identity", "--output", "json"],
    identity: (stdout) => JSON.parse(stdout),
  },
  ...[
    ["Node", "/usr/bin/node", versionOf("/usr/bin/node", ["--version"])],
    ["Bun", BUN, versionOf(BUN, ["--version"])],
    ["Deno", DENO, versionOf(DENO, ["--version"])],
  ].map(([runtime, program, version]): Client => ({
    name: `the JavaScript SDK v3 default chain ${JS_SDK} under ${runtime} ${version}`,
    command: () =>
      runtime === "Deno"
        ? [program, "run", "-A", CONSUMER, "--default-chain"]
        : [program, CONSUMER, "--default-chain"],
    identity: (stdout) => JSON.parse(stdout),
  })),
];

/** Runs `client` with every shell hidden and only `env`: the identity STS gave it. */
export async function identityWithoutShell(
  client: Client,
  env: Record<string, string>,
): Promise<Identity> {
  const [program, ...args] = client.command();
  const result = await runWithoutShell(program, args, { env, cwd: ROOT, killAfterMs: 90_000 });
  assert.equal(result.code, 0, `${result.stdout} ${result.stderr}`);
  return client.identity(result.stdout);
}
