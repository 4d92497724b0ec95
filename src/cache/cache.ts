// --cache-dir: a wrapper around any credentials function, reusing its result until a refresh
// window before it expires, under a key the caller computes (key.ts). Loaded only when the cache
// is on, and knows nothing of what it wraps. The cache is an optimisation: any fault of its own
// (a directory that cannot be created, read or written, one another user controls, a lock that
// cannot be taken) is logged under --debug and the run goes on uncached; credentials are never
// read or written where another user could. Only the fetch's own failures, and the deadline,
// end the run.

import type { Credentials } from "../credentials.ts";
import type { Deadline } from "../deadline.ts";
import { debug } from "../log.ts";
import { registerSecret } from "../redact.ts";
import { acquireLock, CacheFault } from "./lock.ts";
import { ensureCacheDir, entryPath, readEntry, writeEntry } from "./store.ts";

export interface CacheSettings {
  dir: string;
  refreshBeforeMs: number;
}

export async function withCache(
  fetch: () => Promise<Credentials>,
  cache: CacheSettings,
  key: string,
  deadline: Deadline,
): Promise<Credentials> {
  const { dir, refreshBeforeMs } = cache;
  const path = entryPath(dir, key);
  const uncached = (fault: unknown) => {
    debug(`cache: ${describeFault(fault)}; going on without the cache`);
    return fetch();
  };
  const cached = () => {
    const hit = readEntry(dir, key, refreshBeforeMs);
    if (hit) {
      registerSecret(hit.secretAccessKey);
      registerSecret(hit.sessionToken);
    }
    return hit;
  };

  try {
    ensureCacheDir(dir);
  } catch (fault) {
    return uncached(fault);
  }
  const hit = cached();
  if (hit) {
    debug(`cache: hit ${path}`);
    return hit;
  }
  let fresh: Credentials | undefined;
  let lock;
  try {
    lock = await acquireLock(`${path}.lock`, {
      deadline,
      ready: () => (fresh = cached()) !== undefined,
    });
  } catch (fault) {
    if (!(fault instanceof CacheFault)) throw fault; // the deadline passed while waiting
    return uncached(fault);
  }
  if (lock === "ready") {
    debug("cache: another process fetched the credentials while this one waited");
    return fresh!;
  }
  try {
    // The holder before us may have just written the entry.
    const again = cached();
    if (again) return again;
    debug(`cache: miss ${path}`);
    const credentials = await fetch();
    try {
      writeEntry(dir, key, credentials);
    } catch (fault) {
      debug(`cache: ${describeFault(fault)}; the credentials are not cached`);
    }
    return credentials;
  } finally {
    lock.release();
  }
}

function describeFault(fault: unknown): string {
  return fault instanceof Error ? fault.message : String(fault);
}
