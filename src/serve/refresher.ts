// One route's credentials in `epicac serve`, kept fresh in the background: fetched at start, then
// again as soon as they enter the refresh window (so that clients normally receive credentials
// outside every SDK's own window), one refresh at a time however many requests arrive. A failed
// refresh is retried with backoff; meanwhile the previous credentials are served until they
// expire. Each refresh runs the same pipeline as a run, under a deadline of its own, and re-reads
// the source's token.

import type { Credentials } from "../credentials.ts";
import { startDeadline } from "../deadline.ts";
import { describeError } from "../errors.ts";
import { type Plan, runChain } from "../pipeline.ts";
import type { Route } from "./routes.ts";

/** Backoff after a failed refresh: full jitter, 1 s doubling up to a minute. */
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 60_000;
/** When credentials arrive already inside the window, look again no sooner than this. */
const MIN_INTERVAL_MS = 1000;

export interface RefreshEvents {
  refreshed(route: Route, credentials: Credentials): void;
  failed(route: Route, message: string, retryInMs: number): void;
}

export class RouteCredentials {
  private credentials: Credentials | undefined;
  private failure: string | undefined;
  private inflight: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failuresInARow = 0;
  private stopped = false;
  refreshes = 0;
  failures = 0;

  constructor(
    readonly route: Route,
    private readonly plan: Plan,
    private readonly refreshBeforeMs: number,
    private readonly events: RefreshEvents,
    private readonly fetch: (plan: Plan, deadlineMs: number) => Promise<Credentials> = fetchOnce,
  ) {}

  start(): void {
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Credentials still valid now, or undefined. */
  current(now = Date.now()): Credentials | undefined {
    const c = this.credentials;
    return c && (!c.expiration || c.expiration.getTime() > now) ? c : undefined;
  }

  /** Why there are no valid credentials: what expired, and the last refresh's failure. */
  cause(): string {
    const expired = this.credentials?.expiration;
    if (!expired) return this.failure ?? "the first refresh has not finished yet";
    return `the credentials expired at ${expired.toISOString()}${
      this.failure ? ` and the last refresh failed: ${this.failure}` : ""
    }`;
  }

  /** Seconds until the credentials held expire (negative once they have), or undefined. */
  secondsLeft(now = Date.now()): number | undefined {
    const expiration = this.credentials?.expiration;
    return expiration ? (expiration.getTime() - now) / 1000 : undefined;
  }

  /** Refresh now, unless a refresh is already running: every caller shares that one. */
  refresh(): Promise<void> {
    this.inflight ??= this.run().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async run(): Promise<void> {
    clearTimeout(this.timer);
    try {
      const credentials = await this.fetch(this.plan, this.plan.options.retry.deadlineMs);
      this.credentials = credentials;
      this.failure = undefined;
      this.failuresInARow = 0;
      this.refreshes++;
      this.events.refreshed(this.route, credentials);
      this.schedule(this.nextRefreshIn(credentials));
    } catch (error) {
      this.failure = describeError(error).replace(/^epicac: /, "");
      this.failures++;
      this.failuresInARow++;
      const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (this.failuresInARow - 1));
      const delay = Math.max(250, Math.random() * ceiling);
      this.events.failed(this.route, this.failure, delay);
      this.schedule(delay);
    }
  }

  /** Until the credentials enter the refresh window; if they arrive inside it, half their life. */
  private nextRefreshIn(credentials: Credentials, now = Date.now()): number {
    if (!credentials.expiration) return RETRY_MAX_MS;
    const left = credentials.expiration.getTime() - now;
    const untilWindow = left - this.refreshBeforeMs;
    return untilWindow > 0 ? untilWindow : Math.max(MIN_INTERVAL_MS, left / 2);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    // Timers cannot wait longer than 2^31 - 1 ms: wake up and schedule again.
    this.timer = setTimeout(() => void this.refresh(), Math.min(delayMs, 2 ** 31 - 1));
  }
}

async function fetchOnce(plan: Plan, deadlineMs: number): Promise<Credentials> {
  const deadline = startDeadline(deadlineMs);
  try {
    return await runChain(plan, deadline);
  } finally {
    deadline.cancel();
  }
}
