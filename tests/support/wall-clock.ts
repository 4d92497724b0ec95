// The wall clock of a process under test, moved by the test: libfaketime (Debian's faketime)
// preloaded, reading its offset from a file on every call, with the monotonic clock left alone,
// as a resumed VM or an NTP step moves a real one. Works for native binaries and the runtimes
// (not for a binary under qemu-user, which would need the other architecture's library).
// (uname -m names the library's directory: x86_64-linux-gnu, aarch64-linux-gnu.)

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arch } from "node:os";

const LIBRARY = `/usr/lib/${
  arch() === "arm64" ? "aarch64" : "x86_64"
}-linux-gnu/faketime/libfaketime.so.1`;

export class WallClock {
  private readonly dir = mkdtempSync(join(tmpdir(), "epicac-clock-"));
  private readonly file = join(this.dir, "offset");
  /** Seconds the process's wall clock is ahead of the real one. */
  offsetSeconds = 0;

  constructor() {
    if (!existsSync(LIBRARY)) {
      throw new Error(
        `needs libfaketime (Debian's faketime; scripts/ensure-system-packages): ${LIBRARY}`,
      );
    }
    this.write();
  }

  /** The variables that put the process on this clock. */
  env(): Record<string, string> {
    return {
      LD_PRELOAD: LIBRARY,
      FAKETIME_TIMESTAMP_FILE: this.file,
      FAKETIME_NO_CACHE: "1",
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
    };
  }

  /** Step the process's wall clock forward by `seconds`; its timers do not notice. */
  jump(seconds: number): void {
    this.offsetSeconds += seconds;
    this.write();
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private write(): void {
    writeFileSync(this.file, `+${this.offsetSeconds}\n`);
  }
}
