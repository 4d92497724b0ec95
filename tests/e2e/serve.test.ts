// epicac serve end to end, as a process on every native target (and a smoke run of the arm64
// binary under qemu): the agent emulator as its source, the loopback STS stub for its hops (with
// its `control` to fail, slow down or shorten refreshes), and plain HTTP from this process as the
// client. Each case starts its own server and, at the end, checks that no secret reached its
// stderr.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeStsPod, startFakeStsPod } from "../support/pod.ts";
import { runEpicac, runnableTargets, type Target } from "../support/epicac.ts";
import { type Serving, startServe } from "../support/serve.ts";
import { assertNoSecrets, parseAgentCredentials } from "../support/assertions.ts";
import { fakeJwt } from "../support/jwt.ts";
import { closedPort } from "../support/network.ts";
import { WallClock } from "../support/wall-clock.ts";
import { fakeCredentials, rfc3339Nanos } from "../fakes/agent.ts";

const POD_TOKEN = fakeJwt({ sub: "system:serviceaccount:app:app" }, { signature: "c2ln" });
const DEST = "arn:aws:iam::222222222222:role/dest";
const AUDIT = "arn:aws:iam::333333333333:role/audit";
/** serve's fixed limits (src/commands/serve.ts). */
const HEADER_TIMEOUT_MS = 5000;
const MAX_CONNECTIONS = 512;
const STOP_WITHIN_MS = 5000;

let pod: FakeStsPod;
let serial = 0;

before(async () => {
  pod = await startFakeStsPod("serve", POD_TOKEN);
});

after(() => pod?.close());

interface Answer {
  status: number;
  type: string | null;
  body: string;
}

/** Everything secret a case saw: none of it may appear on serve's stderr or in its metrics. */
let secrets: string[] = [];

async function get(
  url: string,
  authorization?: string,
  method = "GET",
): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: authorization === undefined ? {} : { authorization },
  });
  const answer = {
    status: response.status,
    type: response.headers.get("content-type"),
    body: await response.text(),
  };
  if (answer.status === 200 && answer.type === "application/json" && answer.body) {
    const doc = JSON.parse(answer.body);
    secrets.push(doc.SecretAccessKey, doc.Token);
  }
  return answer;
}

