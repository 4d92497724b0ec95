// src/sts/client.ts against the loopback STS stub: what each call sends, which key signs it (the
// web identity call: none), what comes back, and how retries, timeouts, aborts and STS errors
// end. Every client is given the stub's endpoint, so no call can leave the machine.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { assumeRole, assumeRoleWithWebIdentity, getCallerIdentity } from "../../src/sts/client.ts";
import type { SessionOptions } from "../../src/sts/session.ts";
import type { StsSettings } from "../../src/sts/settings.ts";
import type { Credentials } from "../../src/credentials.ts";
import { EpicacError } from "../../src/errors.ts";
import { redact } from "../../src/redact.ts";
import { type FakeSts, startFakeSts } from "../fakes/sts.ts";
import { closedPort } from "../support/network.ts";

const DEST = "arn:aws:iam::222222222222:role/dest";
const TOKEN_FILE = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";
const SOURCE: Credentials = {
  accessKeyId: "ASIASOURCEKEY0000001",
  secretAccessKey: "sourceSecretAccessKey/0123456789abcdefghij",
  sessionToken: "sourceSessionToken0123456789abcdefghijklmnopqrstuvwxyz",
  expiration: new Date(Date.now() + 3600_000),
};
const SESSION: SessionOptions = { sessionName: "unit-test", tags: [] };
const role = (name: string) => `arn:aws:iam::222222222222:role/${name}`;

let stub: FakeSts;

before(async () => {
  stub = await startFakeSts();
});

after(async () => {
  await stub.close();
});

function settings(overrides: Partial<StsSettings> = {}): StsSettings {
  return {
    region: "us-west-2",
    endpoint: stub.endpoint,
    timeoutMs: 2000,
    retries: 0,
    ...overrides,
  };
}

/** Run `fn` and return the STS requests it made. */
async function recorded<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; calls: typeof stub.requests }> {
  const first = stub.requests.length;
  const result = await fn();
  return { result, calls: stub.requests.slice(first) };
}

async function failure(
  fn: () => Promise<unknown>,
): Promise<{ error: EpicacError; calls: number; ms: number }> {
  const first = stub.requests.length;
  const started = performance.now();
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof EpicacError, String(error));
    return { error, calls: stub.requests.length - first, ms: performance.now() - started };
  }
  assert.fail("expected the STS call to fail");
}

test("assumeRole sends every session field and is signed with the given access key", async () => {
  const { calls } = await recorded(() =>
    assumeRole(settings(), SOURCE, "the pod's credentials", DEST, {
      sessionName: "app-pod-1",
      externalId: "ext-123:abc",
      durationSeconds: 1800,
      sourceIdentity: "alice@example",
      tags: [{ Key: "team", Value: "payments" }, { Key: "env", Value: "prod=eu" }],
    })
  );
  assert.equal(calls.length, 1);
  const [call] = calls;
  assert.equal(call.action, "AssumeRole");
  assert.equal(call.signed, true);
  assert.equal(call.accessKeyId, SOURCE.accessKeyId);
  assert.equal(call.params.RoleArn, DEST);
  assert.equal(call.params.RoleSessionName, "app-pod-1");
  assert.equal(call.params.ExternalId, "ext-123:abc");
  assert.equal(call.params.DurationSeconds, "1800");
  assert.equal(call.params.SourceIdentity, "alice@example");
  assert.equal(call.params["Tags.member.1.Key"], "team");
  assert.equal(call.params["Tags.member.1.Value"], "payments");
  assert.equal(call.params["Tags.member.2.Key"], "env");
  assert.equal(call.params["Tags.member.2.Value"], "prod=eu");
});

test("assumeRole leaves out the optional fields that were not given", async () => {
  const { calls } = await recorded(() => assumeRole(settings(), SOURCE, "p", DEST, SESSION));
  const keys = Object.keys(calls[0].params);
  for (const absent of ["ExternalId", "DurationSeconds", "SourceIdentity"]) {
    assert.ok(!keys.includes(absent), `${absent} was sent`);
  }
  assert.ok(!keys.some((k) => k.startsWith("Tags")), "tags were sent");
  assert.equal(calls[0].params.RoleSessionName, "unit-test");
});

test("assumeRole returns the new credentials, with AccountId from the role ARN", async () => {
  const before = Date.now();
  const credentials = await assumeRole(settings(), SOURCE, "p", DEST, {
    ...SESSION,
    durationSeconds: 900,
  });
  assert.match(credentials.accessKeyId, /^ASIASTUB/);
  assert.match(credentials.secretAccessKey, /^stubSecret/);
  assert.match(credentials.sessionToken ?? "", /^FwoGZXIvYXdzEStubSessionToken/);
  assert.equal(credentials.accountId, "222222222222");
  assert.ok(credentials.expiration instanceof Date);
  const lifetime = credentials.expiration.getTime() - before;
  assert.ok(lifetime > 890_000 && lifetime < 910_000, `expires in ${lifetime} ms`);
  const cn = await assumeRole(
    settings(),
    SOURCE,
    "p",
    "arn:aws-cn:iam::333333333333:role/x",
    SESSION,
  );
  assert.equal(cn.accountId, "333333333333");
});

test("the new secret key and session token are registered for redaction", async () => {
  const credentials = await assumeRole(settings(), SOURCE, "p", DEST, SESSION);
  const text = `key ${credentials.secretAccessKey} token ${credentials.sessionToken}`;
  assert.equal(redact(text), "key [redacted] token [redacted]");
});

