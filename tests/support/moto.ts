// A local AWS account for end-to-end tests: moto_server on a free loopback port, set up by
// moto_bootstrap.py with an admin user and the roles `src`, `dest`, `third`, `forbidden` and
// `irsa`. Every request after the bootstrap's first three is checked by moto: SigV4 signature,
// then IAM permissions. `src` may assume `dest` and `third`, `dest` may assume `third` only, and
// assuming `forbidden` with either is AccessDenied.

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { AgentCredentials } from "../fakes/agent.ts";
import { runProcess } from "./epicac.ts";

export const BOOTSTRAP = fileURLToPath(new URL("./moto_bootstrap.py", import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export type RoleName = "src" | "dest" | "third" | "forbidden" | "irsa";

export interface Moto {
  /** http://127.0.0.1:<port>, for endpoint_url / AWS_ENDPOINT_URL_STS. */
  endpoint: string;
  region: string;
  accountId: string;
  roleArn(name: RoleName): string;
  /** A fresh session of role `src`, in the shape the EKS Pod Identity agent serves it. */
  mintSourceCredentials(): Promise<AgentCredentials>;
  /** `count` fresh sessions of role `src` (one process for all). */
  mintManySourceCredentials(count: number): Promise<AgentCredentials[]>;
  close(): Promise<void>;
}

/** Sessions of role `src` minted with the admin's keys: one, or COUNT given in `count`. */
async function mint(
  account: Account,
  endpoint: string,
  count: string[],
): Promise<AgentCredentials[]> {
  const minted = await runProcess("python3", [
    BOOTSTRAP,
    "mint",
    endpoint,
    account.roles.src,
    ...count,
  ], {
    env: {
      AWS_ACCESS_KEY_ID: account.admin.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: account.admin.SecretAccessKey,
    },
  });
  if (minted.code !== 0) throw new Error(`moto_bootstrap.py mint failed: ${minted.stderr}`);
  const parsed = JSON.parse(minted.stdout);
  return Array.isArray(parsed) ? parsed : [parsed];
}

interface Account {
  endpoint: string;
  region: string;
  accountId: string;
  admin: { AccessKeyId: string; SecretAccessKey: string };
  roles: Record<RoleName, string>;
}

/**
 * `checked: false` starts a moto that checks neither signatures nor permissions: the unsigned
 * AssumeRoleWithWebIdentity (IRSA) fails moto's request checking.
 */
export async function startMoto({ checked = true }: { checked?: boolean } = {}): Promise<Moto> {
  // moto_server, exiting when its stdin closes: if this process dies without close() (or Deno
  // skips `after`, as it does in a file with a skipped test), moto does not outlive it.
  const flags = checked ? [] : ["--unchecked"];
  const server = spawn("python3", [BOOTSTRAP, "serve", "--exit-with-stdin", ...flags], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PYTHONUNBUFFERED: "1" },
    stdio: ["pipe", "pipe", "pipe"],
    // Its own process group, so close() reaches anything it started.
    detached: true,
  });
  const stop = () => stopServer(server);

  try {
    const endpoint = await waitForListening(server);
    const setup = await runProcess("python3", [BOOTSTRAP, "setup", endpoint, ...flags]);
    if (setup.code !== 0) throw new Error(`moto_bootstrap.py setup failed: ${setup.stderr}`);
    const account = JSON.parse(setup.stdout) as Account;
    return {
      endpoint,
      region: account.region,
      accountId: account.accountId,
      roleArn: (name) => account.roles[name],
      mintSourceCredentials: async () => (await mint(account, endpoint, []))[0],
      mintManySourceCredentials: (count) => mint(account, endpoint, [String(count)]),
      close: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The endpoint moto announces once it listens; rejects if it exits or takes too long. */
function waitForListening(server: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`moto_server ${why}; its output: ${output.slice(-2000)}`));
    };
    const timer = setTimeout(
      () => fail(`did not listen within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    // Stays attached after start-up: moto logs every request, and a full pipe would block it.
    const onData = (chunk: string) => {
      if (settled) return;
      output += chunk;
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        settled = true;
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    server.stdout!.setEncoding("utf8").on("data", onData);
    server.stderr!.setEncoding("utf8").on("data", onData);
    server.on("error", (error) => fail(`could not start (${error.message})`));
    server.on("exit", (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
  });
}

/** SIGTERM, then SIGKILL if moto is still there after STOP_TIMEOUT_MS; resolves once it exited. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null || server.pid === undefined) return;
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  killGroup(server, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), STOP_TIMEOUT_MS);
  });
  if (await Promise.race([exited, late]) === "late") {
    killGroup(server, "SIGKILL");
    await exited;
  }
  clearTimeout(timer);
  server.stdin?.destroy();
  server.stdout?.destroy();
  server.stderr?.destroy();
}

function killGroup(server: ChildProcess, signal: "SIGTERM" | "SIGKILL"): void {
  if (server.pid === undefined || server.exitCode !== null || server.signalCode !== null) return;
  try {
    process.kill(-server.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * The AWS config every client test uses: `dest` and `forbidden` are assumed with the credentials
 * of `src`, which come from `credentialProcess` (argv, quoted here for a shell line).
 */
export function chainedProfilesConfig(moto: Moto, credentialProcess: string[]): string {
  return [
    "[profile dest]",
    `role_arn = ${moto.roleArn("dest")}`,
    "source_profile = src",
    "[profile src]",
    `credential_process = ${shellCommandLine(credentialProcess)}`,
    "[profile forbidden]",
    `role_arn = ${moto.roleArn("forbidden")}`,
    "source_profile = src",
    "",
  ].join("\n");
}

/**
 * argv as one command line. Both readers split it like a POSIX shell (botocore with shlex, the
 * JavaScript SDK through /bin/sh), so single quotes protect spaces, globs and quotes.
 */
export function shellCommandLine(argv: string[]): string {
  return argv
    .map((word) => /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)
    .join(" ");
}
