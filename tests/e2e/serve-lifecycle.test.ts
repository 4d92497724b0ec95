// epicac serve's life around its requests, as a process on every native target: a token file
// replaced as a Secret's update lands, the refusals at start (each exit 2 and one line), and the
// signals (HUP reads the token file, USR1, USR2 and ALRM are ignored, a second TERM or INT ends at
// once).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { quotedCredentials } from "../fakes/agent.ts";
import { type AgentPod, startAgentPod } from "../support/pod.ts";
import { runEpicac, runnableTargets, type Target } from "../support/epicac.ts";
import { type Serving, startServe } from "../support/serve.ts";
import { assertFailure, assertNoSecrets } from "../support/assertions.ts";

const TOKEN = "serve-token-from-a-secret-0123456789abcdef";
let pod: AgentPod;
let serial = 0;

before(async () => {
  pod = await startAgentPod("serve-lifecycle");
});

after(() => pod?.close());

const status = async (serving: Serving, token: string) =>
  (await fetch(serving.url(), { headers: { authorization: token } })).status;

async function withServe(
  target: Target,
  args: string[],
  run: (serving: Serving, tokenFile: string) => Promise<void>,
): Promise<void> {
  const tokenFile = join(pod.dir, `token-${++serial}`);
  writeFileSync(tokenFile, TOKEN);
  const serving = await startServe(target, args, pod.env(), tokenFile);
  try {
    await serving.waitForEvent("refreshed");
    await run(serving, tokenFile);
  } finally {
    await serving.stop("SIGKILL");
  }
  assertNoSecrets(serving.stderr(), [TOKEN, `${TOKEN}-rotated`, pod.served.SecretAccessKey]);
}

/** Replace the file atomically, as a Secret's update lands. */
function replace(path: string, text: string): void {
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
}

