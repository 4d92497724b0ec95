// src/sources/web-identity.ts: IRSA. The projected token is read afresh, trimmed, registered for
// redaction and sent in an unsigned sts:AssumeRoleWithWebIdentity for AWS_ROLE_ARN (here, to
// the loopback STS stub).

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  readWebIdentityToken as readToken,
  type WebIdentityConfig,
  webIdentityConfig,
  webIdentitySource,
} from "../../src/sources/web-identity.ts";
import { startDeadline } from "../../src/deadline.ts";
import { loadSts } from "../../src/sts/load.ts";
import type { SessionOptions } from "../../src/sts/session.ts";
import type { StsSettings } from "../../src/sts/settings.ts";
import { EpicacError } from "../../src/errors.ts";
import { redact } from "../../src/redact.ts";
import { type FakeSts, startFakeSts } from "../fakes/sts.ts";

const FILE = "AWS_WEB_IDENTITY_TOKEN_FILE";
const ROLE = "arn:aws:iam::111122223333:role/irsa";
const IS_ROOT = process.getuid?.() === 0;
let dir = "";
let stub: FakeSts | undefined;
let serial = 0;

/**
 * The test with its own scratch directory and, when it calls STS, its own stub; both removed
 * by the test itself: under deno test a top-level after() does not run when a test is skipped.
 */
function scenario(fn: () => Promise<void>, sts = false): () => Promise<void> {
  return async () => {
    dir = mkdtempSync(join(tmpdir(), "epicac-irsa-"));
    if (sts) stub = await startFakeSts();
    try {
      await fn();
    } finally {
      await stub?.close();
      stub = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** A token no other test uses, not JWT-shaped (so only registration can redact it). */
const newToken = (label: string) => `${label}-${Math.random().toString(36).slice(2, 12)}-irsa`;

function tokenFile(content: string): string {
  const path = join(dir, `token-${++serial}`);
  writeFileSync(path, content);
  return path;
}

async function refusal(fn: () => Promise<unknown>): Promise<EpicacError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof EpicacError, String(error));
    return error;
  }
  assert.fail("expected a failure");
}

const settings = (): StsSettings => ({
  region: "us-west-2",
  endpoint: stub!.endpoint,
  timeoutMs: 2000,
  retries: 0,
});
const SESSION: SessionOptions = { sessionName: "irsa-pod", tags: [] };

/** The token's value, as the source reads it. */
const readWebIdentityToken = async (path: string) => (await readToken(path)).value;

/** The source's credentials for `config`, with STS handed in as the pipeline hands it. */
async function getWebIdentityCredentials(
  config: WebIdentityConfig,
  session: SessionOptions,
  sts: StsSettings,
) {
  const deadline = startDeadline(10_000);
  try {
    const { credentials } = await webIdentitySource.getCredentials({
      env: { AWS_WEB_IDENTITY_TOKEN_FILE: config.tokenFile, AWS_ROLE_ARN: config.roleArn },
      session,
      timeoutMs: sts.timeoutMs,
      retry: { retries: 0, baseDelayMs: 100, maxDelayMs: 1000, deadlineMs: 10_000 },
      deadline,
      sts: async () => ({ calls: await loadSts(), settings: sts }),
    });
    return credentials;
  } finally {
    deadline.cancel();
  }
}

test("webIdentityConfig needs both IRSA variables, non-empty", () => {
  assert.deepEqual(webIdentityConfig({ [FILE]: "/t", AWS_ROLE_ARN: ROLE }), {
    tokenFile: "/t",
    roleArn: ROLE,
  });
  assert.equal(webIdentityConfig({}), undefined);
  assert.equal(webIdentityConfig({ [FILE]: "/t" }), undefined);
  assert.equal(webIdentityConfig({ AWS_ROLE_ARN: ROLE }), undefined);
  assert.equal(webIdentityConfig({ [FILE]: "", AWS_ROLE_ARN: ROLE }), undefined);
  assert.equal(webIdentityConfig({ [FILE]: "/t", AWS_ROLE_ARN: "" }), undefined);
});

test(
  "the token is trimmed: the kubelet's trailing newline is not sent",
  scenario(async () => {
    const token = newToken("trim");
    assert.equal(await readWebIdentityToken(tokenFile(`${token}\n`)), token);
    assert.equal(await readWebIdentityToken(tokenFile(`  \t${token}\r\n\r\n`)), token);
  }),
);

test(
  "the token file is read afresh on every call (the kubelet rotates it)",
  scenario(async () => {
    const path = tokenFile(newToken("first"));
    const second = newToken("second");
    await readWebIdentityToken(path);
    writeFileSync(path, second);
    assert.equal(await readWebIdentityToken(path), second);
  }),
);

