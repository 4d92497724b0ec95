// What a caller reads from epicac's streams, end to end on every target. On success stderr is
// empty in every mode (the C++ SDK parses `2>&1` as the credentials), and stdout carries the
// credentials only. Exit 0 means the credentials were written: a full disk, a reader that went
// away, or a stdout that was closed (which the runtimes reopen as /dev/null) is exit 1.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { FakeSts } from "../fakes/sts.ts";
import { type FakeStsPod, startFakeStsPod } from "../support/pod.ts";
import { runEpicac, runnableTargets, runProcess, type Target } from "../support/epicac.ts";
import { assertFailure } from "../support/assertions.ts";
import { fakeJwt } from "../support/jwt.ts";

const TOKEN = fakeJwt({ sub: "system:serviceaccount:app:str" }, { signature: "c2ln" });
const DEST = "arn:aws:iam::222222222222:role/dest";
let pod: FakeStsPod;
let sts: FakeSts;
let dir: string;
let serial = 0;

before(async () => {
  pod = await startFakeStsPod("streams", TOKEN);
  ({ sts, dir } = pod);
});

after(() => pod?.close());

const env = () => pod.env();

/** epicac with its stdout redirected by a shell (`>/dev/full`, `>&-`, into a closed pipe). */
function redirected(t: Target, args: string[], how: string) {
  const script = how === "pipe" ? `"$@" | true; exit "\${PIPESTATUS[0]}"` : `exec "$@" ${how}`;
  return runProcess("bash", ["-c", script, "bash", ...t.command, ...args], { env: env() });
}

type Case = [
  name: string,
  run: (t: Target) => Promise<void>,
  skip?: (t: Target) => string | undefined,
];

const cases: Case[] = [
  ["stderr stays empty on success in every mode, and stdout holds one document", async (t) => {
    const cache = join(dir, `cache-${++serial}`);
    const assume = ["--assume", DEST, "--sts-endpoint", sts.endpoint];
    const modes: [string, string[], RegExp][] = [
      ["default", [], /^\{"Version":1,.*\}\n$/],
      ["--assume", assume, /^\{"Version":1,.*"AccountId":"222222222222"\}\n$/],
      ["--cache-dir miss", [...assume, "--cache-dir", cache], /^\{"Version":1,.*\}\n$/],
      ["--cache-dir hit", [...assume, "--cache-dir", cache], /^\{"Version":1,.*\}\n$/],
      ["--format env", ["--format", "env"], /^(export AWS_[A-Z_]+='[^'\n]*'\n){4,5}$/],
      [
        "--format env --assume",
        ["--format", "env", ...assume],
        /^(export AWS_[A-Z_]+='[^'\n]*'\n){5}$/,
      ],
    ];
    const stsBefore = sts.requests.length;
    for (const [mode, args, stdout] of modes) {
      const result = await runEpicac(t, args, { env: env() });
      assert.equal(result.code, 0, `${mode}: ${result.stderr}`);
      assert.equal(result.stderr, "", `${mode}: stderr must stay empty on success`);
      assert.match(result.stdout, stdout, mode);
    }
    // --assume, the cache miss and --format env --assume: the cache hit made no STS call.
    assert.equal(sts.requests.length - stsBefore, 3);
  }],
  ["a stdout on a full disk is exit 1, one line on stderr", async (t) => {
    assertFailure(await redirected(t, [], ">/dev/full"), {
      stderr: /^epicac: cannot write the output to stdout: no space left on the device \(/,
    });
  }],
  ["a reader that closed the pipe is exit 1", async (t) => {
    const result = await redirected(t, [], "pipe");
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^epicac: cannot write the output to stdout: the reader closed it/);
  }],
  [
    "a closed stdout is exit 1: the credentials would be lost",
    async (t) => {
      assertFailure(await redirected(t, [], ">&-"), {
        stderr: /^epicac: stdout is closed or \/dev\/null: the credentials would be lost/,
      });
      assertFailure(await redirected(t, [], ">/dev/null"), {
        stderr: /stdout is closed or \/dev\/null/,
      });
      // Output that is not credentials may go anywhere.
      assert.equal((await redirected(t, ["--version"], ">&-")).code, 0);
    },
    (t) =>
      t.runtime === "deno"
        ? "the Deno sandbox denies any look at /dev and /proc without --allow-all, so the Deno build cannot tell a closed stdout (reopened as /dev/null) from a pipe"
        : undefined,
  ],
  [
    "a --duration with no room above the refresh window is a usage error with --cache-dir",
    async (t) => {
      const cache = join(dir, `cache-${++serial}`);
      const base = ["--assume", DEST, "--sts-endpoint", sts.endpoint, "--cache-dir", cache];
      assertFailure(await runEpicac(t, [...base, "--duration", "900"], { env: env() }), {
        code: 2,
        stderr:
          /--duration 900 leaves less than 30s above --refresh-before 900: with --cache-dir, every entry would already be due for refresh/,
      });
      assertFailure(
        await runEpicac(t, [...base, "--duration", "1800", "--refresh-before", "1800"], {
          env: env(),
        }),
        { code: 2, stderr: /--duration 1800 leaves less than 30s above --refresh-before 1800/ },
      );
      const ok = await runEpicac(t, [...base, "--duration", "960"], { env: env() });
      assert.equal(ok.code, 0, ok.stderr);
    },
  ],
];

for (const target of runnableTargets({ denoBundle: true, emulated: true })) {
  for (const [name, fn, skip] of cases) {
    test(`${target.name}: streams: ${name}`, { skip: skip?.(target) }, () => fn(target));
  }
}