/** A credentials answer, parsed and checked against the agent's format. */
function credentialsOf(answer: Answer): Record<string, string> {
  assert.equal(answer.status, 200, answer.body);
  assert.equal(answer.type, "application/json");
  const doc = parseAgentCredentials(answer.body);
  assert.match(doc.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.ok(Date.parse(doc.Expiration) > Date.now(), "served credentials are still valid");
  return doc;
}

/** Step serve's wall clock, and STS's idea of the caller's with it. */
function jump(clock: WallClock, seconds: number): void {
  clock.jump(seconds);
  pod.sts.control.clockOffsetSeconds = clock.offsetSeconds;
}

const assumed = (role: string, from = 0) =>
  pod.sts.requests.slice(from).filter((r) => r.params.RoleArn === role);

/** Run a case against a server started with `args`; stop it and check its stderr at the end. */
async function withServe(
  target: Target,
  args: string[],
  run: (serving: Serving, tokenFile: string) => Promise<void>,
  options: { token?: string; clock?: WallClock } = {},
): Promise<void> {
  const tokenFile = join(pod.dir, `serve-token-${++serial}`);
  if (options.token !== undefined) writeFileSync(tokenFile, options.token);
  secrets = [POD_TOKEN, pod.served.SecretAccessKey, pod.served.Token];
  const served = pod.served;
  if (options.clock) {
    // The source's credentials must outlast the jumps, as the agent's (up to six hours) do.
    pod.served = fakeCredentials({ Expiration: rfc3339Nanos(new Date(Date.now() + 6 * 3600_000)) });
  }
  const serving = await startServe(
    target,
    [...args, "--sts-endpoint", pod.sts.endpoint],
    { ...pod.env(), ...options.clock?.env() },
    tokenFile,
  );
  try {
    await run(serving, tokenFile);
  } finally {
    for (const key of Object.keys(pod.sts.control)) delete (pod.sts.control as never)[key];
    pod.served = served;
    options.clock?.close();
    await serving.stop("SIGKILL");
  }
  secrets.push(serving.token());
  assertNoSecrets(serving.stderr(), secrets);
}

function request(port: number): Socket {
  return connect({ host: "127.0.0.1", port });
}

/** What a raw connection receives until the server closes it, and when that happened. */
function untilClosed(socket: Socket): Promise<{ text: string; at: number }> {
  return new Promise((resolve) => {
    let text = "";
    socket.setEncoding("utf8").on("data", (d) => (text += d));
    socket.on("error", () => {});
    socket.on("close", () => resolve({ text, at: performance.now() }));
  });
}

type Case = [name: string, run: (t: Target) => Promise<void>];

const cases: Case[] = [
  ["serves the default and a named route, each from one AssumeRole at start", async (t) => {
    const from = pod.sts.requests.length;
    await withServe(t, [
      "--assume",
      DEST,
      "--session-name",
      "app-pod",
      "--route",
      `audit=${AUDIT},external-id=audit-ext-7f3c`,
    ], async (serving, tokenFile) => {
      const started = await serving.waitForEvent("started");
      assert.deepEqual(started.routes, ["/v1/credentials", "/v1/credentials/audit"]);
      assert.equal(started.tokenGenerated, true);
      assert.match(serving.token(), /^[A-Za-z0-9_-]{43}$/);
      assert.equal(statSync(tokenFile).mode & 0o777, 0o640);
      await serving.waitForEvent("refreshed", (e) => e.route === "default");
      await serving.waitForEvent("refreshed", (e) => e.route === "audit");

      const dest = credentialsOf(await get(serving.url(), serving.token()));
      assert.equal(dest.AccountId, "222222222222");
      const audit = credentialsOf(await get(serving.url("/v1/credentials/audit"), serving.token()));
      assert.equal(audit.AccountId, "333333333333");
      assert.notEqual(audit.AccessKeyId, dest.AccessKeyId);
      const [destCall] = assumed(DEST, from);
      const [auditCall] = assumed(AUDIT, from);
      assert.equal(destCall.params.RoleSessionName, "app-pod");
      assert.equal(destCall.params.ExternalId, undefined);
      assert.equal(auditCall.params.ExternalId, "audit-ext-7f3c");
      for (const call of [destCall, auditCall]) {
        assert.equal(call.accessKeyId, pod.served.AccessKeyId, "signed with the pod's credentials");
      }
      // Served from memory: many requests, no further STS call.
      for (let i = 0; i < 20; i++) {
        assert.equal(
          credentialsOf(await get(serving.url(), serving.token())).AccessKeyId,
          dest.AccessKeyId,
        );
      }
      const head = await get(serving.url(), serving.token(), "HEAD");
      assert.equal(head.status, 200);
      assert.equal(head.body, "");
      assert.equal(pod.sts.requests.length - from, 2);
      assert.deepEqual(await get(serving.url("/healthz")), {
        status: 200,
        type: "text/plain; charset=utf-8",
        body: "ok\n",
      });
      assert.equal((await get(serving.url("/readyz"))).status, 200);
    });
  }],

  [
    "without hops it is a caching proxy for the agent; a Secret's token is used as it is",
    async (t) => {
      const token = `secret-token-${"k".repeat(40)}`;
      const before = pod.agent.requests.length;
      await withServe(t, [], async (serving, tokenFile) => {
        const started = await serving.waitForEvent("refreshed");
        assert.equal(started.route, "default");
        for (let i = 0; i < 10; i++) {
          const doc = credentialsOf(await get(serving.url(), token));
          assert.equal(doc.AccessKeyId, pod.served.AccessKeyId);
          assert.equal(doc.AccountId, pod.served.AccountId);
        }
        assert.equal(pod.agent.requests.length - before, 1, "one agent request for ten answers");
        assert.equal(serving.events()[0].tokenGenerated, false);
        assert.equal(serving.token(), token);
        assert.equal(statSync(tokenFile).size, token.length, "the Secret's file is untouched");
      }, { token });
    },
  ],

  ["refuses a missing or wrong token, other paths and other methods, in plain text", async (t) => {
    await withServe(t, ["--assume", DEST], async (serving) => {
      await serving.waitForEvent("refreshed");
      const token = serving.token();
      const refusals: [string, string | undefined, string, number, RegExp][] = [
        ["/v1/credentials", undefined, "GET", 401, /^Authorization header is missing/],
        ["/v1/credentials", "wrong-token", "GET", 403, /^Access Denied/],
        ["/v1/credentials", `Bearer ${token}`, "GET", 403, /^Access Denied/],
        ["/v1/credentials", token.slice(0, -1), "GET", 403, /^Access Denied/],
        ["/v1/credentials/nope", token, "GET", 404, /^not found/],
        ["/", token, "GET", 404, /^not found/],
        ["/v1/credentials", token, "POST", 405, /^only GET and HEAD/],
        ["/v1/credentials", token, "DELETE", 405, /^only GET and HEAD/],
      ];
      for (const [path, authorization, method, status, body] of refusals) {
        const answer = await get(serving.url(path), authorization, method);
        assert.equal(answer.status, status, `${method} ${path}`);
        assert.equal(answer.type, "text/plain; charset=utf-8");
        assert.match(answer.body, body);
        assert.doesNotMatch(answer.body, /ASIA|Secret|"Token"/);
      }
    });
  }],

  ["metrics count requests by route and status, with labels only from the routes", async (t) => {
    await withServe(t, ["--assume", DEST, "--route", `audit=${AUDIT}`], async (serving) => {
      await serving.waitForEvent("refreshed", (e) => e.route === "default");
      await serving.waitForEvent("refreshed", (e) => e.route === "audit");
      const token = serving.token();
      for (let i = 0; i < 3; i++) await get(serving.url(), token);
      await get(serving.url("/v1/credentials/audit"), token);
      await get(serving.url());
      for (let i = 0; i < 50; i++) await get(serving.url(`/random-${i}-${"x".repeat(100)}`));
      const metrics = await get(serving.url("/metrics"));
      assert.equal(metrics.status, 200);
      assert.match(metrics.type!, /^text\/plain; version=0\.0\.4/);
      const lines = metrics.body.split("\n");
      for (
        const expected of [
          'epicac_requests_total{route="default",status="200"} 3',
          'epicac_requests_total{route="default",status="401"} 1',
          'epicac_requests_total{route="audit",status="200"} 1',
          'epicac_requests_total{route="other",status="404"} 50',
          'epicac_refreshes_total{route="default"} 1',
          'epicac_refreshes_total{route="audit"} 1',
          'epicac_refresh_failures_total{route="default"} 0',
          'epicac_route_ready{route="audit"} 1',
        ]
      ) assert.ok(lines.includes(expected), `${expected} in\n${metrics.body}`);
      const expiry = lines.find((l) =>
        l.startsWith('epicac_credentials_expiry_seconds{route="default"}')
      );
      const seconds = Number(expiry?.split(" ")[1]);
      assert.ok(seconds > 3000 && seconds <= 3600, expiry);
      assert.doesNotMatch(metrics.body, /random-/, "no label from a request");
      assertNoSecrets(metrics.body, [...secrets, token]);
    });
  }],

  [
    "a failure at start is not fatal: not ready, saying why, until a refresh succeeds",
    async (t) => {
      pod.sts.control.failWith = "denied";
      await withServe(t, ["--assume", DEST], async (serving) => {
        const failed = await serving.waitForEvent("refresh failed");
        assert.match(String(failed.error), /^sts:AssumeRole of \S+ was denied/);
        assert.ok(Number(failed.retryInMs) >= 250);
        const ready = await get(serving.url("/readyz"));
        assert.equal(ready.status, 503);
        assert.equal(ready.body, "not ready: route default\n", "the cause only with the token");
        const told = await get(serving.url("/readyz"), serving.token());
        assert.match(told.body, /^not ready: route default: sts:AssumeRole of \S+ was denied/);
        const answer = await get(serving.url(), serving.token());
        assert.equal(answer.status, 503);
        assert.match(
          answer.body,
          /^no valid credentials for route default: sts:AssumeRole of \S+ was denied/,
        );
        assert.equal((await get(serving.url("/healthz"))).status, 200);
        delete pod.sts.control.failWith;
        await serving.waitForEvent("refreshed");
        assert.equal((await get(serving.url("/readyz"))).status, 200);
        credentialsOf(await get(serving.url(), serving.token()));
      });
    },
  ],

  [
    "after the wall clock jumps past the expiry, the next request waits for new credentials: no 503",
    async (t) => {
      const clock = new WallClock();
      await withServe(t, ["--assume", DEST], async (serving) => {
        await serving.waitForEvent("refreshed");
        const first = credentialsOf(await get(serving.url(), serving.token()));
        jump(clock, 62 * 60); // a resumed VM: expired, and no timer has fired
        const next = credentialsOf(await get(serving.url(), serving.token()));
        assert.notEqual(next.AccessKeyId, first.AccessKeyId);
        assert.equal((await get(serving.url("/readyz"))).status, 200);
      }, { clock });
    },
  ],

  [
    "while refreshes fail the previous credentials are served; once expired, 503 with the cause",
    async (t) => {
      const clock = new WallClock();
      await withServe(t, ["--assume", DEST], async (serving) => {
        await serving.waitForEvent("refreshed");
        const first = credentialsOf(await get(serving.url(), serving.token()));
        pod.sts.control.failWith = "denied";
        // 10 minutes left: inside the window, the request is served and starts a refresh.
        jump(clock, 50 * 60);
        assert.equal(
          credentialsOf(await get(serving.url(), serving.token())).AccessKeyId,
          first.AccessKeyId,
        );
        await serving.waitForEvent("refresh failed");
        jump(clock, 10 * 60); // expired
        const expired = await get(serving.url(), serving.token());
        assert.equal(expired.status, 503);
        assert.match(
          expired.body,
          /^no valid credentials for route default: the credentials expired at \S+Z and the last refresh failed: sts:AssumeRole of \S+ was denied/,
        );
        assert.equal((await get(serving.url("/readyz"))).status, 503);
        const metrics = (await get(serving.url("/metrics"))).body;
        assert.match(metrics, /epicac_route_ready\{route="default"\} 0/);
        assert.match(metrics, /epicac_refresh_failures_total\{route="default"\} [1-9]/);
        delete pod.sts.control.failWith;
        await serving.waitForEvent("refreshed", (e) => e.expiration !== first.Expiration, 30_000);
        const next = credentialsOf(await get(serving.url(), serving.token()));
        assert.notEqual(next.AccessKeyId, first.AccessKeyId);
        assert.equal((await get(serving.url("/readyz"))).status, 200);
      }, { clock });
    },
  ],

  [
    "200 concurrent requests during a slow refresh all get valid credentials; one STS call",
    async (t) => {
      const clock = new WallClock();
      const from = pod.sts.requests.length;
      // Attempts may wait long enough for the slow STS below.
      const args = ["--assume", DEST, "--timeout", "10", "--deadline", "20"];
      await withServe(t, args, async (serving) => {
        await serving.waitForEvent("refreshed");
        const first = credentialsOf(await get(serving.url(), serving.token()));
        pod.sts.control.delayMs = 3000;
        jump(clock, 50 * 60); // into the window: the next request starts the (slow) refresh
        const answers = await Promise.all(
          Array.from({ length: 200 }, () => get(serving.url(), serving.token())),
        );
        assert.equal(
          serving.events().filter((e) => e.event === "refreshed").length,
          1,
          "the refresh was still running while the requests were answered",
        );
        for (const answer of answers) {
          assert.equal(credentialsOf(answer).AccessKeyId, first.AccessKeyId);
        }
        await serving.waitForEvent("refreshed", (e) => e.expiration !== first.Expiration);
        assert.equal(assumed(DEST, from).length, 2, "one STS call at start, one for the refresh");
        const next = credentialsOf(await get(serving.url(), serving.token()));
        assert.notEqual(next.AccessKeyId, first.AccessKeyId);
      }, { clock });
    },
  ],

  ["a trickled request is cut at the header timeout; oversized headers are refused", async (t) => {
    await withServe(t, [], async (serving) => {
      const trickle = request(serving.port);
      const closed = untilClosed(trickle);
      const startedAt = performance.now();
      const text = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(100);
      let at = 0;
      const timer = setInterval(() => {
        if (!trickle.destroyed) trickle.write(text[at++ % text.length]);
      }, 200);
      const { text: received, at: endedAt } = await closed;
      clearInterval(timer);
      assert.match(received, /^HTTP\/1\.1 408 /);
      const ms = endedAt - startedAt;
      assert.ok(ms >= HEADER_TIMEOUT_MS - 100, `cut after ${ms} ms, before the header timeout`);
      assert.ok(ms < HEADER_TIMEOUT_MS * 2, `cut only after ${ms} ms`);

      const big = request(serving.port);
      const refused = untilClosed(big);
      big.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(9 * 1024)}\r\n\r\n`);
      assert.match((await refused).text, /^HTTP\/1\.1 431 /);
      assert.equal((await get(serving.url("/healthz"))).status, 200, "the server is unharmed");
    });
  }],

  [
    "at the connection cap a newcomer is answered: the connection idle longest is closed for it",
    async (t) => {
      await withServe(t, [], async (serving) => {
        const held: Socket[] = [];
        const closed: Socket[] = [];
        const whenClosed = new Map<Socket, Promise<unknown>>();
        const healthz = (socket: Socket) =>
          new Promise((resolve) => {
            socket.once("data", resolve);
            socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
          });
        try {
          for (let i = 0; i < MAX_CONNECTIONS; i++) {
            const socket = request(serving.port);
            socket.on("error", () => {});
            whenClosed.set(socket, new Promise((resolve) => socket.on("close", resolve)));
            socket.on("close", () => closed.push(socket));
            held.push(socket);
          }
          // Each answered once; then all but the first two again: those two are idle longest.
          await Promise.all(held.map(healthz));
          await new Promise((resolve) => setTimeout(resolve, 100));
          await Promise.all(held.slice(2).map(healthz));
          // Two newcomers, kept open: each is answered, and closes one of the two.
          for (let i = 0; i < 2; i++) {
            const newcomer = request(serving.port);
            newcomer.on("error", () => {});
            held.push(newcomer);
            const answer = await new Promise<string>((resolve) => {
              newcomer.setEncoding("utf8").once("data", resolve);
              newcomer.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            });
            assert.match(answer, /^HTTP\/1\.1 200 [^]*\r\n\r\nok\n$/);
          }
          await Promise.all(held.slice(0, 2).map((socket) => whenClosed.get(socket)));
          assert.deepEqual(
            closed.map((socket) => held.indexOf(socket)).sort(),
            [0, 1],
            "only the two idle longest were closed",
          );
        } finally {
          for (const socket of held) socket.destroy();
        }
      });
    },
  ],

  ["SIGTERM: the request arriving is finished, then it exits 0 within 5 s", async (t) => {
    await withServe(t, [], async (serving) => {
      await serving.waitForEvent("refreshed");
      const idle = request(serving.port);
      idle.on("error", () => {});
      const trickling = request(serving.port);
      trickling.on("error", () => {});
      trickling.write("GET /x HTTP/1.1\r\n");
      const arriving = request(serving.port);
      const answered = untilClosed(arriving);
      await new Promise((resolve) => arriving.once("connect", resolve));
      arriving.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stopped = serving.stop("SIGTERM");
      await serving.waitForEvent("stopping");
      arriving.write("\r\n");
      const { text } = await answered;
      assert.match(text, /^HTTP\/1\.1 200 [^]*\r\n\r\nok\n$/);
      const { code, ms } = await stopped;
      assert.equal(code, 0, serving.stderr());
      assert.ok(ms < STOP_WITHIN_MS * 1.5, `exited ${ms} ms after SIGTERM`);
      const last = serving.events().at(-1)!;
      assert.equal(last.event, "stopping");
      assert.equal(last.signal, "SIGTERM");
      idle.destroy();
      trickling.destroy();
    });
  }],

  ["SIGINT also ends it with exit 0; nothing is written on stdout", async (t) => {
    await withServe(t, [], async (serving) => {
      await serving.waitForEvent("refreshed");
      const { code, stdout } = await serving.stop("SIGINT");
      assert.equal(code, 0, serving.stderr());
      assert.equal(stdout, "");
    });
  }],

  ["--debug adds one line per request, without the token or the query", async (t) => {
    await withServe(t, ["--debug"], async (serving) => {
      await serving.waitForEvent("refreshed");
      await get(serving.url("/v1/credentials?token=leak"), serving.token());
      await get(serving.url(), "wrong-token-value");
      // A request's line is written after its answer: wait for the second one.
      await serving.waitForEvent("request", (e) => e.status === 403);
      await get(serving.url("/v1/credentials/leak-in-a-path"), serving.token());
      await serving.waitForEvent("request", (e) => e.status === 404);
      const lines = serving.events().filter((e) => e.event === "request");
      assert.deepEqual(lines.map((l) => [l.method, l.target, l.status]), [
        ["GET", "default", 200],
        ["GET", "default", 403],
        ["GET", "other", 404],
      ]);
      assert.doesNotMatch(serving.stderr(), /leak|wrong-token-value/);
      for (const event of serving.events()) assert.match(String(event.time), /Z$/);
    });
  }],

  [
    "set-up errors exit 2 with one line: non-loopback --listen, no token file, a weak token, a busy port",
    async (t) => {
      const busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
      const port = (busy.address() as { port: number }).port;
      const weak = join(pod.dir, "weak-token");
      writeFileSync(weak, "short");
      const newline = join(pod.dir, "newline-token");
      writeFileSync(newline, `${"n".repeat(40)}\n`);
      const good = join(pod.dir, `serve-token-setup`);
      try {
        const cases: [string[], RegExp][] = [
          [
            ["--listen", "0.0.0.0:9911", "--token-file", good],
            /^epicac: --listen takes a loopback HOST:PORT .*only the pod's own containers/,
          ],
          [
            ["--listen", "10.0.0.1:9911", "--token-file", good],
            /^epicac: --listen takes a loopback/,
          ],
          [["--listen", "127.0.0.1:0"], /^epicac: serve needs --token-file PATH/],
          [
            ["--listen", "127.0.0.1:0", "--token-file", weak],
            /^epicac: the --token-file .* holds a token of 5 characters/,
          ],
          [
            ["--listen", "127.0.0.1:0", "--token-file", newline],
            /^epicac: the --token-file .* cannot be used: it starts or ends with a newline/,
          ],
          [
            ["--listen", `127.0.0.1:${port}`, "--token-file", good],
            /^epicac: cannot listen: EADDRINUSE/,
          ],
          [
            ["--listen", "127.0.0.1:9911", "--probe-listen", "0.0.0.0:9911", "--token-file", good],
            /^epicac: --probe-listen needs a port of its own/,
          ],
          [
            ["--listen", "127.0.0.1:0", "--token-file", good, "--route", "x y=z"],
            /^epicac: --route takes NAME=/,
          ],
        ];
        for (const [args, message] of cases) {
          const result = await runEpicac(t, ["serve", ...args], { env: pod.env() });
          assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
          assert.equal(result.stdout, "");
          const lines = result.stderr.split("\n").filter(Boolean);
          assert.equal(lines.length, 1, result.stderr);
          assert.match(lines[0], message);
          assert.doesNotMatch(result.stderr, /short|nnnnnnnn/);
        }
      } finally {
        busy.close();
      }
    },
  ],
];

/** `epicac doctor` in the application container: only serve's URI and token are set. */
async function doctorAgainst(t: Target, uri: string, token: Record<string, string>) {
  const result = await runEpicac(t, ["doctor"], {
    env: {
      HOME: pod.dir,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: uri,
      AWS_EC2_METADATA_DISABLED: "true",
      ...token,
    },
  });
  const line = (name: string) =>
    result.stdout.split("\n").find((l) =>
      l.startsWith(`[pass] ${name}:`) || l.startsWith(`[FAIL] ${name}:`)
    ) ?? "";
  return { result, line };
}

cases.push([
  "doctor in the application container checks the sidecar: token, listening, ready",
  async (t) => {
    await withServe(t, ["--assume", DEST], async (serving, tokenFile) => {
      await serving.waitForEvent("refreshed");
      const good = await doctorAgainst(t, serving.url(), {
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      });
      assert.equal(good.result.code, 0, good.result.stdout);
      assert.equal(
        good.line("serve"),
        `[pass] serve: epicac serve at http://127.0.0.1:${serving.port} is ready`,
      );
      assert.match(good.line("agent"), /^\[pass\] agent: .* for account 222222222222/);

      const noToken = await doctorAgainst(t, serving.url(), {});
      assert.equal(noToken.result.code, 1);
      assert.match(
        noToken.line("serve"),
        /^\[FAIL\] serve: .* needs the token of the sidecar's --token-file/,
      );

      const missing = await doctorAgainst(t, serving.url(), {
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: `${tokenFile}.absent`,
      });
      assert.match(missing.line("serve"), /^\[FAIL\] serve: cannot read the sidecar's token file/);
      assert.match(missing.result.stdout, /mount the same emptyDir in both containers/);

      const wrong = await doctorAgainst(t, serving.url(), {
        AWS_CONTAINER_AUTHORIZATION_TOKEN: "not-the-sidecar-token-0123456789abcdef",
      });
      assert.match(wrong.line("serve"), /^\[pass\] serve: /);
      assert.match(wrong.line("agent"), /^\[FAIL\] agent: .*403/);

      const idle = await closedPortUri();
      const down = await doctorAgainst(t, idle, {
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      });
      assert.match(
        down.line("serve"),
        /^\[FAIL\] serve: cannot connect to the epicac serve sidecar/,
      );
      assert.match(down.result.stdout, /restartPolicy: Always/);
      assertNoSecrets(good.result.stdout + noToken.result.stdout + wrong.result.stdout, [
        ...secrets,
        serving.token(),
      ]);
    });
    pod.sts.control.failWith = "denied";
    await withServe(t, ["--assume", DEST], async (serving, tokenFile) => {
      await serving.waitForEvent("refresh failed");
      const notReady = await doctorAgainst(t, serving.url(), {
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      });
      assert.equal(notReady.result.code, 1);
      assert.match(
        notReady.line("serve"),
        /^\[FAIL\] serve: epicac serve at \S+ is not ready: route default: sts:AssumeRole of \S+ was denied/,
      );
    });
  },
]);

