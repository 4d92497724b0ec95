// STS treated as a hostile peer, end to end on every target: its answers are checked like the
// agent's (expiry, every field, printable values), each attempt is bounded by --timeout even
// when the body trickles, an answer's size is capped, and the STS client depends on no AWS config
// file at all: an endpoint_url there is never called, and a FIFO or /dev/zero there neither
// hangs nor floods a run.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentCredentials } from "../fakes/agent.ts";
import type { FakeSts } from "../fakes/sts.ts";
import { type Env, type FakeStsPod, startFakeStsPod } from "../support/pod.ts";
import {
  runEpicac,
  runEpicacTimed,
  runnableTargets,
  type RunOptions,
  type Target,
} from "../support/epicac.ts";
import { assertFailure, parseSuccess } from "../support/assertions.ts";
import { needsLoopbackOnly } from "../support/network.ts";
import { fakeJwt } from "../support/jwt.ts";

const TOKEN = fakeJwt({ sub: "system:serviceaccount:app:sts" }, { signature: "c2ln" });
const DEST = "arn:aws:iam::222222222222:role/dest";
let pod: FakeStsPod;
let source: AgentCredentials;
let sts: FakeSts;
let dir: string;
let elsewhere: Server; // the endpoint an AWS config file names: it must never be called
const elsewhereHits: string[] = [];

