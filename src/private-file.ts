// Files no other user may read or swap: created only where nothing is yet (a symlink included),
// with their mode set whatever the umask. A whole file is written to a temporary file, flushed,
// then moved into place: renamed over what is there (a cache entry), or linked where nothing is
// yet (a generated token), so that a reader never sees half a file and, of two writers racing
// for one path, the loser gets EEXIST and reads the winner's.

import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import process from "node:process";

/** A new file, open for writing, with `mode`; fails (EEXIST) where anything already is. */
export function createPrivateFile(path: string, mode = 0o600): number {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    // The umask may have narrowed the mode open() was given.
    fchmodSync(fd, mode);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/**
 * `data` at `path`, whole, with `mode`: `replace` renames it over whatever is there; otherwise
 * it is linked only where nothing is (EEXIST when something is). Throws the system's error.
 */
export function writeFileAtomically(
  path: string,
  data: string,
  mode: number,
  replace: boolean,
): void {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = createPrivateFile(temporary, mode);
  try {
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (replace) renameSync(temporary, path);
    else linkSync(temporary, path);
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // Renamed into place, or nothing was left.
    }
  }
}
