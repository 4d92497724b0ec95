// The version line: epicac's version and the runtime the binary was built with.

import process from "node:process";
import pkg from "../../package.json" with { type: "json" };

export const VERSION: string = pkg.version;

interface RuntimeGlobals {
  Deno?: { version: { deno: string } };
  Bun?: { version: string };
}

/** "deno 2.9.6" or "bun 1.4.5": whichever runtime is executing this code. */
export function runtimeName(): string {
  const g = globalThis as RuntimeGlobals;
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${process.version}`;
}

export function versionLine(): string {
  return `epicac ${VERSION} (${runtimeName()}, ${process.platform}-${process.arch})\n`;
}
