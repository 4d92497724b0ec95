// One route's credentials in `epicac serve`, kept fresh in the background: fetched at start, then
// again as soon as they enter the refresh window, so that clients normally receive credentials
// outside every SDK's own window. A request also checks the wall clock (a resumed VM or a clock
// step leaves a timer late) and starts a refresh when the credentials are due. Refreshes never
// come closer than MIN_REFRESH_INTERVAL_MS apart, whatever life STS or the source grants; a
// failed one is retried with full-jitter backoff, and meanwhile the previous credentials are
// served while they stay usable (more than MIN_LIFE_MS left). Each refresh runs the pipeline
// under a deadline of its own and re-reads the source's token.

import type { Credentials } from "../credentials.ts";
import { describeError } from "../errors.ts";
import { fullJitter } from "../http/retry.ts";
import { MIN_REFRESH_INTERVAL_MS } from "../options.ts";
import { type Plan, runChainWithin } from "../pipeline.ts";
import { type Clock, lifeLeft, Refreshing, SYSTEM_CLOCK } from "../refreshing.ts";
import type { Route } from "./routes.ts";

/** Backoff after a failed refresh: full jitter, 1 s doubling up to a minute. */
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 60_000;

export interface RefreshEvents {
  /** `shortLived`: the credentials came with less life than the refresh window. */
  refreshed(credentials: Credentials, shortLived: boolean): void;
  failed(message: string, retryInMs: number): void;
}

export class RouteCredentials {
  private readonly credentials: Refreshing;
  private failure: string | undefined;
  private timer: unknown;
  /** No refresh starts before this (wall clock): the floor after a refresh, the backoff after a failure. */
  private notBefore = 0;
  private failuresInARow = 0;
  private stopped = false;
  refreshes = 0;
  failures = 0;
  shortLived = 0;

  constructor(
    readonly route: Route,
    plan: Plan,
    windowMs: number,
    private readonly events: RefreshEvents,
    fetch: (plan: Plan) => Promise<Credentials> = runChainWithin,
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {
    this.credentials = new Refreshing(() => fetch(plan), windowMs, clock);
  }

  start(): void {
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  /**
   * Usable credentials, or undefined. Credentials due by the wall clock start a refresh now, when
   * none runs and the last one was long enough ago, whatever the timer says.
   */
  current(): Credentials | undefined {
    if (
      !this.stopped && this.credentials.due() && !this.credentials.refreshing() &&
      this.clock.now() >= this.notBefore
    ) {
      void this.refresh();
    }
    return this.credentials.held();
  }

  /**
   * Usable credentials, waiting for the refresh that runs now when there are none (a request
   * after the wall clock jumped past their expiry gets the new ones, not a 503); undefined when
   * that refresh fails too.
   */
  async awaited(): Promise<Credentials | undefined> {
    const now = this.current();
    if (now || !this.credentials.refreshing()) return now;
    await this.credentials.settled();
    return this.credentials.held();
  }

  /** Whether usable credentials are held (no refresh is started). */
  usable(): boolean {
    return this.credentials.held() !== undefined;
  }

  /** Why there are no usable credentials: what expired, and the last refresh's failure. */
  cause(): string {
    const expiration = this.credentials.last?.expiration;
    if (!expiration) return this.failure ?? "the first refresh has not finished yet";
    return `the credentials expire${
      lifeLeft(this.credentials.last!, this.clock.now()) > 0 ? " too soon, at" : "d at"
    } ${expiration.toISOString()}${
      this.failure ? ` and the last refresh failed: ${this.failure}` : ""
    }`;
  }

  /** Seconds until the credentials held expire (negative once they have), or undefined. */
  secondsLeft(): number | undefined {
    const last = this.credentials.last;
    return last?.expiration ? lifeLeft(last, this.clock.now()) / 1000 : undefined;
  }

  /** Refresh now, unless a refresh is already running (every caller shares that one). */
  async refresh(): Promise<void> {
    if (this.credentials.refreshing()) {
      await this.credentials.refresh().catch(() => {});
      return;
    }
    this.clock.clearTimeout(this.timer);
    try {
      const credentials = await this.credentials.refresh();
      this.failure = undefined;
      this.failuresInARow = 0;
      this.refreshes++;
      const left = lifeLeft(credentials, this.clock.now());
      const shortLived = left <= this.credentials.windowMs;
      if (shortLived) this.shortLived++;
      this.events.refreshed(credentials, shortLived);
      this.schedule(this.nextRefreshIn(left), MIN_REFRESH_INTERVAL_MS);
    } catch (error) {
      this.failure = describeError(error).replace(/^epicac: /, "");
      this.failures++;
      this.failuresInARow++;
      const delay = Math.max(
        250,
        fullJitter(this.failuresInARow, RETRY_BASE_MS, RETRY_MAX_MS),
      );
      this.events.failed(this.failure, delay);
      this.schedule(delay, delay);
    }
  }

  /**
   * Until the credentials enter the window; when they leave too little room above it (STS granted
   * a shorter session, or the source's credentials have little life), half their life; never
   * sooner than the floor.
   */
  private nextRefreshIn(left: number): number {
    const untilWindow = left - this.credentials.windowMs;
    return Math.max(
      MIN_REFRESH_INTERVAL_MS,
      untilWindow >= MIN_REFRESH_INTERVAL_MS ? untilWindow : left / 2,
    );
  }

  /** The timer for the next refresh, and the earliest a request may start one. */
  private schedule(delayMs: number, floorMs: number): void {
    this.notBefore = this.clock.now() + floorMs;
    if (this.stopped) return;
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => void this.refresh(), delayMs);
  }
}
