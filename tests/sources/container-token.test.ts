// src/sources/container-token.ts: the Authorization token, from the token file (preferred) or the
// variable; trimmed, never empty, never able to split the header, and always registered for
// redaction.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { readAuthorizationToken } from "../../src/sources/container-token.ts";
import { EpicacError } from "../../src/errors.ts";
import { redact } from "../../src/redact.ts";
import { withDirectory } from "../support/directory.ts";

const FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
const INLINE = "AWS_CONTAINER_AUTHORIZATION_TOKEN";

/** A token no other test uses, not JWT-shaped (so only registration can redact it). */
function newToken(label: string): string {
  return `${label}-${Math.random().toString(36).slice(2, 12)}-tokenvalue`;
}

/** The refusal, whether the reader throws or rejects. */
async function refusal(fn: () => unknown): Promise<EpicacError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof EpicacError, String(error));
    return error;
  }
  assert.fail("expected the token to be refused");
}

test("the token file is preferred over the inline token", async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "token");
    const fromFile = newToken("file");
    writeFileSync(path, fromFile);
    assert.deepEqual(await readAuthorizationToken({ [FILE]: path, [INLINE]: newToken("inline") }), {
      value: fromFile,
      origin: `token file ${path}`,
    });
  });
});

test("the inline token is used when no token file is set", async () => {
  const inline = newToken("inline");
  assert.deepEqual(await readAuthorizationToken({ [INLINE]: inline }), {
    value: inline,
    origin: INLINE,
  });
  assert.equal((await readAuthorizationToken({ [FILE]: "", [INLINE]: inline }))?.value, inline);
});

test("no token at all is not an error: the request goes without Authorization", async () => {
  assert.equal(await readAuthorizationToken({}), undefined);
  assert.equal(await readAuthorizationToken({ OTHER: newToken("other") }), undefined);
  assert.equal(await readAuthorizationToken({ [FILE]: "", [INLINE]: "" }), undefined);
});

test("the token is trimmed: the kubelet's trailing newline is not sent", async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "token");
    const token = newToken("trim");
    writeFileSync(path, `  ${token}\n`);
    assert.equal((await readAuthorizationToken({ [FILE]: path }))?.value, token);
    writeFileSync(path, `${token}\r\n\r\n`);
    assert.equal((await readAuthorizationToken({ [FILE]: path }))?.value, token);
  });
  const inline = newToken("trim");
  assert.equal((await readAuthorizationToken({ [INLINE]: `\t${inline} \n` }))?.value, inline);
});

test("the token file is read afresh on every call (the kubelet rotates it)", async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "token");
    const first = newToken("first");
    const second = newToken("second");
    writeFileSync(path, first);
    assert.equal((await readAuthorizationToken({ [FILE]: path }))?.value, first);
    writeFileSync(path, second);
    assert.equal((await readAuthorizationToken({ [FILE]: path }))?.value, second);
  });
});

test("an empty or blank token file is refused, naming the file", async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "token");
    for (const content of ["", "\n", "  \t\n"]) {
      writeFileSync(path, content);
      const error = await refusal(() => readAuthorizationToken({ [FILE]: path }));
      assert.equal(error.message, `the token file ${path} is empty`);
      assert.match(error.hint, /kubelet/);
    }
  });
});

test("a blank inline token is refused, naming the variable", async () => {
  const error = await refusal(() => readAuthorizationToken({ [INLINE]: " \n " }));
  assert.equal(error.message, `the ${INLINE} is empty`);
});

test("a token holding CR or LF inside is refused without quoting it", async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "token");
    for (const sep of ["\r\n", "\n", "\r"]) {
      const token = newToken("crlf");
      writeFileSync(path, `${token}${sep}X-Injected: 1\n`);
      const error = await refusal(() => readAuthorizationToken({ [FILE]: path }));
      assert.equal(error.message, `the token file ${path} holds a line break inside the token`);
      assert.match(error.hint, /CR or LF/);
      assert.ok(!(error.message + error.hint).includes(token));
    }
  });
  const token = newToken("crlf");
  const error = await refusal(() =>
    readAuthorizationToken({ [INLINE]: `${token}\r\nX-Injected: 1` })
  );
  assert.equal(error.message, `the ${INLINE} holds a line break inside the token`);
  assert.ok(!error.message.includes(token));
});

test("a token holding NUL or another control character is refused before it reaches a header", async () => {
  // fetch rejects such a header value; Deno's error quotes the value, and describeError turns
  // the control character into a space, so redaction no longer matches the token.
  for (const bad of ["\u0000", "\u0001", "\u001b", "\u007f"]) {
    const token = `${newToken("ctl")}${bad}${newToken("tail")}`;
    await refusal(() => readAuthorizationToken({ [INLINE]: token }));
  }
});

test("a missing token file is named, with what to check", async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "no-such-token");
    const error = await refusal(() =>
      readAuthorizationToken({ [FILE]: path, [INLINE]: newToken("x") })
    );
    assert.equal(
      error.message,
      `cannot read the token file ${path} (${FILE}): no such file`,
    );
    assert.match(error.hint, /projected service-account token volume is mounted/);
    assert.equal(error.retryable, false);
  });
});

test("a token file that is a directory is named as such", async () => {
  await withDirectory(async (dir) => {
    const error = await refusal(() => readAuthorizationToken({ [FILE]: dir }));
    assert.equal(error.message, `cannot read the token file ${dir} (${FILE}): it is a directory`);
  });
});

const isRoot = process.getuid?.() === 0;

test("an unreadable token file is reported as permission denied", {
  skip: isRoot ? "running as root, which can read any file" : false,
}, async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "token");
    writeFileSync(path, newToken("perm"));
    chmodSync(path, 0o000);
    const error = await refusal(() => readAuthorizationToken({ [FILE]: path }));
    assert.equal(error.message, `cannot read the token file ${path} (${FILE}): permission denied`);
  });
});

test("other read failures are reported with their error code", async () => {
  await withDirectory(async (dir) => {
    const file = join(dir, "plain-file");
    writeFileSync(file, "x");
    const path = join(file, "token"); // a path through a regular file
    const error = await refusal(() => readAuthorizationToken({ [FILE]: path }));
    assert.equal(error.message, `cannot read the token file ${path} (${FILE}): ENOTDIR`);
  });
});

test("the token is registered for redaction, from the file and from the variable", async () => {
  await withDirectory(async (dir) => {
    const path = join(dir, "token");
    const fromFile = newToken("redact-file");
    writeFileSync(path, `${fromFile}\n`);
    await readAuthorizationToken({ [FILE]: path });
    assert.equal(redact(`Access Denied for ${fromFile}`), "Access Denied for [redacted]");
  });
  const inline = newToken("redact-inline");
  await readAuthorizationToken({ [INLINE]: inline });
  assert.equal(redact(`echo ${inline}!`), "echo [redacted]!");
});

test("a refused token is still registered for redaction", async () => {
  const token = `${newToken("refused")}\n${newToken("second-line")}`;
  await refusal(() => readAuthorizationToken({ [INLINE]: token }));
  assert.equal(redact(`saw ${token}`), "saw [redacted]");
});