test("assumeRoleWithWebIdentity is not signed and sends the token", async () => {
  const token = `web-identity-token-${Math.random().toString(36).slice(2)}`;
  const { result, calls } = await recorded(() =>
    assumeRoleWithWebIdentity(settings(), token, TOKEN_FILE, DEST, {
      sessionName: "irsa-pod",
      durationSeconds: 7200,
    })
  );
  assert.equal(calls.length, 1);
  const [call] = calls;
  assert.equal(call.action, "AssumeRoleWithWebIdentity");
  assert.equal(call.signed, false, "AssumeRoleWithWebIdentity must not be signed");
  assert.equal(call.accessKeyId, undefined);
  assert.equal(call.params.WebIdentityToken, token);
  assert.equal(call.params.RoleArn, DEST);
  assert.equal(call.params.RoleSessionName, "irsa-pod");
  assert.equal(call.params.DurationSeconds, "7200");
  assert.match(result.accessKeyId, /^ASIASTUB/);
  assert.equal(result.accountId, "222222222222");
  assert.equal(redact(result.secretAccessKey), "[redacted]");
});

test("getCallerIdentity is signed with the given key and returns the ARN and account", async () => {
  const { result, calls } = await recorded(() => getCallerIdentity(settings(), SOURCE));
  assert.deepEqual(result, {
    arn: "arn:aws:sts::111122223333:assumed-role/stub/session",
    account: "111122223333",
  });
  assert.equal(calls[0].action, "GetCallerIdentity");
  assert.equal(calls[0].accessKeyId, SOURCE.accessKeyId);
});

test("retries + 1 attempts are made on throttling, then it is reported", async () => {
  for (const retries of [0, 2]) {
    const { error, calls } = await failure(() =>
      assumeRole(settings({ retries }), SOURCE, "p", role("throttled"), SESSION)
    );
    assert.equal(calls, retries + 1, `retries: ${retries}`);
    assert.equal(
      error.message,
      `sts:AssumeRole of ${role("throttled")} was throttled by STS after retries`,
    );
  }
});

test("a 5xx answer is retried, then reported with its status", async () => {
  const { error, calls } = await failure(() =>
    assumeRole(settings({ retries: 1 }), SOURCE, "p", role("broken"), SESSION)
  );
  assert.equal(calls, 2);
  assert.match(error.message, /STS answered HTTP 500 after retries \(InternalFailure\)$/);
  assert.equal(error.hint, `check STS availability at ${stub.endpoint}`);
});

test("an STS refusal is not retried", async () => {
  const { calls } = await failure(() =>
    assumeRole(settings({ retries: 3 }), SOURCE, "p", role("denied"), SESSION)
  );
  assert.equal(calls, 1);
});

test("the abort signal stops a call to a slow STS at once", async () => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 100);
  const { error, ms } = await failure(() =>
    assumeRole(
      settings({ signal: controller.signal, timeoutMs: 30_000, retries: 3 }),
      SOURCE,
      "p",
      role("hang"),
      SESSION,
    )
  );
  clearTimeout(timer);
  // STS never answers and each attempt may take 30 s: only the abort can end the call this soon.
  assert.ok(ms < 20_000, `took ${ms.toFixed(0)} ms`);
  assert.equal(error.message, "AssumeRole did not finish before the overall deadline");
  assert.equal(error.hint, "check network access to STS, or raise --deadline");
});

test("the per-attempt timeout cuts off a slow STS and names the endpoint", async () => {
  const { error, ms } = await failure(() =>
    assumeRoleWithWebIdentity(
      settings({ timeoutMs: 300 }),
      "token-value-123",
      TOKEN_FILE,
      role("hang"),
      SESSION,
    )
  );
  // STS never answers: only the 0.3 s per-attempt timeout ends the call.
  assert.ok(ms >= 290 && ms < 300 + 10_000, `took ${ms.toFixed(0)} ms`);
  assert.equal(
    error.message,
    `sts:AssumeRoleWithWebIdentity of ${
      role("hang")
    } failed: no answer from STS at ${stub.endpoint} in time`,
  );
});

test("STS errors are mapped to messages that name the role and what to check", async () => {
  const denied = await failure(() =>
    assumeRole(settings(), SOURCE, "the pod's credentials", role("denied"), SESSION)
  );
  assert.equal(
    denied.error.message,
    `sts:AssumeRole of ${
      role("denied")
    } was denied for arn:aws:sts::111122223333:assumed-role/src/pod`,
  );
  assert.ok(denied.error.cause, "the SDK's error is kept as the cause");

  const packed = await failure(() => assumeRole(settings(), SOURCE, "p", role("packed"), SESSION));
  assert.match(packed.error.message, /the session policy and tags are too large \(Packed policy/);

  const expired = await failure(() =>
    assumeRoleWithWebIdentity(settings(), "token-value-123", TOKEN_FILE, role("expired"), SESSION)
  );
  assert.match(expired.error.message, /failed: the web identity token has expired$/);
  assert.equal(expired.error.hint, `check that the kubelet still rotates ${TOKEN_FILE}`);

  const badToken = await failure(() =>
    assumeRoleWithWebIdentity(settings(), "token-value-123", TOKEN_FILE, role("bad-token"), SESSION)
  );
  assert.match(badToken.error.message, /STS rejected the web identity token \(No OpenIDConnect/);

  const regionOff = await failure(() =>
    assumeRole(settings(), SOURCE, "p", role("region-off"), SESSION)
  );
  assert.match(regionOff.error.message, /STS is not activated in this region/);
});

test("an unreachable endpoint is reported as such, naming it", async () => {
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  const { error } = await failure(() =>
    assumeRole(settings({ endpoint }), SOURCE, "p", DEST, SESSION)
  );
  assert.equal(
    error.message,
    `sts:AssumeRole of ${DEST} failed: cannot connect to STS at ${endpoint}: connection refused`,
  );
});