test(
  "an empty or blank token file is refused, naming the file",
  scenario(async () => {
    for (const content of ["", "\n", " \t\r\n"]) {
      const path = tokenFile(content);
      const error = await refusal(() => readWebIdentityToken(path));
      assert.equal(error.message, `the web identity token file ${path} is empty`);
      assert.equal(error.hint, "check that the kubelet has written the token");
    }
  }),
);

test(
  "a missing token file is named, with the variable and what to check",
  scenario(async () => {
    const path = join(dir, "no-such-token");
    const error = await refusal(() => readWebIdentityToken(path));
    assert.equal(
      error.message,
      `cannot read the web identity token file ${path} (${FILE}): no such file`,
    );
    assert.match(error.hint, /eks\.amazonaws\.com\/role-arn and the pod was restarted/);
  }),
);

test(
  "a token file that is a directory is named as such",
  scenario(async () => {
    const error = await refusal(() => readWebIdentityToken(dir));
    assert.equal(
      error.message,
      `cannot read the web identity token file ${dir} (${FILE}): it is a directory`,
    );
  }),
);

test(
  "an unreadable token file is reported as permission denied",
  {
    skip: IS_ROOT ? "running as root, which can read any file" : false,
  },
  scenario(async () => {
    const path = tokenFile(newToken("perm"));
    chmodSync(path, 0o000);
    const error = await refusal(() => readWebIdentityToken(path));
    assert.equal(
      error.message,
      `cannot read the web identity token file ${path} (${FILE}): permission denied`,
    );
  }),
);

test(
  "the token is registered for redaction",
  scenario(async () => {
    const token = newToken("redact");
    await readWebIdentityToken(tokenFile(`${token}\n`));
    assert.equal(
      redact(`InvalidIdentityToken: ${token} is bad`),
      "InvalidIdentityToken: [redacted] is bad",
    );
  }),
);

test(
  "getWebIdentityCredentials exchanges the token in an unsigned call for AWS_ROLE_ARN",
  scenario(async () => {
    const token = newToken("exchange");
    const first = stub!.requests.length;
    const credentials = await getWebIdentityCredentials(
      { tokenFile: tokenFile(`${token}\n`), roleArn: ROLE },
      { ...SESSION, durationSeconds: 7200 },
      settings(),
    );
    const calls = stub!.requests.slice(first);
    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.equal(call.action, "AssumeRoleWithWebIdentity");
    assert.equal(call.signed, false, "AssumeRoleWithWebIdentity must not be signed");
    assert.equal(call.params.WebIdentityToken, token, "the trimmed token is sent");
    assert.equal(call.params.RoleArn, ROLE);
    assert.equal(call.params.RoleSessionName, "irsa-pod");
    assert.equal(call.params.DurationSeconds, "7200");
    assert.match(credentials.accessKeyId, /^ASIASTUB/);
    assert.equal(credentials.accountId, "111122223333");
    assert.ok(credentials.expiration instanceof Date);
  }, true),
);

test(
  "the web identity call sends only what STS accepts for it",
  scenario(async () => {
    const first = stub!.requests.length;
    await getWebIdentityCredentials(
      { tokenFile: tokenFile(newToken("fields")), roleArn: ROLE },
      {
        sessionName: "irsa-pod",
        externalId: "ext-1",
        sourceIdentity: "alice",
        tags: [{ Key: "team", Value: "a" }],
      },
      settings(),
    );
    const keys = Object.keys(stub!.requests[first].params);
    for (const absent of ["ExternalId", "SourceIdentity", "Tags.member.1.Key"]) {
      assert.ok(!keys.includes(absent), `${absent} was sent`);
    }
  }, true),
);

test(
  "an unreadable token makes no STS call",
  scenario(async () => {
    const first = stub!.requests.length;
    await refusal(() =>
      getWebIdentityCredentials(
        { tokenFile: join(dir, "missing"), roleArn: ROLE },
        SESSION,
        settings(),
      )
    );
    assert.equal(stub!.requests.length, first);
  }, true),
);

test(
  "STS's refusal of the token names the role and the identity provider to check",
  scenario(async () => {
    const role = "arn:aws:iam::111122223333:role/bad-token";
    const token = newToken("refused");
    const error = await refusal(() =>
      getWebIdentityCredentials({ tokenFile: tokenFile(token), roleArn: role }, SESSION, settings())
    );
    assert.match(
      error.message,
      /^sts:AssumeRoleWithWebIdentity of arn:aws:iam::111122223333:role\/bad-token failed: STS rejected the web identity token/,
    );
    assert.match(error.hint, /IAM OIDC identity provider/);
    assert.ok(!error.message.includes(token));
  }, true),
);
