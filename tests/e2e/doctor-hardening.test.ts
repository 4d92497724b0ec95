// epicac doctor against odd and hostile input, end to end on every target: it obeys --deadline
// like a run (a hung STS cannot hold it), reads the AWS config file with the token file's rules
// (a FIFO or /dev/zero there is refused at once), reports each check instead of crashing on a
// token with strange claims, reads current AWS config syntax, and checks --cache-dir.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { FakeSts } from "../fakes/sts.ts";
import { type Env, type FakeStsPod, startFakeStsPod } from "../support/pod.ts";
import {
  caseDeadlineSeconds,
  runEpicac,
  runnableTargets,
  type RunResult,
  type Target,
  withinDeadlineMs,
} from "../support/epicac.ts";
import { fakeJwt } from "../support/jwt.ts";

const IS_ROOT = process.getuid?.() === 0;
let pod: FakeStsPod;
let sts: FakeSts;
let dir: string;

before(async () => {
  pod = await startFakeStsPod("doctor-hardening", fakeJwt({ sub: "system:serviceaccount:a:b" }));
  ({ sts, dir } = pod);
  execFileSync("mkfifo", [join(dir, "config-fifo")]);
  writeFileSync(join(dir, "epicac"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(dir, "epicac"), 0o755);
  // Current AWS config syntax: sso-session and services sections, sub-sections, a quoted name.
  writeFileSync(
    join(dir, "config-modern"),
    [
      "[default]",
      "region = us-west-2",
      "",
      "[sso-session corp]",
      "sso_start_url = https://corp.awsapps.com/start",
      "sso_region = us-east-1",
      "",
      "[services local]",
      "sts =",
      "  endpoint_url = https://sts.us-west-2.amazonaws.com",
      "s3 =",
      "  addressing_style = path",
      "",
      "[profile dest]",
      "role_arn = arn:aws:iam::222222222222:role/dest",
      "source_profile = src",
      "services = local",
      "",
      "[profile src]",
      `credential_process = ${join(dir, "epicac")}`,
      "",
    ].join("\n"),
  );
});

after(() => pod?.close());

const pod_env = (extra: Env = {}) => pod.env(extra);

/** The line of check `name`. */
function line(result: RunResult, name: string): string {
  const found = result.stdout.split("\n").filter((l) =>
    new RegExp(`^\\[(pass|FAIL|skip)\\] ${name}: `).test(l)
  );
  assert.equal(found.length, 1, `one line for ${name} in:\n${result.stdout}${result.stderr}`);
  return found[0];
}

type Case = [name: string, run: (t: Target) => Promise<void>, skip?: string | false];

const cases: Case[] = [
  ["a hung STS cannot hold doctor past --deadline", async (t) => {
    const result = await runEpicac(t, [
      "doctor",
      "--assume",
      "arn:aws:iam::222222222222:role/hang",
      "--sts-endpoint",
      sts.endpoint,
      "--timeout",
      "60",
      "--deadline",
      String(caseDeadlineSeconds(t)),
    ], { env: pod_env(), killAfterMs: 90_000 });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.equal(result.stderr, "");
    assert.match(
      line(result, "hop 1"),
      /^\[FAIL\] hop 1: AssumeRole did not finish before the overall deadline/,
    );
    assert.ok(result.ms < withinDeadlineMs(t), `took ${result.ms.toFixed(0)} ms`);
  }],
  [
    "an AWS config file that is a FIFO or /dev/zero is refused at once, like a token file",
    async (t) => {
      for (
        const [file, why] of [[join(dir, "config-fifo"), "it is not a regular file"], [
          "/dev/zero",
          "it is not a regular file",
        ]]
      ) {
        const result = await runEpicac(t, ["doctor"], {
          env: pod_env({ AWS_CONFIG_FILE: file, AWS_PROFILE: "dest" }),
          killAfterMs: 30_000,
        });
        assert.equal(result.code, 1);
        assert.match(
          line(result, "config"),
          new RegExp(`^\\[FAIL\\] config: cannot read the AWS config file ${file}: ${why}`),
        );
        assert.match(line(result, "agent"), /^\[pass\]/, "the other checks still run");
      }
    },
  ],
  ["a token with odd claims is described, never a crash", async (t) => {
    for (
      const [claims, expected] of [
        [
          { sub: "system:serviceaccount:a:b", exp: 1e17 },
          /JWT for system:serviceaccount:a:b, .*exp claim that is not a time/,
        ],
        [
          { sub: { toString: "x" }, aud: [{}], exp: "soon" },
          /JWT for \(not a string\), audience \(not a string\)/,
        ],
        [{ sub: null, exp: -1e300 }, /JWT for \(not a string\)/],
      ] as const
    ) {
      const file = join(dir, `odd-token-${Math.random().toString(36).slice(2)}`);
      writeFileSync(file, fakeJwt(claims));
      const result = await runEpicac(t, ["doctor"], {
        env: pod_env({ AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file }),
      });
      assert.equal(result.stderr, "", JSON.stringify(claims));
      assert.match(line(result, "token"), expected);
      line(result, "environment");
      line(result, "config");
    }
  }],
  ["a config file with sso-session and services sections, and sub-sections, passes", async (t) => {
    const result = await runEpicac(t, ["doctor"], {
      env: pod_env({ AWS_CONFIG_FILE: join(dir, "config-modern"), AWS_PROFILE: "dest" }),
    });
    assert.match(
      line(result, "config"),
      /^\[pass\] config: .*profile dest: dest: assumes arn:aws:iam::222222222222:role\/dest with profile src/,
    );
  }],
  ["the cache check passes a usable --cache-dir and fails one runs could not use", async (t) => {
    const good = join(dir, `cache-good-${Math.random().toString(36).slice(2)}`);
    const ok = await runEpicac(t, ["doctor", "--cache-dir", good], { env: pod_env() });
    assert.match(
      line(ok, "cache"),
      new RegExp(`^\\[pass\\] cache: ${good}: a private directory of this user, writable`),
    );
    const file = join(dir, "cache-is-a-file");
    writeFileSync(file, "x");
    const bad = await runEpicac(t, ["doctor", "--cache-dir", file], { env: pod_env() });
    assert.equal(bad.code, 1);
    assert.match(
      line(bad, "cache"),
      /^\[FAIL\] cache: the cache directory .* is not a directory, so every run goes uncached .* -- fix: point --cache-dir/,
    );
  }],
  ["the cache check fails a directory another user owns", async (t) => {
    const foreign = join(dir, `cache-foreign-${Math.random().toString(36).slice(2)}`);
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 65534, 65534);
    const result = await runEpicac(t, ["doctor", "--cache-dir", foreign], { env: pod_env() });
    assert.match(
      line(result, "cache"),
      /^\[FAIL\] cache: the cache directory .* belongs to uid 65534/,
    );
  }, !IS_ROOT && "needs root to give the directory to another user"],
];

for (const target of runnableTargets()) {
  for (const [name, fn, skip] of cases) {
    test(`${target.name}: doctor: ${name}`, { skip: skip || undefined }, () => fn(target));
  }
}
