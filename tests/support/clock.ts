// A clock for tests: the wall clock and the timers move only when the test says, so that code
// which waits minutes is checked in microseconds, and the wall clock can jump without the timers.

import type { Clock } from "../../src/refreshing.ts";

export class FakeClock implements Clock {
  private timers = new Map<number, { at: number; run: () => void }>();
  private ids = 0;
  /** The timers' own time: it moves with advance(), not with jump(). */
  private elapsed = 0;
  /** How far jump() moved the wall clock ahead of the timers. */
  private jumped = 0;

  constructor(private readonly start = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.start + this.elapsed + this.jumped;
  }

  setTimeout(run: () => void, ms: number): number {
    this.timers.set(++this.ids, { at: this.elapsed + Math.max(0, ms), run });
    return this.ids;
  }

  clearTimeout(timer: unknown): void {
    this.timers.delete(timer as number);
  }

  /** How long until the next timer fires, or undefined when none is set. */
  nextTimerIn(): number | undefined {
    const ats = [...this.timers.values()].map((t) => t.at - this.elapsed);
    return ats.length ? Math.min(...ats) : undefined;
  }

  /** Let `ms` pass on both clocks, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.elapsed + ms;
    for (;;) {
      await settle();
      const [id, next] = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
      if (!next || next.at > end) break;
      this.elapsed = next.at;
      this.timers.delete(id!);
      next.run();
    }
    this.elapsed = end;
    await settle();
  }

  /** Step the wall clock alone (a resumed VM, an NTP step): timers do not notice. */
  jump(ms: number): void {
    this.jumped += ms;
  }
}

/** Let every promise that can settle now do so. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
}
