// src/serve/auth-token.ts on real files: a missing token file gets a random token written with
// the documented mode whatever the umask, a file that holds a token is used as it is, a weak token
// is refused without being shown, and the comparison accepts exactly the token.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { EpicacError } from "../../src/errors.ts";
import { loadServeToken, sameInConstantTime, TOKEN_FILE_MODE } from "../../src/serve/auth-token.ts";
import { redact } from "../../src/redact.ts";

function withDirectory<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "epicac-serve-token-"));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

async function refusal(promise: Promise<unknown>): Promise<EpicacError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof EpicacError, String(error));
    return error;
  }
  assert.fail("accepted");
}

test("a missing token file gets a random 256-bit token, mode 0640 whatever the umask, no newline", async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "token");
    const umask = process.umask(0o077);
    let first, second;
    try {
      first = await loadServeToken(path);
      second = await loadServeToken(join(dir, "other"));
    } finally {
      process.umask(umask);
    }
    assert.equal(first.generated, true);
    const written = readFileSync(path, "utf8");
    assert.match(written, /^[A-Za-z0-9_-]{43}$/, "43 base64url characters: 256 bits, no newline");
    assert.equal(statSync(path).mode & 0o777, TOKEN_FILE_MODE);
    assert.equal(TOKEN_FILE_MODE, 0o640);
    assert.ok(first.matches(written));
    assert.notEqual(readFileSync(join(dir, "other"), "utf8"), written, "tokens are random");
    assert.equal(second.matches(written), false);
    assert.deepEqual(readdirSync(dir).sort(), ["other", "token"], "no temporary file is left");
    // Once loaded, the token is a secret: redacted wherever it would be written.
    assert.doesNotMatch(redact(`token ${written}`), new RegExp(written));
  });
});

test("a file that holds a token (a Secret's) is used as it is", async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "token");
    const token = "secret-token-from-a-kubernetes-secret-0123456789";
    writeFileSync(path, token, { mode: 0o600 });
    const loaded = await loadServeToken(path);
    assert.equal(loaded.generated, false);
    assert.equal(readFileSync(path, "utf8"), token, "the file is not rewritten");
    assert.ok(loaded.matches(token));
    assert.equal(loaded.matches(`${token}x`), false);
    assert.equal(loaded.matches(token.slice(0, -1)), false);
    assert.equal(loaded.matches(""), false);
  });
});

test("a token file with a trailing newline is refused: the SDKs would send the newline", async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "token");
    const token = "secret-token-from-a-kubernetes-secret-0123456789";
    writeFileSync(path, `${token}\n`);
    const refused = await refusal(loadServeToken(path));
    assert.match(refused.message, /ends \(or starts\) with a newline or spaces/);
    assert.match(refused.hint, /--from-literal/);
    assert.doesNotMatch(`${refused.message} ${refused.hint}`, new RegExp(token));
  });
});

test("a weak or unusable token file is refused, naming the file but never the token", async () => {
  await withDirectory(async (dir) => {
    const short = join(dir, "short");
    writeFileSync(short, "tooShortToken123");
    const weak = await refusal(loadServeToken(short));
    assert.match(weak.message, /holds a token of 16 characters; it needs at least 32 printable/);
    assert.doesNotMatch(`${weak.message} ${weak.hint}`, /tooShortToken123/);

    const spaced = join(dir, "spaced");
    writeFileSync(spaced, "a token with spaces in it that is long enough");
    assert.match((await refusal(loadServeToken(spaced))).message, /printable/);

    assert.match(
      (await refusal(loadServeToken(dir))).message,
      new RegExp(`^cannot read the --token-file ${dir}: `),
    );
    const nowhere = join(dir, "missing", "token");
    const unwritable = await refusal(loadServeToken(nowhere));
    assert.match(unwritable.message, new RegExp(`^cannot write a new token to ${nowhere}`));
    assert.match(unwritable.hint, /emptyDir/);
  });
});

test("the comparison accepts exactly the expected token", () => {
  const expected = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
  assert.equal(sameInConstantTime(expected, expected), true);
  assert.equal(sameInConstantTime(expected.slice(0, -1), expected), false);
  assert.equal(sameInConstantTime(`${expected}0`, expected), false);
  assert.equal(sameInConstantTime(`x${expected.slice(1)}`, expected), false);
  assert.equal(sameInConstantTime("", expected), false);
  assert.equal(sameInConstantTime(`Bearer ${expected}`, expected), false);
});