const cases: [string, (t: Target) => Promise<void>][] = [
  [
    "a replaced token file: the new token works at once, the old one until the grace ends",
    async (t) => {
      await withServe(t, ["--token-grace", "2"], async (serving, tokenFile) => {
        assert.equal(await status(serving, TOKEN), 200);
        replace(tokenFile, `${TOKEN}-rotated`);
        assert.equal(
          await status(serving, `${TOKEN}-rotated`),
          200,
          "at once, on the first request",
        );
        await serving.waitForEvent("token rotated");
        assert.equal(await status(serving, TOKEN), 200, "the previous token, within the grace");
        const graceEnds = Date.now() + 2000;
        while (Date.now() < graceEnds + 200) await new Promise((r) => setTimeout(r, 100));
        assert.equal(await status(serving, TOKEN), 403, "the previous token, after the grace");
        assert.equal(await status(serving, `${TOKEN}-rotated`), 200);
      });
    },
  ],

  [
    "SIGHUP reads the token file; USR1, USR2 and ALRM are ignored; a second TERM ends at once",
    async (t) => {
      await withServe(t, [], async (serving, tokenFile) => {
        replace(tokenFile, `${TOKEN}-rotated`);
        serving.signal("SIGHUP");
        await serving.waitForEvent("token rotated");
        for (const signal of ["SIGUSR1", "SIGUSR2", "SIGALRM"] as const) serving.signal(signal);
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(await status(serving, `${TOKEN}-rotated`), 200, "still serving");
        // A request that never ends keeps the first TERM's grace waiting; the second ends it.
        const { connect } = await import("node:net");
        const hold = connect(serving.port, "127.0.0.1");
        await new Promise((resolve) => hold.once("connect", resolve));
        await new Promise((resolve) => hold.write("GET /healthz HTTP/1.1\r\n", resolve));
        // Received by serve (a request arriving) before the first TERM, or TERM would end at once.
        await new Promise((resolve) => setTimeout(resolve, 300));
        void serving.stop("SIGTERM");
        await serving.waitForEvent("stopping");
        const { code } = await serving.stop("SIGTERM");
        hold.destroy();
        assert.equal(code, 143);
      });
    },
  ],

  ["refused requests are logged as counts, not one line each", async (t) => {
    await withServe(t, [], async (serving) => {
      for (let i = 0; i < 50; i++) assert.equal(await status(serving, `wrong-${i}`), 403);
      assert.equal((await fetch(serving.url())).status, 401);
      const { code } = await serving.stop("SIGTERM");
      assert.equal(code, 0);
      const refused = serving.events().filter((e) => e.event === "requests refused");
      assert.deepEqual(refused.map(({ status401, status403 }) => ({ status401, status403 })), [
        { status401: 1, status403: 50 },
      ]);
    });
  }],

  [
    "an upstream plain-text 500 quoting credentials: no secret in the log, an answer or /readyz",
    async (t) => {
      const tokenFile = join(pod.dir, `token-${++serial}`);
      writeFileSync(tokenFile, TOKEN);
      const serving = await startServe(t, [], pod.env({}, "/quote-credentials"), tokenFile);
      try {
        await serving.waitForEvent("refresh failed");
        const bodies = await Promise.all([
          fetch(serving.url(), { headers: { authorization: TOKEN } }),
          fetch(serving.url("/readyz"), { headers: { authorization: TOKEN } }),
          fetch(serving.url("/readyz")),
          fetch(serving.url("/metrics")),
        ].map(async (answer) => (await answer).text()));
        assert.match(
          bodies[0],
          /^no valid credentials for route default: .*upstream failed: AccessKeyId \[redacted-key-id\]/,
        );
        assert.equal(bodies[2], "not ready: route default\n");
        const quoted = quotedCredentials.flatMap((
          c,
        ) => [c.AccessKeyId, c.SecretAccessKey, c.Token]);
        assertNoSecrets([...bodies, serving.stderr()].join("\n"), [TOKEN, ...quoted]);
      } finally {
        await serving.stop("SIGKILL");
      }
    },
  ],

  ["what cannot work is refused at start: exit 2, one line, before listening", async (t) => {
    const env = pod.env();
    const refused = async (args: string[], token: string | undefined, stderr: RegExp) => {
      const file = join(pod.dir, `refused-${++serial}`);
      if (token !== undefined) writeFileSync(file, token);
      const result = await runEpicac(t, ["serve", "--token-file", file, ...args], { env });
      assertFailure(result, { code: 2, stderr, secrets: token ? [token.trim()] : [] });
    };
    await refused([], `\ufeff${TOKEN}`, /cannot be used: .*byte-order mark/);
    await refused([], `${TOKEN}\u00a0`, /cannot be used: it starts or ends/);
    await refused([], "x".repeat(9000), /cannot be used: it holds a token of 9000 characters/);
    const dangling = join(pod.dir, `dangling-${++serial}`);
    symlinkSync(join(pod.dir, "..data", "token"), dangling);
    assertFailure(await runEpicac(t, ["serve", "--token-file", dangling], { env }), {
      code: 2,
      stderr: /is a symbolic link to nothing/,
    });
    for (
      const listen of [
        "127.0.0.08:0",
        "127.1:0",
        "localhost.:0",
        "10.9.9.9:0",
        "[::ffff:127.0.0.1]:0",
      ]
    ) {
      await refused(["--listen", listen], TOKEN, /^epicac: --listen takes a loopback HOST:PORT/);
    }
    for (const name of ["other", "metrics", "healthz", "readyz", "default"]) {
      await refused(
        ["--no-default-route", "--route", `${name}=arn:aws:iam::222222222222:role/x`],
        TOKEN,
        new RegExp(`--route ${name}: the names .* are the server's own`),
      );
    }
    await refused(
      ["--assume", "arn:aws:iam::222222222222:role/x", "--duration", "901"],
      TOKEN,
      /--duration 901 leaves less than 30s above --refresh-before 900/,
    );
  }],

  ["localhost means 127.0.0.1, whatever /etc/hosts says", async (t) => {
    const tokenFile = join(pod.dir, `token-${++serial}`);
    writeFileSync(tokenFile, TOKEN);
    const serving = await startServe(t, ["--listen", "localhost:0"], pod.env(), tokenFile);
    try {
      assert.match(String((await serving.waitForEvent("started")).listen), /^127\.0\.0\.1:\d+$/);
    } finally {
      await serving.stop("SIGKILL");
    }
  }],
];

for (const target of runnableTargets({ denoBundle: true })) {
  for (const [name, fn] of cases) test(`${target.name}: serve ${name}`, () => fn(target));
}
