// Reading the cache's own small files (entries, locks), so that nothing planted at their paths
// can hang or trick a run: lstat first (a symlink, FIFO or directory is not read), then open
// without following links and without blocking, and read only if it is still the same regular
// file. (They are created private to this user: private-file.ts.)

import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  type Stats,
} from "node:fs";

/**
 * The text of the regular file at `path` when `accept` takes its metadata and it holds at most
 * `maxBytes`; undefined when it is absent, not such a file, or changed while it was opened.
 */
export function readRegularFile(
  path: string,
  maxBytes: number,
  accept: (stat: Stats) => boolean = () => true,
): string | undefined {
  let before: Stats;
  try {
    before = lstatSync(path);
  } catch {
    return undefined;
  }
  const usable = (stat: Stats) => stat.isFile() && stat.size <= maxBytes && accept(stat);
  if (!usable(before)) return undefined;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined; // replaced since, or a symlink now
  }
  try {
    const stat = fstatSync(fd);
    if (!usable(stat) || stat.ino !== before.ino || stat.dev !== before.dev) return undefined;
    const buffer = new Uint8Array(maxBytes + 1);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    if (length > maxBytes) return undefined;
    return new TextDecoder().decode(buffer.subarray(0, length));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The error's code (ENOENT, EACCES, …), or its message when it has none. */
export function reasonOf(error: unknown): string {
  return (error as { code?: string }).code ?? String((error as Error)?.message ?? error);
}
