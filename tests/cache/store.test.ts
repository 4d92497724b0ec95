// src/cache/store.ts: the cache directory is private and ours; an entry is trusted only when it
// is a private regular file of this user, well-formed and not about to expire; entries are
// written 0600 by atomic rename, replacing whatever was there.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { CacheFault } from "../../src/cache/lock.ts";
import {
  ensureCacheDir,
  entryPath,
  probeCacheDir,
  readEntry,
  writeEntry,
} from "../../src/cache/store.ts";
import type { Credentials } from "../../src/credentials.ts";
import { thrownBy } from "../support/assertions.ts";

const IS_ROOT = process.getuid?.() === 0;
const NOT_ROOT = IS_ROOT ? false : "changing a file's owner needs root";
const OTHER_UID = 12345;
const KEY = "0123456789abcdef".repeat(4);
const HOUR = 3600_000;
let root = "";
let serial = 0;

/**
 * The test in its own scratch directory, removed by the test itself: under deno test a
 * top-level after() does not run when a test in the file is skipped (the chown cases).
 */
function scratch(fn: () => void): () => void {
  return () => {
    root = mkdtempSync(join(tmpdir(), "epicac-store-"));
    try {
      fn();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

/** A fresh, private cache directory. */
function cacheDir(): string {
  const dir = join(root, `cache-${++serial}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

function credentials(expiresInMs: number | null = HOUR): Credentials {
  return {
    accessKeyId: "ASIACACHED0000000001",
    secretAccessKey: `secret-${serial}-0123456789`,
    sessionToken: `token-${serial}-0123456789`,
    expiration: expiresInMs === null ? undefined : new Date(Date.now() + expiresInMs),
    accountId: "222222222222",
  };
}

/** An entry written by hand, as another process or a corrupted disk might leave it. */
function rawEntry(dir: string, body: unknown, mode = 0o600): string {
  const path = entryPath(dir, KEY);
  writeFileSync(path, typeof body === "string" ? body : JSON.stringify(body), { mode });
  chmodSync(path, mode);
  return path;
}

const VALID = () => ({
  version: 1,
  accessKeyId: "ASIAHANDWRITTEN00001",
  secretAccessKey: "handWrittenSecret/0123456789",
  sessionToken: "handWrittenSessionToken0123456789",
  expiration: new Date(Date.now() + HOUR).toISOString(),
});

/** A cache directory that cannot be used is a CacheFault: the run then goes on uncached. */
const refusal = (fn: () => unknown) => thrownBy(CacheFault, fn);

const mode = (path: string) => statSync(path).mode & 0o777;

test(
  "ensureCacheDir creates a missing directory, parents included, mode 0700",
  scratch(() => {
    const dir = join(root, `new-${++serial}`, "epicac");
    ensureCacheDir(dir);
    assert.ok(statSync(dir).isDirectory());
    assert.equal(mode(dir), 0o700);
  }),
);

test(
  "ensureCacheDir tightens a directory open to others to 0700",
  scratch(() => {
    for (const loose of [0o755, 0o770, 0o701, 0o777]) {
      const dir = cacheDir();
      chmodSync(dir, loose);
      ensureCacheDir(dir);
      assert.equal(mode(dir), 0o700, loose.toString(8));
    }
  }),
);

test(
  "ensureCacheDir accepts a private directory of this user as it is",
  scratch(() => {
    const dir = cacheDir();
    writeFileSync(join(dir, "keep"), "x");
    ensureCacheDir(dir);
    assert.equal(mode(dir), 0o700);
    assert.deepEqual(readdirSync(dir), ["keep"]);
  }),
);

test(
  "ensureCacheDir refuses a symlink, even to a directory",
  scratch(() => {
    const target = cacheDir();
    const link = join(root, `link-${++serial}`);
    symlinkSync(target, link);
    const error = refusal(() => ensureCacheDir(link));
    assert.equal(error.message, `the cache directory ${link} is not a directory`);
  }),
);

test(
  "ensureCacheDir refuses a regular file with its own message",
  scratch(() => {
    const file = join(root, `file-${++serial}`);
    writeFileSync(file, "not a directory");
    const error = refusal(() => ensureCacheDir(file));
    assert.equal(error.message, `the cache directory ${file} is not a directory`);
  }),
);

test(
  "ensureCacheDir refuses a directory owned by another user, and leaves it alone",
  {
    skip: NOT_ROOT,
  },
  scratch(() => {
    const dir = cacheDir();
    chmodSync(dir, 0o755);
    chownSync(dir, OTHER_UID, OTHER_UID);
    const error = refusal(() => ensureCacheDir(dir));
    assert.equal(
      error.message,
      `the cache directory ${dir} belongs to uid ${OTHER_UID}, not to this user (uid 0)`,
    );
    assert.equal(mode(dir), 0o755, "a foreign directory's mode must not be changed");
  }),
);

test(
  "readEntry returns a fresh entry written by writeEntry",
  scratch(() => {
    const dir = cacheDir();
    const written = credentials();
    writeEntry(dir, KEY, written);
    assert.deepEqual(readEntry(dir, KEY, 5 * 60_000), written);
  }),
);

test(
  "readEntry keeps the account optional, and requires what every source sends",
  scratch(() => {
    const dir = cacheDir();
    rawEntry(dir, VALID());
    const hit = readEntry(dir, KEY, 0);
    assert.equal(hit?.accessKeyId, "ASIAHANDWRITTEN00001");
    assert.equal(hit?.accountId, undefined);
    const { sessionToken: _token, ...noToken } = VALID();
    rawEntry(dir, noToken);
    assert.equal(readEntry(dir, KEY, 0), undefined, "an entry without a session token");
  }),
);

test(
  "readEntry finds nothing when the entry is absent",
  scratch(() => {
    const dir = cacheDir();
    assert.equal(readEntry(dir, KEY, 0), undefined);
    writeEntry(dir, KEY, credentials());
    assert.equal(readEntry(dir, "f".repeat(64), 0), undefined, "another key's entry");
  }),
);

test(
  "readEntry ignores a symlink, even to a valid private entry",
  scratch(() => {
    const dir = cacheDir();
    const elsewhere = cacheDir();
    writeEntry(elsewhere, KEY, credentials());
    symlinkSync(entryPath(elsewhere, KEY), entryPath(dir, KEY));
    assert.ok(readEntry(elsewhere, KEY, 0), "the target itself is valid");
    assert.equal(readEntry(dir, KEY, 0), undefined);
  }),
);

test(
  "readEntry ignores an entry that others may read or write",
  scratch(() => {
    for (const loose of [0o640, 0o604, 0o620, 0o602, 0o660, 0o644, 0o666]) {
      const dir = cacheDir();
      rawEntry(dir, VALID(), loose);
      assert.equal(readEntry(dir, KEY, 0), undefined, loose.toString(8));
    }
    const dir = cacheDir();
    rawEntry(dir, VALID(), 0o400);
    assert.ok(readEntry(dir, KEY, 0), "an owner-only mode other than 0600 is still private");
  }),
);

test(
  "readEntry ignores an entry owned by another user",
  { skip: NOT_ROOT },
  scratch(() => {
    const dir = cacheDir();
    const path = rawEntry(dir, VALID());
    assert.ok(readEntry(dir, KEY, 0));
    chownSync(path, OTHER_UID, OTHER_UID);
    assert.equal(readEntry(dir, KEY, 0), undefined);
  }),
);

test(
  "readEntry ignores a directory at the entry's path",
  scratch(() => {
    const dir = cacheDir();
    mkdirSync(entryPath(dir, KEY), { mode: 0o700 });
    assert.equal(readEntry(dir, KEY, 0), undefined);
  }),
);

test(
  "readEntry ignores corrupt JSON",
  scratch(() => {
    for (const body of ["", "{", "not json", JSON.stringify(VALID()).slice(0, -5), "\u0000"]) {
      const dir = cacheDir();
      rawEntry(dir, body);
      assert.equal(readEntry(dir, KEY, 0), undefined, JSON.stringify(body));
    }
  }),
);

test(
  "readEntry ignores JSON of the wrong shape",
  scratch(() => {
    const { accessKeyId: _a, ...noKey } = VALID();
    const { expiration: _e, ...noExpiration } = VALID();
    const shapes = [
      null,
      [],
      "text",
      { ...VALID(), version: 2 },
      { ...VALID(), version: "1" },
      noKey,
      noExpiration,
      { ...VALID(), accessKeyId: "" },
      { ...VALID(), secretAccessKey: "" },
      { ...VALID(), secretAccessKey: 42 },
      { ...VALID(), sessionToken: null },
      { ...VALID(), secretAccessKey: "short" },
      { ...VALID(), accessKeyId: "has space 0123456789" },
      { ...VALID(), sessionToken: "line\nbreak0123456789" },
      { ...VALID(), expiration: "not a date" },
      { ...VALID(), expiration: 4_102_444_800_000 },
    ];
    for (const body of shapes) {
      const dir = cacheDir();
      rawEntry(dir, JSON.stringify(body));
      assert.equal(readEntry(dir, KEY, 0), undefined, JSON.stringify(body));
    }
  }),
);

test(
  "readEntry ignores an entry inside the refresh window",
  scratch(() => {
    const dir = cacheDir();
    const now = Date.UTC(2026, 0, 1);
    const window = 5 * 60_000;
    rawEntry(dir, { ...VALID(), expiration: new Date(now + window).toISOString() });
    assert.equal(readEntry(dir, KEY, window, now), undefined, "at the window's edge");
    assert.ok(readEntry(dir, KEY, window, now - 1), "1 ms outside the window");
    assert.equal(readEntry(dir, KEY, window, now + window), undefined, "expired");
    assert.equal(readEntry(dir, KEY, 0, now + window), undefined, "expired, no window");
  }),
);

test(
  "writeEntry writes a private file and leaves no temporary file behind",
  scratch(() => {
    const dir = cacheDir();
    const written = credentials();
    writeEntry(dir, KEY, written);
    assert.deepEqual(readdirSync(dir), [`${KEY}.json`]);
    const path = entryPath(dir, KEY);
    assert.equal(mode(path), 0o600);
    assert.ok(lstatSync(path).isFile());
    const stored = JSON.parse(readFileSync(path, "utf8"));
    assert.equal(stored.version, 1);
    assert.equal(stored.expiration, written.expiration!.toISOString());
  }),
);

test(
  "writeEntry replaces an entry, keeping the file private",
  scratch(() => {
    const dir = cacheDir();
    writeEntry(dir, KEY, credentials());
    const second = { ...credentials(), accessKeyId: "ASIASECOND0000000002" };
    writeEntry(dir, KEY, second);
    assert.equal(readEntry(dir, KEY, 0)?.accessKeyId, "ASIASECOND0000000002");
    assert.deepEqual(readdirSync(dir), [`${KEY}.json`]);
  }),
);

test(
  "writeEntry replaces a loose entry with a private one",
  scratch(() => {
    const dir = cacheDir();
    const path = rawEntry(dir, VALID(), 0o666);
    writeEntry(dir, KEY, credentials());
    assert.equal(mode(path), 0o600);
    assert.ok(readEntry(dir, KEY, 0));
  }),
);

test(
  "writeEntry replaces an entry owned by another user",
  { skip: NOT_ROOT },
  scratch(() => {
    const dir = cacheDir();
    const path = rawEntry(dir, VALID());
    chownSync(path, OTHER_UID, OTHER_UID);
    writeEntry(dir, KEY, credentials());
    assert.equal(statSync(path).uid, 0);
    assert.equal(mode(path), 0o600);
    assert.ok(readEntry(dir, KEY, 0));
  }),
);

test(
  "writeEntry replaces a symlink at the entry's path without writing through it",
  scratch(() => {
    const dir = cacheDir();
    const target = join(root, `target-${++serial}`);
    writeFileSync(target, "someone else's file");
    symlinkSync(target, entryPath(dir, KEY));
    writeEntry(dir, KEY, credentials());
    assert.equal(readFileSync(target, "utf8"), "someone else's file");
    assert.ok(lstatSync(entryPath(dir, KEY)).isFile());
    assert.ok(readEntry(dir, KEY, 0));
  }),
);

test(
  "writeEntry does not cache credentials without an expiration",
  scratch(() => {
    const dir = cacheDir();
    writeEntry(dir, KEY, credentials(null));
    assert.deepEqual(readdirSync(dir), []);
  }),
);

test(
  "readEntry ignores an entry far larger than any real one",
  scratch(() => {
    const dir = cacheDir();
    rawEntry(dir, JSON.stringify({ ...VALID(), padding: "x".repeat(128 * 1024) }));
    assert.equal(readEntry(dir, KEY, 0), undefined);
  }),
);

test(
  "writeEntry onto a directory at the entry's path is a CacheFault and leaves nothing behind",
  scratch(() => {
    const dir = cacheDir();
    mkdirSync(join(entryPath(dir, KEY), "inside"), { recursive: true });
    const error = refusal(() => writeEntry(dir, KEY, credentials()));
    assert.match(error.message, /^cannot write the cache entry .*: (EISDIR|ENOTEMPTY|EEXIST)$/);
    assert.deepEqual(readdirSync(dir), [`${KEY}.json`], "no temporary file is left");
  }),
);

test(
  "probeCacheDir passes a private writable directory and refuses one it cannot write in",
  scratch(() => {
    const dir = cacheDir();
    probeCacheDir(dir);
    assert.deepEqual(readdirSync(dir), [], "the probe file is removed");
    const file = join(root, `not-a-dir-${++serial}`);
    writeFileSync(file, "x");
    assert.match(refusal(() => probeCacheDir(file)).message, /is not a directory/);
  }),
);
