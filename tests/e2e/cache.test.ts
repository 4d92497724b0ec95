// --cache-dir end to end, on every target: reuse until the refresh window, private files written
// by rename, untrusted entries ignored and replaced, and one STS call when 50 processes start
// at once.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { Agent, AgentCredentials } from "../fakes/agent.ts";
import { type FakeSts, startFakeSts } from "../fakes/sts.ts";
import { type Env, type FakeStsPod, startFakeStsPod } from "../support/pod.ts";
import { runEpicac, runnableTargets, type Target } from "../support/epicac.ts";
import { assertFailure, parseSuccess } from "../support/assertions.ts";
import { fakeJwt } from "../support/jwt.ts";

const TOKEN = fakeJwt({ sub: "system:serviceaccount:app:app" }, { signature: "c2ln" });
const DEST = "arn:aws:iam::222222222222:role/dest";
const IS_ROOT = process.getuid?.() === 0;
let pod: FakeStsPod;
let source: AgentCredentials;
let agent: Agent;
let sts: FakeSts;
let dir: string;
let serial = 0;

before(async () => {
  pod = await startFakeStsPod("cache", TOKEN);
  ({ served: source, agent, sts, dir } = pod);
  chmodSync(dir, 0o755); // other users (the foreign-owner cases) must reach their files
});

after(() => pod?.close());

/** A fresh cache directory path (not created) for one case. */
function freshCacheDir(): string {
  return join(dir, `cache-${++serial}`);
}

const env = (extra: Env = {}) => pod.env(extra);

/**
 * The chain every case runs: DEST assumed through the STS stub, cached in `cacheDir`. The cases
 * count STS calls: an attempt is given 10 s (within the run's deadline) so that a loaded machine
 * does not turn one call into a retried second.
 */
const cachedChain = (cacheDir: string) => [
  "--assume",
  DEST,
  "--sts-endpoint",
  sts.endpoint,
  "--cache-dir",
  cacheDir,
  "--timeout",
  "10",
];

async function cached(
  t: Target,
  cacheDir: string,
  args: string[] = [],
  extra: Record<string, string | undefined> = {},
) {
  const first = sts.requests.length;
  const result = await runEpicac(t, [...cachedChain(cacheDir), ...args], { env: env(extra) });
  return { result, stsCalls: sts.requests.length - first };
}

function entries(cacheDir: string): string[] {
  return readdirSync(cacheDir).filter((name) => name.endsWith(".json")).map((name) =>
    join(cacheDir, name)
  );
}

type Case = [name: string, run: (t: Target) => Promise<void>];

