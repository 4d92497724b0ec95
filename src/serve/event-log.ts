// serve's log on stderr, written so that it never holds the server up: lines wait in a queue
// of at most MAX_QUEUED_BYTES and go out one write at a time, off the event loop
// (Deno.stderr.write; node:fs's write under Bun, whose synchronous writes would block). When
// the reader does not keep up (a pipe nobody reads), lines that do not fit are dropped and
// counted (a metric), and once it has read everything again, one line says how many were lost.

import { write } from "node:fs";
import { eventLine, logEventsTo } from "../log.ts";

export const MAX_QUEUED_BYTES = 1024 * 1024;
/** A stderr that is non-blocking and full is tried again this much later. */
const RETRY_MS = 100;

interface RuntimeGlobals {
  Deno?: { stderr: { write(bytes: Uint8Array): Promise<number> } };
}

export class EventLog {
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private writing = false;
  private idle: (() => void)[] = [];
  private unreported = 0;
  /** Lines dropped since the start. */
  dropped = 0;

  constructor(
    private readonly write: (bytes: Uint8Array) => Promise<number>,
    private readonly maxBytes = MAX_QUEUED_BYTES,
  ) {}

  line(text: string): void {
    const bytes = new TextEncoder().encode(`${text}\n`);
    if (this.queuedBytes + bytes.byteLength > this.maxBytes) {
      this.dropped++;
      this.unreported++;
      return;
    }
    this.queue.push(bytes);
    this.queuedBytes += bytes.byteLength;
    if (!this.writing) void this.writeQueued();
  }

  /** Resolves once all queued lines are written, or after `ms`. */
  flush(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (!this.writing) return resolve();
      setTimeout(resolve, ms);
      this.idle.push(resolve);
    });
  }

  private async writeQueued(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const bytes = this.queue[0];
      let written = bytes.byteLength;
      try {
        written = await this.write(bytes);
      } catch (error) {
        if ((error as { code?: string }).code === "EAGAIN") {
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
          continue;
        }
        // stderr is gone (closed, its reader left): this line is lost, the next is tried.
        this.dropped++;
      }
      this.queuedBytes -= written;
      if (written < bytes.byteLength) this.queue[0] = bytes.subarray(written);
      else this.queue.shift();
      if (this.queue.length === 0 && this.unreported > 0) {
        const count = this.unreported;
        this.unreported = 0;
        this.line(eventLine("log lines dropped", { count }));
      }
    }
    this.writing = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}

/** serve's event lines go through an EventLog on stderr from now on; returns it. */
export function startEventLog(): EventLog {
  const deno = (globalThis as RuntimeGlobals).Deno;
  const log = new EventLog(
    deno
      ? (bytes) => deno.stderr.write(bytes)
      : (bytes) =>
        new Promise((resolve, reject) =>
          write(2, bytes, (error, written) => error ? reject(error) : resolve(written))
        ),
  );
  logEventsTo((line) => log.line(line));
  return log;
}
