// epicac end to end, as an AWS SDK runs it: a process against the loopback agent emulator, on
// every target (the sources under this runtime, and each compiled binary). Each case checks the
// exit code, that stdout carries credentials or nothing, what stderr names, and that no secret
// or token reaches stderr.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Agent, fakeCredentials } from "../fakes/agent.ts";
import { type AgentPod, type Env, startAgentPod } from "../support/pod.ts";
import {
  runEpicac,
  runnableTargets,
  type RunOptions,
  runProcess,
  type Target,
} from "../support/epicac.ts";
import { assertFailure, assertNoSecrets, parseSuccess } from "../support/assertions.ts";
import { fakeJwt } from "../support/jwt.ts";

const TOKEN = fakeJwt({ aud: ["pods.eks.amazonaws.com"] }, { signature: "c2lnbmF0dXJlLXRlc3Q" });
let pod: AgentPod;
let agent: Agent;
let dir: string;
let elsewhere: Server; // another host (127.0.0.2) that must never be contacted
let elsewhereHits = 0;

before(async () => {
  elsewhere = createServer((_req, res) => {
    elsewhereHits++;
    res.end("{}");
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.2", resolve));
  const redirectTo = `http://127.0.0.2:${(elsewhere.address() as AddressInfo).port}/steal`;
  pod = await startAgentPod("main", TOKEN, { redirectTo });
  ({ agent, dir } = pod);
});

after(async () => {
  await pod?.close();
  await new Promise((resolve) => elsewhere.close(resolve));
});

const SECRETS = () => [TOKEN, pod.served.SecretAccessKey, pod.served.Token];

/** The pod's environment as EKS Pod Identity sets it, pointing at the emulator. */
const podEnv = (path = "/v1/credentials", extra: Env = {}) => pod.env(extra, path);

/** Requests the agent received under `path` during `fn`. */
async function requestsDuring(path: string, fn: () => Promise<void>): Promise<number> {
  const count = () => agent.requests.filter((r) => r.path.startsWith(path)).length;
  const before = count();
  await fn();
  return count() - before;
}

type Case = [name: string, run: (target: Target) => Promise<void>];

const FAST = ["--timeout", "0.5", "--retries", "1"];
const run = (target: Target, args: string[], options: RunOptions) =>
  runEpicac(target, args, options);

const cases: Case[] = [
  ["prints the agent's credentials as credential_process JSON", async (t) => {
    const result = await run(t, [], { env: podEnv() });
    const doc = parseSuccess(result);
    assert.deepEqual(Object.keys(doc), [
      "Version",
      "AccessKeyId",
      "SecretAccessKey",
      "SessionToken",
      "Expiration",
      "AccountId",
    ]);
    assert.equal(doc.Version, 1);
    assert.equal(doc.AccessKeyId, pod.served.AccessKeyId);
    assert.equal(doc.SecretAccessKey, pod.served.SecretAccessKey);
    assert.equal(doc.SessionToken, pod.served.Token);
    assert.equal(doc.AccountId, pod.served.AccountId);
    // The agent's nanoseconds become ISO 8601 milliseconds, the same instant.
    assert.equal(doc.Expiration, pod.served.Expiration.replace(/(\.\d{3})\d+Z$/, "$1Z"));
    const last = agent.requests.at(-1)!;
    assert.equal(last.authorization, TOKEN, "the token file's contents, trimmed, as Authorization");
    assert.equal(last.method, "GET");
  }],
  ["reads the token file afresh on every run (the kubelet rotates it)", async (t) => {
    const rotated = `${TOKEN}.rotated`;
    const file = join(dir, `rotating-${t.name.replace(/\W/g, "")}`);
    writeFileSync(file, `${rotated}\n`);
    const result = await run(t, [], {
      env: podEnv("/v1/credentials", { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file }),
    });
    // The emulator expects TOKEN, so the rotated token is refused: proof the file was read.
    assertFailure(result, { stderr: /HTTP 403: Access Denied/, secrets: [rotated, ...SECRETS()] });
    assert.equal(agent.requests.at(-1)!.authorization, rotated);
  }],
  ["uses AWS_CONTAINER_AUTHORIZATION_TOKEN when there is no token file", async (t) => {
    const env = podEnv("/v1/credentials", {
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: undefined,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: TOKEN,
    });
    assert.equal(parseSuccess(await run(t, [], { env })).AccessKeyId, pod.served.AccessKeyId);
  }],
  ["--format env prints export lines a shell can eval, quoting hostile values", async (t) => {
    const marker = join(dir, `pwned-${t.name.replace(/\W/g, "")}`);
    const hostile = fakeCredentials({ SecretAccessKey: `it's$(touch\${IFS}${marker})\`id\`"x"` });
    const saved = pod.served;
    pod.served = hostile;
    try {
      const result = await run(t, ["--format", "env"], { env: podEnv() });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^export AWS_ACCESS_KEY_ID='ASIA/);
      const shell = await runProcess("sh", [
        "-c",
        `eval "$1"; printf '%s|%s|%s|%s|%s' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" "$AWS_ACCOUNT_ID"`,
        "sh",
        result.stdout,
      ]);
      assert.equal(
        shell.stdout,
        [
          hostile.AccessKeyId,
          hostile.SecretAccessKey,
          hostile.Token,
          hostile.Expiration.replace(/(\.\d{3})\d+Z$/, "$1Z"),
          hostile.AccountId,
        ].join("|"),
      );
      assert.ok(!existsSync(marker), "nothing in a value may be executed by the shell");
    } finally {
      pod.served = saved;
    }
  }],
  ["derives AccountId from an ECS RoleArn", async (t) => {
    assert.equal(parseSuccess(await run(t, [], { env: podEnv("/ecs") })).AccountId, "444455556666");
  }],
  ["HTTP 400 with no token names the agent's message", async (t) => {
    const env = podEnv("/v1/credentials", { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: undefined });
    assertFailure(await run(t, [], { env }), {
      stderr: /HTTP 400: Service account token cannot be empty \(check/,
    });
  }],
  ["HTTP 403 is reported with the agent's message and not retried", async (t) => {
    const sent = await requestsDuring("/status", async () => {
      assertFailure(await run(t, [], { env: podEnv("/status/403") }), {
        stderr:
          /answered HTTP 403: Access Denied\. The Service Account Token is not valid \(check that an EKS Pod Identity association exists/,
        secrets: SECRETS(),
      });
    });
    assert.equal(sent, 1);
  }],
  ["HTTP 404 points at the association", async (t) => {
    assertFailure(await run(t, [], { env: podEnv("/status/404") }), {
      stderr: /HTTP 404: Not Found\..*association/,
    });
  }],
  ["HTTP 429 is retried, then reported", async (t) => {
    const sent = await requestsDuring("/status", async () => {
      assertFailure(await run(t, ["--retries", "2"], { env: podEnv("/status/429") }), {
        stderr: /HTTP 429: Too Many Requests.*gave up after 3 attempts/,
      });
    });
    assert.equal(sent, 3);
  }],
  ["HTTP 500 and 503 are retried, then reported", async (t) => {
    for (const status of [500, 503]) {
      const sent = await requestsDuring("/status", async () => {
        assertFailure(await run(t, ["--retries", "1"], { env: podEnv(`/status/${status}`) }), {
          stderr: new RegExp(`HTTP ${status}: .*gave up after 2 attempts.*eks-pod-identity-agent`),
        });
      });
      assert.equal(sent, 2, `HTTP ${status}`);
    }
  }],
  ["recovers when the agent fails twice with 503, then answers", async (t) => {
    const path = `/flaky/2/${t.name.replace(/\W/g, "")}`;
    const sent = await requestsDuring("/flaky/2/" + t.name.replace(/\W/g, ""), async () => {
      assert.equal(
        parseSuccess(await run(t, [], { env: podEnv(path) })).AccessKeyId,
        pod.served.AccessKeyId,
      );
    });
    assert.equal(sent, 3);
  }],
  ["malformed JSON is refused without quoting the body", async (t) => {
    assertFailure(await run(t, [], { env: podEnv("/malformed") }), {
      stderr: /HTTP 200 with a body that is not JSON \(application\/json, \d+ bytes\)/,
      secrets: SECRETS(),
    });
  }],
  ["an HTML page is refused", async (t) => {
    assertFailure(await run(t, [], { env: podEnv("/html") }), {
      stderr: /not JSON \(text\/html, \d+ bytes\)/,
    });
    assertFailure(await run(t, ["--retries", "0"], { env: podEnv("/html-error") }), {
      stderr: /HTTP 502: \(an HTML page, text\/html/,
    });
  }],
  ["missing fields are named", async (t) => {
    assertFailure(await run(t, [], { env: podEnv("/missing-fields") }), {
      stderr: /SecretAccessKey is missing/,
      secrets: SECRETS(),
    });
    assertFailure(await run(t, [], { env: podEnv("/not-object") }), {
      stderr: /not a JSON object/,
    });
    assertFailure(await run(t, [], { env: podEnv("/bad-expiration") }), {
      stderr: /Expiration that is not an RFC 3339 timestamp/,
      secrets: SECRETS(),
    });
  }],
  ["credentials that are already expired are an error", async (t) => {
    assertFailure(await run(t, [], { env: podEnv("/expired") }), {
      stderr: /returned credentials that expired at .*check the clock/,
      secrets: SECRETS(),
    });
  }],
  ["a redirect to another host is not followed", async (t) => {
    const hits = elsewhereHits;
    assertFailure(await run(t, [], { env: podEnv("/redirect") }), {
      stderr: /answered HTTP 302, a redirect to 127\.0\.0\.2:\d+; redirects are not followed/,
      secrets: SECRETS(),
    });
    assert.equal(elsewhereHits, hits, "the other host was contacted");
  }],
  ["a body over 64 KiB is refused, with or without Content-Length", async (t) => {
    for (const path of ["/oversized", "/oversized/chunked"]) {
      assertFailure(await run(t, [], { env: podEnv(path) }), {
        stderr: /sent a body larger than 65536 bytes/,
        secrets: SECRETS(),
      });
    }
  }],
  ["a slow answer within --timeout succeeds; beyond it, times out", async (t) => {
    assert.equal(
      parseSuccess(await run(t, ["--timeout", "2"], { env: podEnv("/slow/300") })).AccessKeyId,
      pod.served.AccessKeyId,
    );
    assertFailure(await run(t, FAST, { env: podEnv("/slow/3000") }), {
      stderr:
        /no complete answer from the credentials agent at http:\/\/127\.0\.0\.1:\d+ within 0\.5s; gave up after 2 attempts/,
    });
  }],
  ["a body that never finishes times out", async (t) => {
    assertFailure(await run(t, FAST, { env: podEnv("/slow-body") }), {
      stderr: /no complete answer .* within 0\.5s/,
    });
  }],
  ["a hung agent cannot hang the caller: the default 5 s deadline ends the run", async (t) => {
    const result = await run(t, [], { env: podEnv("/hang"), killAfterMs: 30_000 });
    // Which ends the last attempt depends on timing: its own 1 s timeout, or the deadline itself.
    assertFailure(result, {
      stderr:
        /no complete answer .* (within 1s|before the overall deadline); (gave up|overall deadline of 5s reached) after \d attempts/,
    });
    // The deadline, plus slack for start-up on a loaded (or emulated) machine.
    const slack = t.emulated ? 8000 : 4000;
    assert.ok(result.ms < 5000 + slack, `took ${result.ms.toFixed(0)} ms`);
  }],
  ["a refused connection is retried, then reported", async (t) => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const env = podEnv("/", {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/v1/credentials`,
    });
    assertFailure(await run(t, FAST, { env }), {
      stderr:
        /cannot connect to the credentials agent at http:\/\/127\.0\.0\.1:\d+: connection refused; gave up after 2 attempts/,
    });
  }],
  ["a token quoted back by a hostile agent never reaches stderr", async (t) => {
    assertFailure(await run(t, [], { env: podEnv("/echo-token") }), {
      stderr: /HTTP 403: Access Denied for token \[redacted\]/,
      secrets: SECRETS(),
    });
  }],
  ["--debug logs steps and statuses, never secrets", async (t) => {
    const result = await run(t, ["--debug"], { env: podEnv() });
    assert.equal(result.code, 0);
    assert.equal(JSON.parse(result.stdout).SecretAccessKey, pod.served.SecretAccessKey);
    assert.match(
      result.stderr,
      /epicac: debug .*GET http:\/\/127\.0\.0\.1:\d+\/v1\/credentials: HTTP 200/,
    );
    assert.match(result.stderr, /expire at/);
    assertNoSecrets(result.stderr, SECRETS());
    const failed = await run(t, ["--debug", ...FAST], { env: podEnv("/status/503") });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /retrying in \d+ms/);
    assertNoSecrets(failed.stderr, SECRETS());
  }],
  ["proxy variables are ignored: the agent is called directly", async (t) => {
    const seenByProxy: string[] = [];
    const proxy = createServer((req, res) => {
      seenByProxy.push(req.headers.authorization ?? "");
      res.writeHead(502).end();
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const env = podEnv("/v1/credentials", {
        HTTP_PROXY: proxyUrl,
        http_proxy: proxyUrl,
        ALL_PROXY: proxyUrl,
      });
      assert.equal(parseSuccess(await run(t, [], { env })).AccessKeyId, pod.served.AccessKeyId);
      assert.deepEqual(seenByProxy, [], "the proxy saw the request");
      assert.equal(agent.requests.at(-1)!.viaProxyForm, false);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  }],
  ["no endpoint configured: names the variable", async (t) => {
    assertFailure(await run(t, [], { env: { HOME: dir } }), {
      stderr: /AWS_CONTAINER_CREDENTIALS_FULL_URI is not set.*association/,
    });
  }],
  ["an unreadable token file is named, and nothing is sent", async (t) => {
    const missing = join(dir, "no-such-token");
    const sent = await requestsDuring("/v1/credentials", async () => {
      assertFailure(
        await run(t, [], {
          env: podEnv("/v1/credentials", { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: missing }),
        }),
        {
          stderr: new RegExp(
            `cannot read the token file ${missing} .*no such file.*projected service-account token`,
          ),
        },
      );
    });
    assert.equal(sent, 0);
  }],
  ["a token holding CR or LF is refused before any request", async (t) => {
    const file = join(dir, `crlf-${t.name.replace(/\W/g, "")}`);
    writeFileSync(file, `${TOKEN}\r\nX-Injected: 1\n`);
    chmodSync(file, 0o600);
    const sent = await requestsDuring("/v1/credentials", async () => {
      assertFailure(
        await run(t, [], {
          env: podEnv("/v1/credentials", { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file }),
        }),
        {
          stderr: /holds a line break inside the token/,
          secrets: SECRETS(),
        },
      );
    });
    assert.equal(sent, 0);
  }],
  ["plain http to a host that is not an agent is refused before connecting", async (t) => {
    for (
      const [uri, host] of [["http://169.254.169.254/latest/meta-data/", "169.254.169.254"], [
        "http://10.1.2.3/v1/credentials",
        "10.1.2.3",
      ]]
    ) {
      const env = podEnv("/", { AWS_CONTAINER_CREDENTIALS_FULL_URI: uri });
      assertFailure(await run(t, [], { env }), {
        stderr: new RegExp(
          `points at ${host.replaceAll(".", "\\.")} over plain http, which is refused`,
        ),
        secrets: SECRETS(),
      });
    }
  }],
  ["usage errors exit 2 with one line", async (t) => {
    assertFailure(await run(t, ["--no-such-flag"], { env: podEnv() }), {
      code: 2,
      stderr: /Unknown option '--no-such-flag' \(see epicac --help\)/,
    });
    assertFailure(await run(t, ["--format", "yaml"], { env: podEnv() }), {
      code: 2,
      stderr: /--format must be one of json, env/,
    });
    assertFailure(await run(t, ["--timeout", "soon"], { env: podEnv() }), {
      code: 2,
      stderr: /--timeout takes a number of seconds/,
    });
    assertFailure(await run(t, ["extra"], { env: podEnv() }), {
      code: 2,
      stderr: /Unexpected argument 'extra'/,
    });
  }],
  ["--help documents every flag, variable and exit code", async (t) => {
    const result = await run(t, ["--help"], { env: {} });
    assert.equal(result.code, 0);
    for (
      const word of [
        "--format",
        "--timeout",
        "--retries",
        "--deadline",
        "--debug",
        "--version",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "Exit codes",
        "  2  ",
      ]
    ) {
      assert.ok(result.stdout.includes(word), `--help mentions ${word}`);
    }
  }],
  ["--version names the version and the runtime it runs on", async (t) => {
    const result = await run(t, ["--version"], { env: {} });
    assert.equal(result.code, 0);
    const runtime = t.name.includes("deno") ? "deno" : t.name.includes("bun") ? "bun" : "";
    assert.match(
      result.stdout,
      new RegExp(
        `^epicac \\d+\\.\\d+\\.\\d+ \\(${runtime} \\d+\\.\\d+\\.\\d+, linux-(x64|arm64)\\)\\n$`,
      ),
    );
  }],
];

for (const target of runnableTargets({ denoBundle: true, emulated: true })) {
  for (const [name, fn] of cases) {
    test(`${target.name}: ${name}`, () => fn(target));
  }
}