const cases: Case[] = [
  ["a second run reuses the first run's credentials without calling STS", async (t) => {
    const cacheDir = freshCacheDir();
    const first = await cached(t, cacheDir);
    const second = await cached(t, cacheDir);
    assert.equal(first.stsCalls, 1);
    assert.equal(second.stsCalls, 0);
    assert.deepEqual(parseSuccess(second.result), parseSuccess(first.result));
  }],
  ["inside the refresh window the chain runs again", async (t) => {
    const cacheDir = freshCacheDir();
    const window = ["--refresh-before", "1200"];
    assert.equal((await cached(t, cacheDir, window)).stsCalls, 1);
    assert.equal((await cached(t, cacheDir, window)).stsCalls, 0, "an hour left: reused");
    // Age the entry: 1000 s left is inside a 1200 s window.
    const [entry] = entries(cacheDir);
    const stored = JSON.parse(readFileSync(entry, "utf8"));
    stored.expiration = new Date(Date.now() + 1000_000).toISOString();
    writeFileSync(entry, JSON.stringify(stored), { mode: 0o600 });
    const due = await cached(t, cacheDir, window);
    assert.equal(due.stsCalls, 1);
    assert.ok(Date.parse(parseSuccess(due.result).Expiration!) > Date.now() + 3000_000);
    assert.equal((await cached(t, cacheDir, ["--refresh-before", "900"])).stsCalls, 0);
  }],
  ["the directory is 0700 and entries 0600; a loose directory is tightened", async (t) => {
    const cacheDir = freshCacheDir();
    parseSuccess((await cached(t, cacheDir)).result);
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    const [entry] = entries(cacheDir);
    assert.equal(statSync(entry).mode & 0o777, 0o600);
    chmodSync(cacheDir, 0o755);
    parseSuccess((await cached(t, cacheDir)).result);
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    assert.deepEqual(
      readdirSync(cacheDir).filter((n) => n.endsWith(".tmp") || n.endsWith(".lock")),
      [],
      "no temporary or lock file is left",
    );
  }],
  ["the key holds no secret: names are hashes, and no token or key appears in them", async (t) => {
    const cacheDir = freshCacheDir();
    const doc = parseSuccess(
      (await cached(t, cacheDir, ["--external-id", "secret-external-id"])).result,
    );
    for (const name of readdirSync(cacheDir)) {
      assert.match(name, /^[0-9a-f]{64}\.json$/);
      for (
        const secret of [TOKEN, source.SecretAccessKey, doc.SecretAccessKey, "secret-external-id"]
      ) assert.ok(!name.includes(secret));
    }
  }],
  ["every input that changes the result changes the key", async (t) => {
    const cacheDir = freshCacheDir();
    const variants = [
      [],
      ["--external-id", "one"],
      ["--external-id", "two"],
      ["--session-name", "other"],
      ["--tag", "a=b"],
      ["--duration", "1200"],
      ["--region", "eu-west-1"],
    ];
    for (const args of variants) {
      assert.equal((await cached(t, cacheDir, args)).stsCalls, 1, `miss for ${args.join(" ")}`);
    }
    assert.equal(entries(cacheDir).length, variants.length);
    for (const args of variants) {
      assert.equal((await cached(t, cacheDir, args)).stsCalls, 0, `hit for ${args.join(" ")}`);
    }
  }],
  ["set-ups whose runs reach different STS endpoints never share an entry", async (t) => {
    // An empty AWS_ENDPOINT_URL_STS counts as unset: each run calls its AWS_ENDPOINT_URL.
    const other = await startFakeSts();
    try {
      const cacheDir = freshCacheDir();
      const run = (endpoint: string) =>
        runEpicac(t, ["--assume", DEST, "--cache-dir", cacheDir], {
          env: env({ AWS_ENDPOINT_URL_STS: "", AWS_ENDPOINT_URL: endpoint }),
        });
      parseSuccess(await run(sts.endpoint));
      const before = other.requests.length;
      const second = parseSuccess(await run(other.endpoint));
      assert.equal(other.requests.length - before, 1, "the second STS was asked, not the cache");
      assert.match(second.AccessKeyId, /^ASIASTUB/);
      assert.equal(entries(cacheDir).length, 2);
    } finally {
      await other.close();
    }
  }],
  ["a rotated token for the same service account still hits; another account misses", async (t) => {
    const cacheDir = freshCacheDir();
    assert.equal((await cached(t, cacheDir)).stsCalls, 1);
    // Same claims, new signature: the kubelet's rotation. The agent only checks the first token,
    // so serve the cache from a token file the agent would refuse: a hit never asks the agent.
    const rotated = join(dir, `rotated-${serial}`);
    writeFileSync(rotated, TOKEN.replace(/\.c2ln$/, ".bmV3c2ln"));
    const hit = await cached(t, cacheDir, [], { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: rotated });
    assert.equal(hit.stsCalls, 0);
    parseSuccess(hit.result);
    const other = join(dir, `other-sa-${serial}`);
    writeFileSync(
      other,
      fakeJwt({ sub: "system:serviceaccount:app:other" }, { signature: "c2ln" }),
    );
    const miss = await cached(t, cacheDir, [], { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: other });
    assertFailure(miss.result, { stderr: /HTTP 403/ }); // it had to ask the agent, which refused it
  }],
  ["a corrupt entry is ignored and replaced", async (t) => {
    const cacheDir = freshCacheDir();
    parseSuccess((await cached(t, cacheDir)).result);
    const [entry] = entries(cacheDir);
    writeFileSync(entry, '{"version":1,"accessKeyId":"ASIA', { mode: 0o600 });
    const again = await cached(t, cacheDir);
    assert.equal(again.stsCalls, 1);
    const doc = parseSuccess(again.result);
    assert.equal(JSON.parse(readFileSync(entry, "utf8")).accessKeyId, doc.AccessKeyId);
  }],
  [
    "a group- or world-readable entry is not trusted, and is replaced by a private one",
    async (t) => {
      const cacheDir = freshCacheDir();
      parseSuccess((await cached(t, cacheDir)).result);
      const [entry] = entries(cacheDir);
      for (const mode of [0o640, 0o604]) {
        chmodSync(entry, mode);
        assert.equal((await cached(t, cacheDir)).stsCalls, 1, `mode ${mode.toString(8)}`);
        assert.equal(statSync(entry).mode & 0o777, 0o600);
      }
    },
  ],
  ["an entry owned by another user is not trusted, and is replaced", async (t) => {
    const cacheDir = freshCacheDir();
    parseSuccess((await cached(t, cacheDir)).result);
    const [entry] = entries(cacheDir);
    chownSync(entry, 65534, 65534);
    assert.equal((await cached(t, cacheDir)).stsCalls, 1);
    assert.equal(statSync(entry).uid, process.getuid!());
  }],
  ["a cache directory owned by another user is never used: the run goes on uncached", async (t) => {
    const cacheDir = freshCacheDir();
    mkdirSync(cacheDir, { mode: 0o700 });
    chownSync(cacheDir, 65534, 65534);
    const { result, stsCalls } = await cached(t, cacheDir);
    parseSuccess(result); // exit 0, nothing on stderr
    assert.equal(stsCalls, 1);
    assert.deepEqual(readdirSync(cacheDir), [], "nothing is read from or written to it");
    assert.equal(statSync(cacheDir).uid, 65534);
    const debug = await cached(t, cacheDir, ["--debug"]);
    assert.match(
      debug.result.stderr,
      new RegExp(`cache: the cache directory ${cacheDir} belongs to uid 65534, not to this user`),
    );
  }],
  ["EPICAC_CACHE_DIR turns the cache on, for the default path too", async (t) => {
    const cacheDir = freshCacheDir();
    const asked = () => agent.requests.length;
    const before = asked();
    for (let i = 0; i < 3; i++) {
      const result = await runEpicac(t, [], { env: env({ EPICAC_CACHE_DIR: cacheDir }) });
      assert.equal(parseSuccess(result).AccessKeyId, source.AccessKeyId);
    }
    assert.equal(asked() - before, 1, "the agent is asked once");
    assert.equal(entries(cacheDir).length, 1);
  }],
  [
    "processes starting at once (50; 10 under qemu) make one STS call and print the same credentials",
    async (t) => {
      const cacheDir = freshCacheDir();
      const first = sts.requests.length;
      const runs = await Promise.all(
        Array.from(
          // Under qemu each start costs a second of both cores: ten still race for the lock.
          { length: t.emulated ? 10 : 50 },
          () =>
            runEpicac(t, [
              ...cachedChain(cacheDir),
              // Processes under qemu on two cores start slowly: a generous deadline there.
              "--deadline",
              t.emulated ? "120" : "30",
            ], {
              env: env(),
              killAfterMs: 300_000,
            }),
        ),
      );
      const docs = runs.map(parseSuccess);
      assert.equal(sts.requests.length - first, 1, "STS calls");
      assert.equal(new Set(docs.map((d) => d.AccessKeyId)).size, 1);
      assert.equal(entries(cacheDir).length, 1);
      assert.deepEqual(
        readdirSync(cacheDir).filter((n) => !n.endsWith(".json")),
        [],
        "no lock or temporary file is left",
      );
    },
  ],
];

const NEEDS_ROOT = new Set([
  "an entry owned by another user is not trusted, and is replaced",
  "a cache directory owned by another user is never used: the run goes on uncached",
]);

/** Cases about the cache's logic, not the binary: the native binary's run is enough. */
const NATIVE_ONLY = new Set(["every input that changes the result changes the key"]);

for (const target of runnableTargets({ denoBundle: true, emulated: true })) {
  for (const [name, fn] of cases) {
    if (target.emulated && NATIVE_ONLY.has(name)) continue;
    const skip = NEEDS_ROOT.has(name) && !IS_ROOT
      ? "needs root to chown files to another user"
      : undefined;
    test(`${target.name}: --cache-dir ${name}`, { skip }, () => fn(target));
  }
}