before(async () => {
  pod = await startFakeStsPod("sts-answers", TOKEN);
  ({ served: source, sts, dir } = pod);
  elsewhere = createServer((req, res) => {
    elsewhereHits.push(req.headers.authorization ?? "(unsigned)");
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
  const port = (elsewhere.address() as AddressInfo).port;
  // Plain http to a host the endpoint rule refuses ([::ffff:127.0.0.1] is not loopback by name),
  // which still reaches this test: in the default profile, in a services section, in a profile.
  writeFileSync(
    join(dir, "config-endpoints"),
    [
      "[default]",
      `endpoint_url = http://[::ffff:127.0.0.1]:${port}`,
      "services = elsewhere",
      "[services elsewhere]",
      "sts =",
      `  endpoint_url = http://[::ffff:127.0.0.1]:${port}`,
      "[profile other]",
      `endpoint_url = http://[::ffff:127.0.0.1]:${port}`,
      "",
    ].join("\n"),
  );
  execFileSync("mkfifo", [join(dir, "config-fifo")]);
});

after(async () => {
  await pod?.close();
  await new Promise((resolve) => elsewhere?.close(resolve));
});

const podEnv = (extra: Env = {}) => pod.env(extra);

const arn = (role: string) => `arn:aws:iam::222222222222:role/${role}`;
const SECRETS = () => [TOKEN, source.SecretAccessKey, source.Token];

async function assume(t: Target, args: string[], options: RunOptions = {}) {
  const first = sts.requests.length;
  const result = await runEpicac(t, [...args, "--sts-endpoint", sts.endpoint], {
    env: podEnv(),
    ...options,
  });
  return { result, calls: sts.requests.length - first };
}

type Case = [name: string, run: (t: Target) => Promise<void>, skip?: string];

const cases: Case[] = [
  ["an answer whose credentials expired in 1970 is refused", async (t) => {
    const { result } = await assume(t, ["--assume", arn("expired-1970")]);
    assertFailure(result, {
      stderr: /STS .*returned credentials that expired at 1970-01-01T00:00:00\.000Z/,
    });
  }],
  [
    "an answer without Expiration is refused: SDKs would treat the credentials as never expiring",
    async (t) => {
      const { result } = await assume(t, ["--assume", arn("no-expiration")]);
      assertFailure(result, {
        stderr: /answered with credentials that are incomplete or malformed: Expiration is missing/,
      });
    },
  ],
  [
    "an AccessKeyId with a space, a secret with a newline, a 7-character secret, no token: each refused unquoted",
    async (t) => {
      for (
        const [role, field] of [
          ["spaced-key", "AccessKeyId is malformed"],
          ["newline-secret", "SecretAccessKey is malformed"],
          ["short-secret", "SecretAccessKey is malformed"],
          ["no-token", "SessionToken is missing"],
        ]
      ) {
        const { result } = await assume(t, ["--assume", arn(role)]);
        assertFailure(result, {
          stderr: new RegExp(`incomplete or malformed: ${field}`),
          secrets: [...SECRETS(), "SPACED KEY", "stubSecretWith", "short7!"],
        });
      }
    },
  ],
  ["--timeout bounds each STS attempt, the body included, even when it trickles", async (t) => {
    const run = await runEpicacTimed(t, [
      "--assume",
      arn("drip"),
      "--sts-endpoint",
      sts.endpoint,
      "--timeout",
      "0.5",
      "--retries",
      "1",
      "--deadline",
      "10",
    ], { env: podEnv() });
    assertFailure(run, {
      stderr:
        /sts:AssumeRole of .*role\/drip failed: no answer from STS at http:\/\/127\.0\.0\.1:\d+ in time/,
    });
    // Cut per attempt, not by the 10 s deadline (whose message differs).
    assert.ok(run.ms < 10_000, `took ${run.ms.toFixed(0)} ms`);
  }],
  ["a 100 MiB answer is refused at the cap, without reading it whole", async (t) => {
    const run = await runEpicacTimed(t, [
      "--assume",
      arn("huge"),
      "--sts-endpoint",
      sts.endpoint,
      "--retries",
      "0",
    ], { env: podEnv() });
    assertFailure(run, {
      stderr:
        /sts:AssumeRole of .*role\/huge failed: STS at http:\/\/127\.0\.0\.1:\d+ sent a body larger than 65536 bytes/,
    });
    // A run's own footprint is some tens of MiB (more under qemu); 100 MiB read whole is far more.
    const limitKiB = (t.emulated ? 250 : 120) * 1024;
    assert.ok(run.maxRssKiB < limitKiB, `peak RSS ${run.maxRssKiB} KiB`);
  }],
  ["an AWS config file that is a FIFO or /dev/zero plays no part in --assume", async (t) => {
    for (const file of [join(dir, "config-fifo"), "/dev/zero"]) {
      const { result, calls } = await assume(t, ["--assume", DEST, "--deadline", "5"], {
        env: podEnv({ AWS_CONFIG_FILE: file, AWS_SHARED_CREDENTIALS_FILE: file }),
        killAfterMs: 30_000,
      });
      parseSuccess(result);
      assert.equal(calls, 1, file);
    }
  }],
  [
    "an AWS config file that is a FIFO plays no part for a web identity source either",
    async (t) => {
      const webToken = join(dir, "web-identity-token");
      writeFileSync(webToken, TOKEN);
      const { result, calls } = await assume(t, [], {
        env: {
          HOME: dir,
          AWS_WEB_IDENTITY_TOKEN_FILE: webToken,
          AWS_ROLE_ARN: arn("irsa"),
          AWS_REGION: "us-west-2",
          AWS_CONFIG_FILE: join(dir, "config-fifo"),
          AWS_SHARED_CREDENTIALS_FILE: join(dir, "config-fifo"),
        },
        killAfterMs: 30_000,
      });
      parseSuccess(result);
      assert.equal(calls, 1);
    },
  ],
  [
    "an endpoint_url in the AWS config file is never called, in any section",
    async (t) => {
      const before = elsewhereHits.length;
      for (const profile of [undefined, "other"]) {
        // No endpoint flag or variable: the run calls the regional endpoint, which this network
        // namespace cannot reach; the config file's endpoint would be reachable.
        const result = await runEpicac(t, ["--assume", DEST, "--retries", "0"], {
          env: podEnv({ AWS_CONFIG_FILE: join(dir, "config-endpoints"), AWS_PROFILE: profile }),
        });
        assertFailure(result, {
          stderr:
            /cannot (connect to|reach) STS at (https:\/\/sts\.us-west-2\.amazonaws\.com|the STS endpoint for us-west-2)/,
          secrets: SECRETS(),
        });
      }
      assert.equal(
        elsewhereHits.length - before,
        0,
        "a signed request went to the config's endpoint",
      );
    },
    needsLoopbackOnly(),
  ],
  [
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=TRUE does not let an http endpoint through unchecked",
    async (t) => {
      const before = elsewhereHits.length;
      const port = (elsewhere.address() as AddressInfo).port;
      const result = await runEpicac(t, ["--assume", DEST, "--retries", "0"], {
        env: podEnv({
          AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "TRUE",
          AWS_ENDPOINT_URL_STS: `http://[::ffff:127.0.0.1]:${port}`,
        }),
      });
      assert.notEqual(result.code, 0);
      assert.equal(
        elsewhereHits.length - before,
        0,
        "a signed request went to the variable's endpoint",
      );
    },
    needsLoopbackOnly(),
  ],
];

for (const target of runnableTargets({ denoBundle: true })) {
  for (const [name, fn, skip] of cases) {
    test(`${target.name}: STS answer: ${name}`, { skip }, () => fn(target));
  }
}
