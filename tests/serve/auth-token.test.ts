// src/serve/auth-token.ts on real files: a missing token file gets a random token, written with
// the documented mode whatever the umask and never over another server's; a file that holds a
// token is used as it is, and read again when it changes, the previous token accepted for a
// grace period; a token no SDK could send is refused without being shown; the comparison
// accepts exactly the token.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { EpicacError } from "../../src/errors.ts";
import { ServeToken, TOKEN_FILE_MODE } from "../../src/serve/auth-token.ts";
import { redact } from "../../src/redact.ts";
import { FakeClock } from "../support/clock.ts";
import { thrownBy } from "../support/assertions.ts";
import { withDirectory } from "../support/directory.ts";

const GRACE = 120_000;
const TOKEN = "secret-token-from-a-kubernetes-secret-0123456789";

function load(path: string, clock = new FakeClock()) {
  const events: string[] = [];
  const token = ServeToken.load(path, GRACE, {
    rotated: () => events.push("rotated"),
    refused: (problem) => events.push(`refused: ${problem}`),
  }, clock);
  return { token, events, clock };
}

/** Replace the file atomically, as a Secret's update lands. */
function replace(path: string, text: string): void {
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
}

test("a missing token file gets a random 256-bit token, mode 0640 whatever the umask, no newline", () => {
  withDirectory((dir) => {
    const path = join(dir, "token");
    const umask = process.umask(0o077);
    let first, second;
    try {
      first = load(path).token;
      second = load(join(dir, "other")).token;
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

test("a file that holds a token (a Secret's) is used as it is; a second server reads the first one's", () => {
  withDirectory((dir) => {
    const path = join(dir, "token");
    writeFileSync(path, TOKEN, { mode: 0o600 });
    const { token } = load(path);
    assert.equal(token.generated, false);
    assert.equal(readFileSync(path, "utf8"), TOKEN, "the file is not rewritten");
    const generated = join(dir, "generated");
    const racers = [load(generated).token, load(generated).token];
    assert.deepEqual(racers.map((t) => t.generated), [true, false]);
    assert.ok(racers.every((t) => t.matches(readFileSync(generated, "utf8"))));
  });
});

test("only the exact token matches: no trimming, no prefix, no scheme", () => {
  withDirectory((dir) => {
    const path = join(dir, "token");
    writeFileSync(path, TOKEN);
    const { token } = load(path);
    assert.ok(token.matches(TOKEN));
    for (
      const presented of [
        `${TOKEN}x`,
        TOKEN.slice(0, -1),
        "",
        `Bearer ${TOKEN}`,
        `${TOKEN} `,
        `${TOKEN}\u00a0`,
        `\u000b${TOKEN}`,
        `x${TOKEN.slice(1)}`,
      ]
    ) assert.equal(token.matches(presented), false, JSON.stringify(presented));
  });
});

test("a token no SDK could send is refused at start, naming the file, never the token", () => {
  withDirectory((dir) => {
    const cases: [string, RegExp][] = [
      [`${TOKEN}\n`, /starts or ends with a newline, a space or a byte-order mark/],
      [`\ufeff${TOKEN}`, /byte-order mark/],
      [`${TOKEN}\u00a0`, /starts or ends with/],
      [`${TOKEN.slice(0, 10)}\u00e9${TOKEN.slice(10)}`, /not printable ASCII/],
      [`${TOKEN}\u000b`, /starts or ends with/],
      ["a token with spaces in it that is long enough", /not printable ASCII/],
      ["tooShortToken123", /holds a token of 16 characters; it needs 32 to 4096/],
      ["x".repeat(4097), /holds a token of 4097 characters/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const path = join(dir, `bad-${i}`);
      writeFileSync(path, text);
      const refused = thrownBy(EpicacError, () => load(path));
      assert.match(refused.message, new RegExp(`^the --token-file ${path} cannot be used: `));
      assert.match(refused.message, message);
      assert.ok(!`${refused.message} ${refused.hint}`.includes(text.trim()), "never the token");
    }
    const huge = join(dir, "huge");
    writeFileSync(huge, "x".repeat(100_000));
    assert.match(thrownBy(EpicacError, () => load(huge)).message, /larger than 65536 bytes/);
  });
});

test("a directory, a dangling symlink or an unwritable place is refused, never replaced", () => {
  withDirectory((dir) => {
    assert.match(
      thrownBy(EpicacError, () => load(dir)).message,
      new RegExp(`^cannot read the --token-file ${dir}: it is not a regular file`),
    );
    const dangling = join(dir, "dangling");
    symlinkSync(join(dir, "..data", "token"), dangling);
    assert.match(thrownBy(EpicacError, () => load(dangling)).message, /a symbolic link to nothing/);
    assert.deepEqual(readdirSync(dir), ["dangling"], "nothing was written there");
    const nowhere = join(dir, "missing", "token");
    const unwritable = thrownBy(EpicacError, () => load(nowhere));
    assert.match(unwritable.message, new RegExp(`^cannot write a new token to ${nowhere}`));
    assert.match(unwritable.hint, /emptyDir/);
  });
});

test("a replaced file's token works at once; the previous one until the grace ends", () => {
  withDirectory((dir) => {
    const path = join(dir, "token");
    writeFileSync(path, TOKEN);
    const { token, events, clock } = load(path);
    const next = `${TOKEN}-rotated`;
    replace(path, next);
    assert.ok(token.matches(next), "a refused request looks at the file");
    assert.deepEqual(events, ["rotated"]);
    assert.ok(token.matches(TOKEN), "the previous token, within the grace");
    clock.jump(GRACE - 1);
    assert.ok(token.matches(TOKEN));
    clock.jump(1);
    assert.equal(token.matches(TOKEN), false, "after the grace");
    assert.ok(token.matches(next));
  });
});

test("the file is looked at once a second even when no request is refused, and on SIGHUP (look)", () => {
  withDirectory((dir) => {
    const path = join(dir, "token");
    writeFileSync(path, TOKEN);
    const { token, events, clock } = load(path);
    replace(path, `${TOKEN}-second`);
    assert.ok(token.matches(TOKEN), "within the second, the old token alone is still current");
    assert.deepEqual(events, []);
    clock.jump(1000);
    assert.ok(token.matches(TOKEN));
    assert.deepEqual(events, ["rotated"], "a second later the file was looked at");
    replace(path, `${TOKEN}-third`);
    token.look();
    assert.deepEqual(events, ["rotated", "rotated"]);
  });
});

test("a changed file that cannot be used keeps the current token, and says why once", () => {
  withDirectory((dir) => {
    const path = join(dir, "token");
    writeFileSync(path, TOKEN);
    const { token, events } = load(path);
    replace(path, `${TOKEN}\n`);
    assert.ok(token.matches(TOKEN));
    assert.equal(token.matches("another-token-that-is-long-enough-to-be-one"), false);
    rmSync(path);
    assert.equal(token.matches("another-token-that-is-long-enough-to-be-one"), false);
    assert.equal(token.matches("yet-another-token-that-is-long-enough-to-be-one"), false);
    assert.ok(token.matches(TOKEN));
    assert.deepEqual(events, [
      "refused: it starts or ends with a newline, a space or a byte-order mark, which the applications' SDKs would send as part of the token",
      "refused: it is gone",
    ]);
  });
});
