// A credential_process runs in its caller's working directory: a cloned repository, a CI
// workspace. Files there must never change what a compiled binary runs or prints. Each case
// plants a bunfig.toml whose preload writes a marker and a .env that points at a second agent
// (and asks Bun to print every request), then checks that the binary behaves exactly as from an
// empty directory, while the sources run by `bun` in the same directory do pick the files up
// (the control: the planted files are live).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Agent, fakeCredentials, startAgent } from "../fakes/agent.ts";
import { type AgentPod, startAgentPod } from "../support/pod.ts";
import { ROOT, runEpicac, runnableTargets, runProcess, type RunResult } from "../support/epicac.ts";
import { assertNoSecrets } from "../support/assertions.ts";
import { fakeJwt } from "../support/jwt.ts";

const TOKEN = fakeJwt({ sub: "system:serviceaccount:wd:wd" }, { signature: "c2ln" });
const served = fakeCredentials();
const planted = fakeCredentials({ AccessKeyId: "ASIAPLANTEDAGENT0001" });
let pod: AgentPod; // the pod and its agent
let second: Agent; // the agent the planted .env points at
let root: string;
let empty: string;
let hostile: string;

before(async () => {
  pod = await startAgentPod("cwd", TOKEN);
  pod.served = served;
  root = pod.dir;
  second = await startAgent({ credentials: planted });
  empty = join(root, "empty");
  hostile = join(root, "hostile");
  mkdirSync(empty);
  mkdirSync(hostile);
  writeFileSync(
    join(hostile, "preload.js"),
    `require("node:fs").writeFileSync(${JSON.stringify(join(hostile, "marker"))}, "preloaded");\n`,
  );
  writeFileSync(join(hostile, "bunfig.toml"), 'preload = ["./preload.js"]\n');
  writeFileSync(
    join(hostile, ".env"),
    [
      `AWS_CONTAINER_CREDENTIALS_FULL_URI=${second.url()}`,
      `AWS_CONTAINER_AUTHORIZATION_TOKEN=planted-token-0001`,
      `EPICAC_CACHE_DIR=${join(hostile, "cache")}`,
      "BUN_CONFIG_VERBOSE_FETCH=curl",
      "",
    ].join("\n"),
  );
});

after(async () => {
  await second?.close();
  await pod?.close();
});

/** The pod's environment, with or without the agent's URI (which the .env would supply). */
const podEnv = (withUri: boolean) =>
  pod.env(withUri ? {} : { AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined });

/** What a run leaves in the hostile directory, and what reached the second agent. */
function traces(): { marker: boolean; cache: boolean; secondAgent: number } {
  return {
    marker: existsSync(join(hostile, "marker")),
    cache: existsSync(join(hostile, "cache")),
    secondAgent: second.requests.length,
  };
}

function reset(): void {
  rmSync(join(hostile, "marker"), { force: true });
  rmSync(join(hostile, "cache"), { recursive: true, force: true });
  second.requests.length = 0;
}

const NOTHING = { marker: false, cache: false, secondAgent: 0 };

/** The same run from the empty directory and from the hostile one: they must not differ. */
function assertSameRun(fromEmpty: RunResult, fromHostile: RunResult): void {
  assert.equal(fromHostile.code, fromEmpty.code, `exit code (stderr: ${fromHostile.stderr})`);
  assert.equal(fromHostile.stdout, fromEmpty.stdout);
  assert.equal(fromHostile.stderr, fromEmpty.stderr);
  assertNoSecrets(fromHostile.stderr, [TOKEN, served.SecretAccessKey, served.Token]);
}

// Sources under bun are the control, not a target: only the compiled binaries promise this, and
// the program the Deno binaries embed, which deno runs here without reading any configuration.
for (
  const target of runnableTargets({ denoBundle: true, emulated: true }).filter((t) =>
    t.compiled || t.bundled
  )
) {
  test(`${target.name}: bunfig.toml and .env in the working directory change nothing in a credentials run`, async () => {
    reset();
    const fromEmpty = await runEpicac(target, [], { env: podEnv(true), cwd: empty });
    const fromHostile = await runEpicac(target, [], { env: podEnv(true), cwd: hostile });
    assertSameRun(fromEmpty, fromHostile);
    assert.equal(fromHostile.code, 0);
    assert.equal(JSON.parse(fromHostile.stdout).AccessKeyId, served.AccessKeyId);
    assert.deepEqual(
      traces(),
      NOTHING,
      "the preload ran, the cache was created or the .env's agent was called",
    );
  });

  test(`${target.name}: a .env in the working directory cannot supply the agent's URI`, async () => {
    reset();
    const fromEmpty = await runEpicac(target, [], { env: podEnv(false), cwd: empty });
    const fromHostile = await runEpicac(target, [], { env: podEnv(false), cwd: hostile });
    assertSameRun(fromEmpty, fromHostile);
    assert.equal(fromHostile.code, 1);
    assert.match(fromHostile.stderr, /AWS_CONTAINER_CREDENTIALS_FULL_URI is not set/);
    assert.deepEqual(traces(), NOTHING);
  });
}

test("control: the sources run by bun in the same directory do load bunfig.toml and .env", async () => {
  reset();
  const bun = join(ROOT, ".tools", "bin", "bun");
  const program = existsSync(bun) ? bun : "bun";
  const result = await runProcess(program, [join(ROOT, "src", "main.ts")], {
    env: podEnv(false),
    cwd: hostile,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).AccessKeyId, planted.AccessKeyId, "the .env's agent");
  const left = traces();
  assert.ok(left.marker, "bunfig.toml's preload ran");
  assert.ok(left.cache, ".env's EPICAC_CACHE_DIR was used");
  assert.ok(left.secondAgent > 0);
});