async function closedPortUri(): Promise<string> {
  return `http://127.0.0.1:${await closedPort()}/v1/credentials`;
}

cases.push([
  "--probe-listen serves /healthz, /readyz and /metrics to the node, never credentials or causes",
  async (t) => {
    pod.sts.control.failWith = "denied";
    await withServe(t, ["--assume", DEST, "--probe-listen", "0.0.0.0:0"], async (serving) => {
      const started = await serving.waitForEvent("started");
      const probePort = Number(/:(\d+)$/.exec(String(started.probeListen))?.[1]);
      assert.ok(probePort > 0 && probePort !== serving.port, String(started.probeListen));
      const probe = (path: string, token?: string) =>
        get(`http://127.0.0.1:${probePort}${path}`, token);
      await serving.waitForEvent("refresh failed");
      assert.deepEqual(await probe("/readyz"), {
        status: 503,
        type: "text/plain; charset=utf-8",
        body: "not ready: route default\n",
      });
      delete pod.sts.control.failWith;
      await serving.waitForEvent("refreshed");
      assert.equal((await probe("/readyz")).status, 200);
      assert.equal((await probe("/healthz")).status, 200);
      assert.match((await probe("/metrics")).body, /epicac_route_ready\{route="default"\} 1/);
      assert.equal((await probe("/v1/credentials", serving.token())).status, 404);
      credentialsOf(await get(serving.url(), serving.token()));
    });
  },
]);

const smoke: Case = [
  "starts, answers a credentials request and stops on SIGTERM",
  async (t) => {
    await withServe(t, ["--assume", DEST], async (serving) => {
      await serving.waitForEvent("refreshed");
      assert.equal(
        credentialsOf(await get(serving.url(), serving.token())).AccountId,
        "222222222222",
      );
      const { code } = await serving.stop("SIGTERM");
      assert.equal(code, 0, serving.stderr());
    });
  },
];

for (const target of runnableTargets({ denoBundle: true, emulated: true })) {
  for (const [name, fn] of target.emulated ? [smoke] : cases) {
    test(`${target.name}: serve ${name}`, () => fn(target));
  }
}
