// The cache key of a run (src/cache/key.ts over the inputs commands/credentials.ts gives it): one
// entry per distinct result. The key must change with every input that changes the
// credentials, must not change when the kubelet re-signs the same token, and must never carry
// the token itself.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheKeyFor } from "../../src/commands/credentials.ts";
import type { ChainOptions } from "../../src/options.ts";
import { planChain } from "../../src/pipeline.ts";
import { moduleChain } from "../support/chain.ts";
import { fakeJwt } from "../support/jwt.ts";

const DEST = "arn:aws:iam::222222222222:role/dest";
const THIRD = "arn:aws:iam::333333333333:role/third";
const IRSA_ROLE = "arn:aws:iam::111122223333:role/irsa";
const dir = mkdtempSync(join(tmpdir(), "epicac-key-"));
let files = 0;

after(() => rmSync(dir, { recursive: true, force: true }));

/** A JWT-shaped token with these claims and a random signature. */
const jwt = (claims: Record<string, unknown>, kid = "key-1") => fakeJwt(claims, { kid });

const CLAIMS = {
  iss: "https://oidc.eks.us-west-2.amazonaws.com/id/ABCDEF",
  sub: "system:serviceaccount:app:app",
  aud: ["pods.eks.amazonaws.com"],
  iat: 1_767_225_600,
  exp: 1_767_312_000,
};

function tokenFile(token: string): string {
  const path = join(dir, `token-${++files}`);
  writeFileSync(path, `${token}\n`);
  return path;
}

function options(overrides: Partial<ChainOptions> = {}, token = jwt(CLAIMS)): ChainOptions {
  return {
    ...moduleChain({ assume: [DEST], sessionName: "app-pod", region: "us-west-2" }, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials",
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile(token),
    }),
    ...overrides,
  };
}

function irsa(token: string, roleArn = IRSA_ROLE): ChainOptions {
  return options({
    env: { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile(token), AWS_ROLE_ARN: roleArn },
  });
}

/** The key of a run with these options, as the run computes it. */
const keyOf = (o: ChainOptions) => cacheKeyFor(planChain(o));

async function assertDiffer(a: ChainOptions, b: ChainOptions, what: string): Promise<void> {
  assert.notEqual(await keyOf(a), await keyOf(b), `the key ignores ${what}`);
}

test("the key is a SHA-256 in hex, the same for the same inputs", async () => {
  const token = jwt(CLAIMS);
  const key = await keyOf(options({}, token));
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(await keyOf(options({}, token)), key);
  assert.equal(await keyOf(irsa(token)), await keyOf(irsa(token)));
});

test("the key differs by source kind", async () => {
  const token = jwt(CLAIMS);
  const both = {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials",
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile(token),
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile(token),
    AWS_ROLE_ARN: IRSA_ROLE,
  };
  await assertDiffer(
    options({ env: both, source: "container" }),
    options({ env: both, source: "web-identity" }),
    "--source",
  );
});

