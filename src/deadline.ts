// The overall deadline of a run (--deadline): started once, when the run starts, and handed to
// everything that waits (the cache lock, each request, STS, doctor's checks), so that the whole
// run ends within it, whatever waits inside.

export interface Deadline {
  /** Aborted when the deadline passes. */
  readonly signal: AbortSignal;
  /** The deadline's length, for messages. */
  readonly ms: number;
  /** Milliseconds left (0 once passed). */
  remainingMs(): number;
  /** Stop the timer (a module's caller must not be kept alive by it). */
  cancel(): void;
}

export function startDeadline(ms: number): Deadline {
  const controller = new AbortController();
  const endsAt = performance.now() + ms;
  const timer = setTimeout(() => controller.abort(), ms);
  return {
    signal: controller.signal,
    ms,
    remainingMs: () => Math.max(0, endsAt - performance.now()),
    cancel: () => clearTimeout(timer),
  };
}

/** Wait `ms`, or less if the deadline passes first. */
export function sleep(ms: number, deadline?: Deadline): Promise<void> {
  return new Promise((resolve) => {
    if (deadline?.signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      deadline?.signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    deadline?.signal.addEventListener("abort", done, { once: true });
  });
}
