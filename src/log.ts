// Everything epicac writes to stderr: --debug step lines, the final error line, and the event
// lines of a long-running command.
// All go through redact(), so a secret cannot reach stderr by any route.

import { redact } from "./redact.ts";

// console.error rather than process.stderr: the Node-style stream is slow to create in Bun.

let debugOn = false;
/** A long-running command writes every line as a JSON event, --debug steps included. */
let asEvents = false;
/** Where event lines go: stderr at once, or the writer a long-running command gives. */
let writeEvent = (line: string) => console.error(line);
const started = performance.now();

export function enableDebug(): void {
  debugOn = true;
}

/** A step, a timing or a status, for --debug. Never pass a credential value in `message`. */
export function debug(message: string): void {
  if (!debugOn) return;
  if (asEvents) return logEvent("debug", { message });
  const ms = (performance.now() - started).toFixed(1);
  console.error(redact(`epicac: debug +${ms}ms ${message}`));
}

/** Write the one error line a failed run ends with. */
export function writeErrorLine(line: string): void {
  console.error(redact(line));
}

/** One JSON line for an event of a long-running command (serve), redacted like every line. */
export function logEvent(event: string, fields: Record<string, unknown> = {}): void {
  writeEvent(eventLine(event, fields));
}

/** The line logEvent() writes. */
export function eventLine(event: string, fields: Record<string, unknown> = {}): string {
  return redact(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
}

/**
 * From now on, --debug steps are JSON event lines too (serve's log is all JSON), and every
 * event line goes to `write` (serve's writer that never blocks). The final error line of a
 * failed run stays synchronous: it must be on stderr before the process exits.
 */
export function logEventsTo(write: (line: string) => void): void {
  asEvents = true;
  writeEvent = write;
}

/** Whether --debug is on (serve's request lines are debug only). */
export function debugEnabled(): boolean {
  return debugOn;
}