test("the key differs by container URI", async () => {
  const token = jwt(CLAIMS);
  const a = options({}, token);
  const b = options({}, token);
  b.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = "http://169.254.170.23/v1/credentials?x=1";
  await assertDiffer(a, b, "the URI");
  const relative = options({
    env: { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/1" },
  });
  const other = options({ env: { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/2" } });
  await assertDiffer(relative, other, "the ECS relative URI");
});

test("the key differs by the token's subject, audience and issuer", async () => {
  const base = await keyOf(options({}, jwt(CLAIMS)));
  for (
    const change of [
      { sub: "system:serviceaccount:app:other" },
      { aud: ["sts.amazonaws.com"] },
      { iss: "https://oidc.eks.eu-west-1.amazonaws.com/id/FEDCBA" },
    ]
  ) {
    const key = await keyOf(options({}, jwt({ ...CLAIMS, ...change })));
    assert.notEqual(key, base, `the key ignores ${Object.keys(change)[0]}`);
  }
  await assertDiffer(
    irsa(jwt(CLAIMS)),
    irsa(jwt({ ...CLAIMS, sub: "system:serviceaccount:app:other" })),
    "the web identity token's subject",
  );
});

test("a token re-signed or rotated with the same claims keeps the key", async () => {
  const key = await keyOf(options({}, jwt(CLAIMS)));
  assert.equal(await keyOf(options({}, jwt(CLAIMS, "key-2"))), key);
  // The kubelet's rotation changes only iat, exp and the signature.
  assert.equal(await keyOf(options({}, jwt({ ...CLAIMS, iat: 1, exp: 2 }))), key);
  assert.equal(await keyOf(irsa(jwt(CLAIMS))), await keyOf(irsa(jwt({ ...CLAIMS, iat: 7 }))));
});

test("a token that is not a JWT contributes only its hash", async () => {
  await assertDiffer(
    options({}, "ecs-agent-token-0123456789abcdef"),
    options({}, "ecs-agent-token-0123456789abcdeg"),
    "a non-JWT token",
  );
});

test("no token and a token give different keys", async () => {
  const without = options({
    env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials" },
  });
  await assertDiffer(without, options(), "whether a token is sent");
});

test("the key differs by each --assume hop and their order", async () => {
  const token = jwt(CLAIMS);
  const keys = new Set<string>();
  for (const assume of [[], [DEST], [THIRD], [DEST, THIRD], [THIRD, DEST], [DEST, DEST]]) {
    keys.add(await keyOf(options({ assume, sessionGiven: [] }, token)));
  }
  assert.equal(keys.size, 6);
});

test("the key differs by each session field", async () => {
  const token = jwt(CLAIMS);
  const base = { sessionName: "app-pod", tags: [] };
  const sessions = [
    base,
    { ...base, sessionName: "other-pod" },
    { ...base, externalId: "ext-1" },
    { ...base, externalId: "ext-2" },
    { ...base, durationSeconds: 900 },
    { ...base, durationSeconds: 1800 },
    { ...base, sourceIdentity: "alice" },
    { ...base, tags: [{ Key: "team", Value: "a" }] },
    { ...base, tags: [{ Key: "team", Value: "b" }] },
    { ...base, tags: [{ Key: "env", Value: "a" }] },
  ];
  const keys = new Set<string>();
  for (const session of sessions) keys.add(await keyOf(options({ session }, token)));
  assert.equal(keys.size, sessions.length);
});

test("the key differs by STS region and endpoint", async () => {
  const token = jwt(CLAIMS);
  await assertDiffer(options({}, token), options({ region: "eu-west-1" }, token), "the region");
  // The region the run uses counts, wherever it comes from.
  const fromEnv = options({ region: undefined }, token);
  fromEnv.env.AWS_REGION = "us-west-2";
  assert.equal(await keyOf(fromEnv), await keyOf(options({}, token)));
  fromEnv.env.AWS_REGION = "eu-central-1";
  await assertDiffer(options({}, token), fromEnv, "AWS_REGION");
  await assertDiffer(
    options({}, token),
    options({ stsEndpoint: "https://sts.us-west-2.amazonaws.com" }, token),
    "--sts-endpoint",
  );
});

test("the key differs by the STS endpoint the SDK takes from the environment", async () => {
  // Without --sts-endpoint the SDK honours AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL, so they
  // decide which STS answers just as --sts-endpoint does.
  const token = jwt(CLAIMS);
  for (const variable of ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]) {
    const a = options({}, token);
    const b = options({}, token);
    a.env[variable] = "https://sts.us-west-2.amazonaws.com";
    b.env[variable] = "http://127.0.0.1:4566";
    await assertDiffer(a, b, variable);
  }
});

test("set-ups whose runs reach different STS endpoints never share a key", async () => {
  // An empty AWS_ENDPOINT_URL_STS counts as unset: the run then calls AWS_ENDPOINT_URL.
  const token = jwt(CLAIMS);
  const a = options({}, token);
  const b = options({}, token);
  Object.assign(a.env, { AWS_ENDPOINT_URL_STS: "", AWS_ENDPOINT_URL: "http://127.0.0.1:4566" });
  Object.assign(b.env, { AWS_ENDPOINT_URL_STS: "", AWS_ENDPOINT_URL: "http://127.0.0.1:4577" });
  await assertDiffer(a, b, "AWS_ENDPOINT_URL behind an empty AWS_ENDPOINT_URL_STS");
  // With AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true in any case, the variables are not used.
  const ignored = options({}, token);
  Object.assign(ignored.env, {
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "TRUE",
    AWS_ENDPOINT_URL_STS: "http://127.0.0.1:4566",
  });
  assert.equal(await keyOf(ignored), await keyOf(options({}, token)));
});

test("the web identity role ARN is part of the key", async () => {
  const token = jwt(CLAIMS);
  await assertDiffer(
    irsa(token),
    irsa(token, "arn:aws:iam::111122223333:role/other"),
    "AWS_ROLE_ARN",
  );
});

test("timeouts and retries do not change the key", async () => {
  const token = jwt(CLAIMS);
  const a = options({}, token);
  const b = options({
    timeoutMs: 5000,
    retry: { ...a.retry, retries: 0, deadlineMs: 60_000 },
  }, token);
  assert.equal(await keyOf(a), await keyOf(b));
});

test("neither the key nor the source's identity contains the token", async () => {
  for (const token of [jwt(CLAIMS), "plain-ecs-token-0123456789abcdef"]) {
    const o = options({}, token);
    const key = await keyOf(o);
    const identity = JSON.stringify(await planChain(o).source.identity(o.env));
    for (const text of [key, identity]) {
      assert.ok(!text.includes(token));
      // Nor any of its parts: a JWT's signature is what makes it usable.
      for (const part of token.split(".")) assert.ok(!text.includes(part), part);
    }
  }
});
