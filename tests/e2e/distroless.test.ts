// The native Bun binary in a distroless-like container: a root holding only the binary, the
// shared libraries it needs, the loader and a projected token; /proc and /dev mounted privately
// as a container runtime does; run as a non-root user with no shell to fall back on. This is how
// epicac ships, so it must work there with nothing else around it.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { arch, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { type Agent, type AgentCredentials, fakeCredentials, startAgent } from "../fakes/agent.ts";
import { ROOT, runProcess, type RunResult } from "../support/epicac.ts";
import { assertFailure, assertNoSecrets, parseSuccess } from "../support/assertions.ts";
import { fakeJwt } from "../support/jwt.ts";

// unshare, mount and chroot need root; elsewhere these tests are reported as skipped.
const SKIP = process.getuid?.() === 0
  ? undefined
  : "needs root (unshare -m, mount and chroot); run the suite as root to check the distroless run";

const NATIVE = arch() === "arm64" ? "arm64" : "amd64";
const BINARY = `${ROOT}dist/epicac-bun-linux-${NATIVE}`;
const NOBODY = 65534;
const TOKEN = fakeJwt({ aud: ["pods.eks.amazonaws.com"] }, { signature: "ZGlzdHJvbGVzcy10ZXN0" });
// Where EKS Pod Identity mounts the token.
const TOKEN_DIR = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount";
const TOKEN_FILE = `${TOKEN_DIR}/eks-pod-identity-token`;
const UNREADABLE_TOKEN = "/var/run/secrets/root-only-token";

let root = "";
let agent: Agent;
let served: AgentCredentials;
/** Every file and symlink placed in the root, as paths inside it. */
const placed = new Set<string>();

/** Mount points at or under `dir`, from this process's mount table. */
function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean)
    .map((line) =>
      line.split(" ")[4].replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)))
    )
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

function place(inside: string, from: string): void {
  mkdirSync(dirname(root + inside), { recursive: true });
  copyFileSync(from, root + inside); // follows symlinks: the root gets the real file
  placed.add(inside);
}

/** The absolute paths ldd prints: the libraries and the dynamic loader. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const ldd = await runProcess("ldd", [binary]);
  assert.equal(ldd.code, 0, `ldd ${binary}: ${ldd.stderr}`);
  const paths = [...ldd.stdout.matchAll(/^\s*(?:\S+ => )?(\/\S+) \(0x/gm)].map((m) => m[1]);
  assert.ok(paths.some((p) => /\/libc\.so\.6$/.test(p)), `no libc in ldd output: ${ldd.stdout}`);
  return paths;
}

before(async () => {
  if (SKIP) return;
  assert.ok(existsSync(BINARY), `${BINARY} is missing; run make build first`);
  root = realpathSync(mkdtempSync(join(tmpdir(), "epicac-distroless-")));
  chmodSync(root, 0o755); // "/" must be searchable by the non-root user
  assert.deepEqual(mountsUnder(root), [], "a fresh directory has nothing mounted");

  place("/epicac", BINARY);
  for (const lib of await sharedLibraries(BINARY)) place(lib, lib);

  // The kubelet's atomic-writer layout: the file is a symlink through ..data into a timestamped
  // directory, owned by the pod's runAsUser with mode 0600.
  const stamp = "..2025_01_01_00_00_00.000000001";
  mkdirSync(`${root}${TOKEN_DIR}/${stamp}`, { recursive: true });
  writeFileSync(`${root}${TOKEN_DIR}/${stamp}/eks-pod-identity-token`, `${TOKEN}\n`, {
    mode: 0o600,
  });
  chownSync(`${root}${TOKEN_DIR}/${stamp}/eks-pod-identity-token`, NOBODY, NOBODY);
  symlinkSync(stamp, `${root}${TOKEN_DIR}/..data`);
  symlinkSync("..data/eks-pod-identity-token", root + TOKEN_FILE);
  placed.add(`${TOKEN_DIR}/${stamp}/eks-pod-identity-token`).add(`${TOKEN_DIR}/..data`)
    .add(TOKEN_FILE);
  // A token the pod's user may not read (a pod without runAsUser/fsGroup gets root's 0600).
  writeFileSync(root + UNREADABLE_TOKEN, `${TOKEN}\n`, { mode: 0o600 });
  placed.add(UNREADABLE_TOKEN);

  for (const point of ["/proc", "/dev", "/tmp"]) mkdirSync(root + point);
  chmodSync(`${root}/tmp`, 0o1777);

  served = fakeCredentials();
  agent = await startAgent({ credentials: () => served, expectedToken: TOKEN });
});

after(async () => {
  if (SKIP) return;
  await agent?.close();
  if (!root) return;
  // Never delete recursively through a mount: a leaked bind of /dev would take the host's with it.
  for (const point of mountsUnder(root).reverse()) {
    await runProcess("umount", ["--lazy", point]);
  }
  const left = mountsUnder(root);
  assert.deepEqual(left, [], `still mounted, so ${root} was left in place`);
  rmSync(root, { recursive: true, force: true });
});

/**
 * Run `program` inside the root as uid 65534 in a private mount namespace, /dev bound and /proc
 * mounted (unless `proc` is false). The host's shell only sets up the mounts; it then execs
 * chroot, which execs the program inside the root. Checks that no mount reached the host.
 */
