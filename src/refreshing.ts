// Credentials kept until a refresh window before they expire, refreshed one at a time however
// many callers ask: the rules the module's providers, serve's routes and the cache share. Expiry
// is judged by the wall clock (an `Expiration` is a wall-clock time), waits run on timers;
// both come from a Clock that tests replace.

import type { Credentials } from "./credentials.ts";

/** Credentials with this little life left are never handed out (the Pod Identity agent's rule). */
export const MIN_LIFE_MS = 15_000;

/** Where time comes from: the wall clock, and timers. */
export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  // Timers cannot wait longer than 2^31 - 1 ms: a longer wait ends early, and is judged again.
  setTimeout: (run, ms) => setTimeout(run, Math.min(Math.max(0, ms), 2 ** 31 - 1)),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** When credentials expire, in milliseconds since the epoch: Infinity without an Expiration. */
export function expiresAt(credentials: Credentials): number {
  return credentials.expiration?.getTime() ?? Infinity;
}

/** What expires: credentials, or the time they expire at (all node keeps of an answer's). */
export type Expiring = Credentials | number;

/** Milliseconds until the credentials expire (negative once they have); Infinity without one. */
export function lifeLeft(expiring: Expiring, now: number): number {
  return (typeof expiring === "number" ? expiring : expiresAt(expiring)) - now;
}

/** Inside the refresh window (or expired): time to get new credentials. */
export function isDue(expiring: Expiring, windowMs: number, now: number): boolean {
  return lifeLeft(expiring, now) <= windowMs;
}

/** Still worth handing out: more than MIN_LIFE_MS left. */
export function isUsable(expiring: Expiring, now: number): boolean {
  return lifeLeft(expiring, now) > MIN_LIFE_MS;
}

/** The last credentials fetched, and the one refresh that runs at a time. */
export class Refreshing {
  private credentials: Credentials | undefined;
  private inflight: Promise<Credentials> | undefined;

  constructor(
    private readonly fetch: () => Promise<Credentials>,
    readonly windowMs: number,
    readonly clock: Clock = SYSTEM_CLOCK,
  ) {}

  /** The last credentials fetched, usable or not. */
  get last(): Credentials | undefined {
    return this.credentials;
  }

  /** The credentials held, when still usable now. */
  held(): Credentials | undefined {
    const c = this.credentials;
    return c && isUsable(c, this.clock.now()) ? c : undefined;
  }

  /** No credentials yet, or inside the window. */
  due(): boolean {
    const c = this.credentials;
    return !c || isDue(c, this.windowMs, this.clock.now());
  }

  refreshing(): boolean {
    return this.inflight !== undefined;
  }

  /** Resolves once the refresh running now (if any) has ended, however it ended. */
  settled(): Promise<void> {
    return (this.inflight ?? Promise.resolve()).then(() => {}, () => {});
  }

  /** Fetch now, unless a fetch is running: every caller shares that one. */
  refresh(): Promise<Credentials> {
    this.inflight ??= this.fetch()
      .then((credentials) => (this.credentials = credentials))
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /**
   * The credentials outside the window as they are; else a refresh. A failed refresh falls back
   * on credentials still usable (the next call tries again); without any, its error is thrown.
   */
  async get(): Promise<Credentials> {
    if (!this.due()) return this.credentials!;
    try {
      return await this.refresh();
    } catch (error) {
      const held = this.held();
      if (held) return held;
      throw error;
    }
  }
}

/** A provider (the module's): credentials through a Refreshing. */
export function refreshing(
  fetch: () => Promise<Credentials>,
  windowMs: number,
  clock?: Clock,
): () => Promise<Credentials> {
  const credentials = new Refreshing(fetch, windowMs, clock);
  return () => credentials.get();
}
