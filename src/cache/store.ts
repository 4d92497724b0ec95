// Cache entries on disk. The directory is 0700 and ours; entries are 0600 files written by
// atomic rename. An entry that is corrupt, not ours, readable by others or about to expire is
// ignored (and later replaced), never trusted.

import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import process from "node:process";
import * as z from "zod/mini";
import type { Credentials } from "../credentials.ts";
import { EpicacError } from "../errors.ts";
import { debug } from "../log.ts";

const Entry = z.object({
  version: z.literal(1),
  accessKeyId: z.string().check(z.minLength(1)),
  secretAccessKey: z.string().check(z.minLength(1)),
  sessionToken: z.optional(z.string()),
  expiration: z.string(),
  accountId: z.optional(z.string()),
});

const uid = () => process.getuid?.() ?? -1;

/** Create the directory 0700, or check an existing one: ours, a real directory, closed to others. */
export function ensureCacheDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // EEXIST: something that is not a directory is in the way; reported just below.
    if ((error as { code?: string }).code !== "EEXIST") throw error;
  }
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) {
    throw new EpicacError(
      `the cache directory ${dir} is not a directory`,
      "point --cache-dir (EPICAC_CACHE_DIR) at a directory of its own",
    );
  }
  if (stat.uid !== uid()) {
    throw new EpicacError(
      `the cache directory ${dir} belongs to uid ${stat.uid}, not to this user (uid ${uid()})`,
      "point --cache-dir (EPICAC_CACHE_DIR) at a directory this user owns",
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    debug(`cache: ${dir} was open to others (mode ${(stat.mode & 0o777).toString(8)}); set to 700`);
    chmodSync(dir, 0o700);
  }
}

export function entryPath(dir: string, key: string): string {
  return join(dir, `${key}.json`);
}

/** The entry's credentials when it is trustworthy and valid beyond `refreshBeforeMs`. */
export function readEntry(
  dir: string,
  key: string,
  refreshBeforeMs: number,
  now = Date.now(),
): Credentials | undefined {
  const path = entryPath(dir, key);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined; // absent, or a symlink
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.uid !== uid() || (stat.mode & 0o077) !== 0) {
      debug(`cache: ignoring ${path}: not a private file of this user`);
      return undefined;
    }
    const parsed = Entry.safeParse(safeJson(readFileSync(fd, "utf8")));
    const expiration = parsed.success ? new Date(parsed.data.expiration) : undefined;
    if (!parsed.success || !expiration || Number.isNaN(expiration.getTime())) {
      debug(`cache: ignoring ${path}: corrupt`);
      return undefined;
    }
    if (expiration.getTime() - now <= refreshBeforeMs) {
      debug(`cache: ${path} expires at ${expiration.toISOString()}, inside the refresh window`);
      return undefined;
    }
    const { accessKeyId, secretAccessKey, sessionToken, accountId } = parsed.data;
    return { accessKeyId, secretAccessKey, sessionToken, expiration, accountId };
  } finally {
    closeSync(fd);
  }
}

/** Write the entry to a private temporary file, flush it, and rename it into place. */
export function writeEntry(dir: string, key: string, credentials: Credentials): void {
  if (!credentials.expiration) return; // credentials that never expire are not cached
  const path = entryPath(dir, key);
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const body = JSON.stringify({
    version: 1,
    ...credentials,
    expiration: credentials.expiration.toISOString(),
  });
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temporary, path);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
