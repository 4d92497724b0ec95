// A credentials provider that keeps its last result until a refresh window before it expires,
// and shares one in-flight refresh between concurrent callers.

import type { Credentials } from "./credentials.ts";

export function refreshing(
  fetch: () => Promise<Credentials>,
  refreshBeforeMs: number,
): () => Promise<Credentials> {
  let current: Credentials | undefined;
  let inflight: Promise<Credentials> | undefined;
  const left = (c: Credentials) => (c.expiration ? c.expiration.getTime() - Date.now() : Infinity);
  return () => {
    if (current && left(current) > refreshBeforeMs) return Promise.resolve(current);
    inflight ??= fetch()
      .then((credentials) => (current = credentials))
      // A failed refresh inside the window keeps serving credentials that have not expired yet;
      // the next call tries again.
      .catch((error) => {
        if (current && left(current) > 0) return current;
        throw error;
      })
      .finally(() => (inflight = undefined));
    return inflight;
  };
}
