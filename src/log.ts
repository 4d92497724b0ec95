// Everything epicac writes to stderr: --debug step lines and the final error line.
// Both go through redact(), so a secret cannot reach stderr by either route.

import { redact } from "./redact.ts";

// console.error rather than process.stderr: the Node-style stream is slow to create in Bun.

let debugEnabled = false;
const started = performance.now();

export function enableDebug(): void {
  debugEnabled = true;
}

/** A step, a timing or a status, for --debug. Never pass a credential value in `message`. */
export function debug(message: string): void {
  if (!debugEnabled) return;
  const ms = (performance.now() - started).toFixed(1);
  console.error(redact(`epicac: debug +${ms}ms ${message}`));
}

/** Write the one error line a failed run ends with. */
export function writeErrorLine(line: string): void {
  console.error(redact(line));
}
