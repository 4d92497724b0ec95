// --cache-dir: reuse the chain's result until a refresh window before it expires. Loaded only
// when the cache is on.

import type { ChainOptions } from "../chain/resolve.ts";
import type { Credentials } from "../credentials.ts";
import { debug } from "../log.ts";
import { registerSecret } from "../redact.ts";
import { cacheKey } from "./key.ts";
import { acquireLock } from "./lock.ts";
import { ensureCacheDir, entryPath, readEntry, writeEntry } from "./store.ts";

export async function withCache(
  options: ChainOptions,
  cache: { dir: string; refreshBeforeMs: number },
  resolve: () => Promise<Credentials>,
): Promise<Credentials> {
  const { dir, refreshBeforeMs } = cache;
  ensureCacheDir(dir);
  const key = await cacheKey(options);
  const cached = () => {
    const hit = readEntry(dir, key, refreshBeforeMs);
    if (hit) {
      registerSecret(hit.secretAccessKey);
      registerSecret(hit.sessionToken);
    }
    return hit;
  };

  const hit = cached();
  if (hit) {
    debug(`cache: hit ${entryPath(dir, key)}`);
    return hit;
  }
  let fresh: Credentials | undefined;
  const lock = await acquireLock(`${entryPath(dir, key)}.lock`, {
    waitMs: options.retry.deadlineMs,
    staleMs: options.retry.deadlineMs * 2,
    ready: () => (fresh = cached()) !== undefined,
  });
  if (!lock) {
    debug("cache: another process fetched the credentials while this one waited");
    return fresh!;
  }
  try {
    // The holder before us may have just written the entry.
    const again = cached();
    if (again) return again;
    debug(`cache: miss ${entryPath(dir, key)}`);
    const credentials = await resolve();
    writeEntry(dir, key, credentials);
    return credentials;
  } finally {
    lock.release();
  }
}
