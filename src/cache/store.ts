// Cache entries on disk. The directory is 0700 and ours; entries are 0600 files written
// atomically (private-file.ts). An entry that is corrupt, not a regular file, not ours, readable by others or
// about to expire is ignored (and later replaced), never trusted; nothing here ever blocks on a
// file (a FIFO planted at an entry's path is seen by lstat first, and opened non-blocking).
// A directory that cannot be used is a CacheFault: the run goes on uncached.

import { chmodSync, closeSync, lstatSync, mkdirSync, type Stats, unlinkSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { checkCredentials, type Credentials } from "../credentials.ts";
import { debug } from "../log.ts";
import { isDue } from "../refreshing.ts";
import { createPrivateFile, writeFileAtomically } from "../private-file.ts";
import { readRegularFile, reasonOf } from "./files.ts";
import { CacheFault } from "./lock.ts";

/** An entry is a few hundred bytes; anything much larger is not one. */
const MAX_ENTRY_BYTES = 64 * 1024;

const uid = () => process.getuid?.() ?? -1;

/** Create the directory 0700, or check an existing one: ours, a real directory, closed to others. */
export function ensureCacheDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // EEXIST: something that is not a directory is in the way; reported just below.
    if ((error as { code?: string }).code !== "EEXIST") {
      throw new CacheFault(`cannot create the cache directory ${dir}: ${reasonOf(error)}`);
    }
  }
  let stat: Stats;
  try {
    stat = lstatSync(dir);
  } catch (error) {
    throw new CacheFault(`cannot read the cache directory ${dir}: ${reasonOf(error)}`);
  }
  if (!stat.isDirectory()) throw new CacheFault(`the cache directory ${dir} is not a directory`);
  if (stat.uid !== uid()) {
    throw new CacheFault(
      `the cache directory ${dir} belongs to uid ${stat.uid}, not to this user (uid ${uid()})`,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    debug(`cache: ${dir} was open to others (mode ${(stat.mode & 0o777).toString(8)}); set to 700`);
    try {
      chmodSync(dir, 0o700);
    } catch (error) {
      throw new CacheFault(`cannot close the cache directory ${dir} to others: ${reasonOf(error)}`);
    }
  }
}

/** What doctor checks: the directory can be used and written (a probe file is created, removed). */
export function probeCacheDir(dir: string): void {
  ensureCacheDir(dir);
  const probe = join(dir, `.probe.${process.pid}.${Math.random().toString(36).slice(2)}`);
  try {
    closeSync(createPrivateFile(probe));
    unlinkSync(probe);
  } catch (error) {
    throw new CacheFault(`the cache directory ${dir} cannot be written: ${reasonOf(error)}`);
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
  const text = readPrivateFile(path);
  if (text === undefined) return undefined;
  let credentials: Credentials;
  try {
    const doc = JSON.parse(text);
    if (doc?.version !== 1) throw new Error("not a version 1 entry");
    credentials = checkCredentials(
      {
        ...doc,
        expiration: typeof doc.expiration === "string" ? new Date(doc.expiration) : undefined,
      },
      `the cache entry ${path}`,
      "",
      undefined,
      now,
    );
  } catch {
    debug(`cache: ignoring ${path}: corrupt or expired`);
    return undefined;
  }
  if (isDue(credentials, refreshBeforeMs, now)) {
    debug(
      `cache: ${path} expires at ${
        credentials.expiration!.toISOString()
      }, inside the refresh window`,
    );
    return undefined;
  }
  return credentials;
}

/** A private regular file of this user: what an entry must be to be read at all. */
function readPrivateFile(path: string): string | undefined {
  const text = readRegularFile(
    path,
    MAX_ENTRY_BYTES,
    (stat) => stat.uid === uid() && (stat.mode & 0o077) === 0,
  );
  if (text === undefined && present(path)) {
    debug(`cache: ignoring ${path}: not a private regular file of this user`);
  }
  return text;
}

function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Write the entry, private to this user, atomically in place of any older one. */
export function writeEntry(dir: string, key: string, credentials: Credentials): void {
  if (!credentials.expiration) return; // credentials that never expire are not cached
  const path = entryPath(dir, key);
  const body = JSON.stringify({
    version: 1,
    ...credentials,
    expiration: credentials.expiration.toISOString(),
  });
  try {
    writeFileAtomically(path, body, 0o600, true);
  } catch (error) {
    throw new CacheFault(`cannot write the cache entry ${path}: ${reasonOf(error)}`);
  }
}
