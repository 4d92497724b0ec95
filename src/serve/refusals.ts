// Refused requests (401, 403) in serve's log: never one line per request, which a client could
// use to flood the log, but at most one line per interval with how many there were, by status.

import type { Clock } from "../refreshing.ts";

export class RefusalLog {
  private counts = new Map<number, number>();
  private timer: unknown;

  constructor(
    private readonly intervalMs: number,
    private readonly write: (counts: Record<string, number>) => void,
    private readonly clock: Clock,
  ) {}

  /** Count one refusal; the first since the last line starts the interval. */
  count(status: number): void {
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
    this.timer ??= this.clock.setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Write what was counted, if anything (the interval ended, or the server stops). */
  flush(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.counts.size === 0) return;
    this.write(Object.fromEntries([...this.counts].map(([status, n]) => [`status${status}`, n])));
    this.counts.clear();
  }
}