async function runInRoot(
  program: string,
  args: string[],
  env: Record<string, string>,
  proc = true,
): Promise<RunResult> {
  const script = [
    "root=$1; proc=$2; shift 2",
    'if [ "$proc" = proc ]; then mount -t proc proc "$root/proc" || exit 90; fi',
    'mount --bind /dev "$root/dev" || exit 91',
    `exec chroot --userspec=${NOBODY}:${NOBODY} "$root" "$@"`,
  ].join("\n");
  // A private namespace with private propagation: on a shared / the mounts would otherwise
  // propagate back to the host.
  const result = await runProcess(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      script,
      "sh",
      root,
      proc ? "proc" : "noproc",
      program,
      ...args,
    ],
    // Only the pod's variables, plus PATH for the host's helpers.
    { env: { DENO_DIR: undefined, DENO_NO_UPDATE_CHECK: undefined, ...env } },
  );
  assert.notEqual(result.code, 90, `mount -t proc failed: ${result.stderr}`);
  assert.notEqual(result.code, 91, `mount --bind /dev failed: ${result.stderr}`);
  assert.deepEqual(mountsUnder(root), [], "the private mounts leaked into the host's namespace");
  return result;
}

function podEnv(tokenFile = TOKEN_FILE): Record<string, string> {
  return {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url(),
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
  };
}

test("the distroless root holds only the binary, its libraries, the token and empty mount points", {
  skip: SKIP,
}, async () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(root + dir)) {
      const inside = `${dir}/${name}`;
      if (lstatSync(root + inside).isDirectory()) walk(inside);
      else files.push(inside);
    }
  };
  walk("");
  assert.deepEqual(files.sort(), [...placed].sort());
  for (const point of ["/proc", "/dev", "/tmp"]) {
    assert.deepEqual(readdirSync(root + point), [], `${point} is an empty mount point`);
  }
  assert.ok(!existsSync(`${root}/bin/sh`) && !existsSync(`${root}/usr/bin/env`));
  // And behaviourally: asking the root for a shell finds none.
  const shell = await runInRoot("/bin/sh", ["-c", "echo reached"], {});
  assert.equal(shell.code, 127, `chroot should fail to find /bin/sh: ${shell.stderr}`);
  assert.equal(shell.stdout, "");
});

test("in the distroless root, as uid 65534, the Bun binary prints the agent's credentials", {
  skip: SKIP,
}, async () => {
  const before = agent.requests.length;
  const result = await runInRoot("/epicac", [], podEnv());
  const out = parseSuccess(result);
  assert.deepEqual(out, {
    Version: 1,
    AccessKeyId: served.AccessKeyId,
    SecretAccessKey: served.SecretAccessKey,
    SessionToken: served.Token,
    Expiration: new Date(served.Expiration).toISOString(),
    AccountId: served.AccountId,
  });
  // The token came from the projected file inside the root, through its symlinks.
  const requests = agent.requests.slice(before);
  assert.equal(requests.length, 1);
  assert.equal(requests[0].authorization, TOKEN);
});

test("in the distroless root, a token file uid 65534 cannot read fails with permission denied", {
  skip: SKIP,
}, async () => {
  const before = agent.requests.length;
  const result = await runInRoot("/epicac", [], podEnv(UNREADABLE_TOKEN));
  // Also proves the binary runs without root's power to read any file.
  assertFailure(result, {
    stderr: /cannot read the token file .*root-only-token.*permission denied/,
    secrets: [TOKEN],
  });
  assert.equal(agent.requests.length, before, "no request without a token");
});

test("without /proc mounted the Bun binary cannot start: it reads itself via /proc/self/exe", {
  skip: SKIP,
}, async () => {
  const before = agent.requests.length;
  const result = await runInRoot("/epicac", [], podEnv(), false);
  assert.ok(result.code !== 0, `it must not succeed without /proc (code ${result.code})`);
  assert.equal(result.stdout, "", "no credentials on stdout");
  assert.equal(agent.requests.length, before, "it never reached the agent");
  assertNoSecrets(result.stderr, [TOKEN, served.SecretAccessKey, served.Token]);
});
