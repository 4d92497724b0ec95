// src/serve/handler.ts in process: every outcome has its status, credentials are answered in the
// agent's own format, probes and metrics need no token, and nothing secret leaves in an error.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Credentials } from "../../src/credentials.ts";
import { createHandler } from "../../src/serve/handler.ts";
import type { HttpRequest } from "../../src/serve/http1.ts";
import { Metrics } from "../../src/serve/metrics.ts";
import type { RouteCredentials } from "../../src/serve/refresher.ts";
import { registerSecret } from "../../src/redact.ts";

const TOKEN = "serve-token-0123456789abcdefghijklmnopqrstuvwx";
registerSecret(TOKEN); // as loading the token file does

const CREDENTIALS: Credentials = {
  accessKeyId: "ASIASERVED0000000001",
  secretAccessKey: "servedSecret/0123456789abcdefghij",
  sessionToken: "servedSessionToken0123456789",
  expiration: new Date(Date.UTC(2030, 0, 1, 12)),
  accountId: "222222222222",
};

/** A route with fixed credentials (or none, with a cause). */
function route(name: string, credentials?: Credentials): RouteCredentials {
  return {
    route: { name, path: name ? `/v1/credentials/${name}` : "/v1/credentials", chain: {} },
    current: () => credentials,
    awaited: () => Promise.resolve(credentials),
    usable: () => credentials !== undefined,
    shortLived: 0,
    cause: () => `STS refused it, with the token ${TOKEN} echoed`,
    secondsLeft: () => (credentials ? 3600 : undefined),
    refreshes: credentials ? 1 : 0,
    failures: credentials ? 0 : 2,
  } as unknown as RouteCredentials;
}

function setUp(routes = [route("", CREDENTIALS), route("audit")], probesOnly = false) {
  const metrics = new Metrics(routes);
  const handle = createHandler({
    routes,
    metrics,
    token: { matches: (presented) => presented === TOKEN },
    probesOnly,
  });
  const request = (method: string, path: string, authorization?: string) => {
    const headers = new Map<string, string>();
    if (authorization !== undefined) headers.set("authorization", authorization);
    return Promise.resolve(handle({ method, path, headers } as HttpRequest));
  };
  return { request, metrics };
}

test("a credentials request with the token gets the agent's JSON", async () => {
  const { request } = setUp();
  const answer = await request("GET", "/v1/credentials", TOKEN);
  assert.equal(answer.status, 200);
  assert.equal(answer.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(answer.body), {
    AccessKeyId: "ASIASERVED0000000001",
    SecretAccessKey: "servedSecret/0123456789abcdefghij",
    Token: "servedSessionToken0123456789",
    Expiration: "2030-01-01T12:00:00.000Z",
    AccountId: "222222222222",
  });
  assert.equal((await request("HEAD", "/v1/credentials?x=1", TOKEN)).status, 200);
});

test("no token is 401, a wrong one 403, never a credential, in plain text", async () => {
  const { request } = setUp();
  for (
    const [authorization, status] of [[undefined, 401], ["", 401], ["wrong", 403], [
      `${TOKEN}x`,
      403,
    ], [TOKEN.slice(1), 403]] as const
  ) {
    const answer = await request("GET", "/v1/credentials", authorization);
    assert.equal(answer.status, status, String(authorization));
    assert.equal(answer.headers["content-type"], "text/plain; charset=utf-8");
    assert.ok(!answer.body.includes("ASIA") && !answer.body.includes(TOKEN));
  }
});

test("a route without valid credentials is 503 with the cause, redacted", async () => {
  const { request } = setUp();
  const answer = await request("GET", "/v1/credentials/audit", TOKEN);
  assert.equal(answer.status, 503);
  assert.match(answer.body, /^no valid credentials for route audit: STS refused it/);
  assert.ok(!answer.body.includes(TOKEN), "the token in a cause is masked");
});

test("other paths are 404, other methods 405 with Allow; probes and metrics need no token", async () => {
  const { request } = setUp();
  assert.equal((await request("GET", "/v1/credentials/nope", TOKEN)).status, 404);
  assert.equal((await request("GET", "/", TOKEN)).status, 404);
  const post = await request("POST", "/v1/credentials", TOKEN);
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, "GET, HEAD");
  assert.equal((await request("GET", "/healthz")).status, 200);
  const ready = await request("GET", "/readyz");
  assert.equal(ready.status, 503);
  assert.equal(ready.body, "not ready: route audit\n", "no cause without the token");
  const told = await request("GET", "/readyz", TOKEN);
  assert.match(
    told.body,
    /^not ready: route audit: STS refused it, with the token \[redacted\] echoed/,
  );
  assert.equal((await setUp([route("", CREDENTIALS)]).request("GET", "/readyz")).body, "ready\n");
});

test("metrics count by configured route and status only; unknown paths are 'other'; no secret", async () => {
  const { request } = setUp();
  await request("GET", "/v1/credentials", TOKEN);
  await request("GET", "/v1/credentials", "wrong");
  for (let i = 0; i < 100; i++) await request("GET", `/random/${i}`, TOKEN);
  const text = (await request("GET", "/metrics")).body;
  assert.match(text, /^epicac_requests_total\{route="default",status="200"\} 1$/m);
  assert.match(text, /^epicac_requests_total\{route="default",status="403"\} 1$/m);
  assert.match(text, /^epicac_requests_total\{route="other",status="404"\} 100$/m);
  assert.doesNotMatch(text, /random/);
  assert.match(text, /^epicac_refresh_failures_total\{route="audit"\} 2$/m);
  assert.match(text, /^epicac_credentials_expiry_seconds\{route="default"\} 3600$/m);
  assert.match(text, /^epicac_route_ready\{route="audit"\} 0$/m);
  for (const secret of [TOKEN, CREDENTIALS.secretAccessKey, CREDENTIALS.sessionToken!]) {
    assert.ok(!text.includes(secret));
  }
});

test("the probe listener serves probes and metrics only, and names unready routes without causes", async () => {
  const { request } = setUp([route("", CREDENTIALS), route("audit")], true);
  assert.equal((await request("GET", "/v1/credentials", TOKEN)).status, 404);
  assert.equal((await request("GET", "/v1/credentials/audit", TOKEN)).status, 404);
  assert.equal((await request("GET", "/healthz")).status, 200);
  assert.equal((await request("GET", "/metrics")).status, 200);
  const ready = await request("GET", "/readyz");
  assert.equal(ready.status, 503);
  assert.equal(ready.body, "not ready: route audit\n");
});
