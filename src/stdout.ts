// Writing epicac's output. Exit 0 promises the output was written, so every write failure
// (a full disk, a closed pipe) is an error. For credentials, stdout must also not be the null
// device: a stdout that was closed when epicac started is reopened as /dev/null by both
// runtimes, and credentials written there are lost while the caller would see success. (The
// Deno build cannot tell: its sandbox denies any look at /dev and /proc without --allow-all.)
// Bun.write and Deno.stdout report errors where console.log drops them, and neither costs the
// start-up time of Bun's Node-style process.stdout stream.

import { EpicacError } from "./errors.ts";

interface RuntimeGlobals {
  Bun?: {
    stdout: unknown;
    file(fd: number): { stat(): Promise<{ isCharacterDevice(): boolean; rdev: number }> };
    write(destination: unknown, data: string): Promise<number>;
  };
  Deno?: { stdout: { writeSync(bytes: Uint8Array): number } };
}

/** Linux's device number for /dev/null (major 1, minor 3). */
const NULL_DEVICE = (1 << 8) | 3;

const HINT =
  "run epicac with its output read by the program that needs it, e.g. as credential_process";

/** Write `text` to stdout whole, or throw; `precious`: refuse the null device too. */
export async function writeStdout(text: string, precious: boolean): Promise<void> {
  // Nothing to write is no write: Bun.write of "" truncates a regular file, even one opened
  // for appending (`>>log`), which would erase a log that serve's stdout shares.
  if (text === "") return;
  const g = globalThis as RuntimeGlobals;
  try {
    if (g.Bun) {
      if (precious) {
        const stat = await g.Bun.file(1).stat();
        if (stat.isCharacterDevice() && stat.rdev === NULL_DEVICE) throw nullDevice();
      }
      const bytes = new TextEncoder().encode(text).byteLength;
      const written = await g.Bun.write(g.Bun.stdout, text);
      if (written !== bytes) throw new Error(`${written} of ${bytes} bytes written`);
    } else if (g.Deno) {
      const bytes = new TextEncoder().encode(text);
      for (let offset = 0; offset < bytes.length;) {
        offset += g.Deno.stdout.writeSync(bytes.subarray(offset));
      }
    } else {
      const { writeSync } = await import("node:fs");
      writeSync(1, text);
    }
  } catch (error) {
    if (error instanceof EpicacError) throw error;
    const code = (error as { code?: string }).code;
    throw new EpicacError(
      `cannot write the output to stdout: ${describe(code, error)}`,
      HINT,
    );
  }
}

function nullDevice(): EpicacError {
  return new EpicacError(
    "stdout is closed or /dev/null: the credentials would be lost",
    HINT,
  );
}

function describe(code: string | undefined, error: unknown): string {
  if (code === "ENOSPC") return "no space left on the device";
  if (code === "EPIPE" || (error as Error)?.name === "BrokenPipe") return "the reader closed it";
  if (code === "EBADF") return "it is closed";
  return code ?? String((error as Error)?.message ?? error).slice(0, 100);
}
