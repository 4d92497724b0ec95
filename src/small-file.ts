// Reading a small text file (a token file, the AWS config file) without node:fs. Loading Bun's
// node:fs module costs about 1.3 ms of start-up, more than the read itself, on the path every
// credential refresh takes. Only a regular file up to `maxBytes` is read: a FIFO or /dev/zero
// must not hang or flood the run. Errors carry the usual codes (ENOENT, EACCES, EISDIR), plus
// ENOTREG and EFBIG for those.

interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  size: number;
}

interface RuntimeGlobals {
  Bun?: { file(path: string): { readonly size: number; text(): Promise<string> } };
  Deno?: { readTextFileSync(path: string): string; statSync(path: string): FileInfo };
}

export const MAX_TOKEN_BYTES = 64 * 1024;

export async function readSmallFile(path: string, maxBytes = MAX_TOKEN_BYTES): Promise<string> {
  const g = globalThis as RuntimeGlobals;
  let info: FileInfo;
  let read: () => Promise<string> | string;
  if (g.Bun) {
    // One stat, synchronous: a FIFO or a device has an infinite size, a missing file size 0
    // (its read then fails with ENOENT, a directory's with EISDIR). A second await costs more
    // start-up than the read.
    const file = g.Bun.file(path);
    info = { isFile: Number.isFinite(file.size), isDirectory: false, size: file.size };
    read = () => file.text();
  } else if (g.Deno) {
    info = g.Deno.statSync(path);
    read = () => g.Deno!.readTextFileSync(path);
  } else {
    const { readFile, stat } = await import("node:fs/promises");
    const s = await stat(path);
    info = { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size };
    read = () => readFile(path, "utf8");
  }
  const refuse = (code: string) => Object.assign(new Error(`cannot read ${path}`), { code });
  if (info.isDirectory) throw refuse("EISDIR");
  if (!info.isFile) throw refuse("ENOTREG");
  if (info.size > maxBytes) throw refuse("EFBIG");
  return await read();
}

/** A short reason for a failed read, from the error's code. */
export function readFailure(error: unknown, maxBytes = MAX_TOKEN_BYTES): string {
  const code = (error as { code?: string }).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  if (code === "ENOTREG") return "it is not a regular file";
  if (code === "EFBIG") return `it is larger than ${maxBytes} bytes`;
  return code ?? "read failed";
}
