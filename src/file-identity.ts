// The identity of the file a path names now (device, inode, size, change and modification
// times): any replacement or edit changes it, including the atomic symlink swap by which a
// Kubernetes Secret or ConfigMap update lands, which a file watch would miss. Looked at on a
// timer or on demand by what re-reads a file when it changes (serve's token, node's routes).

import { statSync } from "node:fs";

export function identityOf(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.ctimeNs}:${s.mtimeNs}`;
  } catch {
    return undefined;
  }
}
