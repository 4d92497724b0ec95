// src/serve/refresher.ts with the pipeline replaced by an injected fetch and time by a fake
// clock: a route refreshes when its credentials enter the window (or, on a request, when the
// wall clock says they are due), one refresh at a time, never closer than the floor, keeps the
// previous credentials while refreshes fail, and says why once there are none.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Credentials } from "../../src/credentials.ts";
import type { Plan } from "../../src/pipeline.ts";
import { MIN_REFRESH_INTERVAL_MS } from "../../src/options.ts";
import { MIN_LIFE_MS } from "../../src/refreshing.ts";
import { RouteCredentials } from "../../src/serve/refresher.ts";
import { EpicacError } from "../../src/errors.ts";
import { FakeClock, settle } from "../support/clock.ts";

const PLAN = {} as Plan;
const ROUTE = { name: "audit", path: "/v1/credentials/audit", chain: {} } as never;
const MINUTE = 60_000;
const WINDOW = 15 * MINUTE;

interface Recorded {
  refreshed: { credentials: Credentials; shortLived: boolean }[];
  failed: { message: string; retryInMs: number }[];
  fetches: number;
}

/** A route whose fetch answers with `answer(n)` (n counts fetches from 1). */
function route(answer: (n: number, clock: FakeClock) => Promise<Credentials>) {
  const clock = new FakeClock();
  const seen: Recorded = { refreshed: [], failed: [], fetches: 0 };
  const credentials = new RouteCredentials(
    ROUTE,
    PLAN,
    WINDOW,
    {
      refreshed: (c, shortLived) => seen.refreshed.push({ credentials: c, shortLived }),
      failed: (message, retryInMs) => seen.failed.push({ message, retryInMs }),
    },
    () => answer(++seen.fetches, clock),
    clock,
  );
  return { route: credentials, clock, seen };
}

const lasting = (ms: number) => (n: number, clock: FakeClock) =>
  Promise.resolve<Credentials>({
    accessKeyId: `ASIAREFRESHED${String(n).padStart(7, "0")}`,
    secretAccessKey: "secret-secret",
    sessionToken: "token-token",
    expiration: new Date(clock.now() + ms),
  });

const denied = () =>
  Promise.reject(new EpicacError("sts:AssumeRole of arn:aws:iam::2:role/dest was denied", "x"));

test("a route refreshes once its credentials enter the refresh window, not before", async () => {
  const { route: r, clock, seen } = route(lasting(60 * MINUTE));
  r.start();
  await settle();
  assert.equal(seen.fetches, 1);
  assert.equal(clock.nextTimerIn(), 45 * MINUTE, "the timer is set for the window's edge");
  await clock.advance(45 * MINUTE - 1);
  assert.equal(seen.fetches, 1);
  await clock.advance(1);
  assert.equal(seen.fetches, 2);
  assert.equal(r.current(), seen.refreshed[1].credentials);
  assert.equal(r.refreshes, 2);
  r.stop();
});

test("a forward jump of the wall clock: the next request starts a refresh", async () => {
  const { route: r, clock, seen } = route(lasting(60 * MINUTE));
  r.start();
  await settle();
  clock.jump(62 * MINUTE); // the timer has not fired: a resumed VM
  assert.equal(r.current(), undefined, "expired by the wall clock: never served");
  await settle();
  assert.equal(seen.fetches, 2, "the request started a refresh");
  assert.equal(r.current(), seen.refreshed[1].credentials);
  r.stop();
});

test("after a forward jump, a request awaits the refresh it started and gets its credentials", async () => {
  const { route: r, clock, seen } = route(lasting(60 * MINUTE));
  r.start();
  await settle();
  clock.jump(62 * MINUTE);
  const awaited = await r.awaited();
  assert.equal(seen.fetches, 2);
  assert.equal(awaited, seen.refreshed[1].credentials, "the new credentials, not none");
  r.stop();
});

test("a request awaiting a refresh that fails gets none, and does not wait for the retry", async () => {
  let fail = false;
  const { route: r, clock, seen } = route((n, c) => (fail ? denied() : lasting(60 * MINUTE)(n, c)));
  r.start();
  await settle();
  fail = true;
  clock.jump(62 * MINUTE);
  assert.equal(await r.awaited(), undefined);
  assert.equal(seen.fetches, 2, "one refresh awaited, the retry left to its timer");
  assert.match(r.cause(), /expired at .* and the last refresh failed: sts:AssumeRole/);
  r.stop();
});

test("a jump into the window: the request is served, and a refresh starts in the background", async () => {
  const { route: r, clock, seen } = route(lasting(60 * MINUTE));
  r.start();
  await settle();
  clock.jump(50 * MINUTE);
  assert.equal(r.current(), seen.refreshed[0].credentials, "10 minutes left: still served");
  await settle();
  assert.equal(seen.fetches, 2);
  r.stop();
});

test("requests never start refreshes closer than the floor, however short the credentials' life", async () => {
  // 40 s of life, under a 15-minute window: every credential is due as soon as it arrives.
  const { route: r, clock, seen } = route(lasting(40_000));
  r.start();
  await settle();
  assert.equal(seen.refreshed[0].shortLived, true);
  assert.equal(r.shortLived, 1);
  for (let i = 0; i < 100; i++) r.current();
  await settle();
  assert.equal(seen.fetches, 1, "due, but within the floor of the last refresh");
  assert.equal(clock.nextTimerIn(), MIN_REFRESH_INTERVAL_MS, "half the life is under the floor");
  await clock.advance(5 * MINUTE);
  assert.ok(seen.fetches <= 1 + (5 * MINUTE) / MIN_REFRESH_INTERVAL_MS, `${seen.fetches} fetches`);
  r.stop();
});

test("a duration just above the window refreshes at half its life, not at the window's edge", async () => {
  const { route: r, clock, seen } = route(lasting(WINDOW + 10_000));
  r.start();
  await settle();
  assert.equal(seen.refreshed[0].shortLived, false);
  assert.equal(clock.nextTimerIn(), (WINDOW + 10_000) / 2);
  r.stop();
});

test("credentials with 15 s or less left are never served", async () => {
  const { route: r, clock, seen } = route((n, c) =>
    n === 1 ? lasting(60 * MINUTE)(n, c) : denied()
  );
  r.start();
  await settle();
  clock.jump(60 * MINUTE - MIN_LIFE_MS - 1);
  assert.equal(r.current(), seen.refreshed[0].credentials);
  clock.jump(1);
  assert.equal(r.current(), undefined);
  r.stop();
});

test("any number of concurrent refreshes share one fetch", async () => {
  let release!: (c: Credentials) => void;
  const { route: r, seen } = route(() => new Promise((resolve) => (release = resolve)));
  const waiting = Array.from({ length: 200 }, () => r.refresh());
  for (let i = 0; i < 200; i++) r.current();
  assert.equal(seen.fetches, 1);
  release({
    accessKeyId: "ASIAREFRESHED0000001",
    secretAccessKey: "secret",
    expiration: new Date(Date.now() + 3_600_000),
  });
  await Promise.all(waiting);
  assert.equal(seen.fetches, 1);
  r.stop();
});

test("while refreshes fail the previous credentials are served while usable, then the cause", async () => {
  const { route: r, clock, seen } = route((n, c) =>
    n === 1 ? lasting(16 * MINUTE)(n, c) : denied()
  );
  r.start();
  await settle();
  await clock.advance(MINUTE); // the window opens: the refresh fails
  assert.ok(seen.failed.length >= 1);
  assert.equal(r.current(), seen.refreshed[0].credentials);
  // Backoff with full jitter, never less than 250 ms, at first at most 1 s.
  assert.ok(seen.failed[0].retryInMs >= 250 && seen.failed[0].retryInMs <= 1000);
  assert.doesNotMatch(seen.failed[0].message, /^epicac: /);
  await clock.advance(15 * MINUTE + 1000);
  assert.equal(r.current(), undefined);
  assert.match(
    r.cause(),
    /^the credentials expired at .* and the last refresh failed: sts:AssumeRole .*denied/,
  );
  assert.ok(r.secondsLeft()! < 0);
  assert.equal(r.refreshes, 1);
  assert.ok(r.failures >= 5, "retried with backoff, up to a minute apart");
  r.stop();
});

test("a failure at start leaves the route without credentials, saying why, and it retries", async () => {
  const { route: r, clock, seen } = route((n, c) =>
    n < 3
      ? Promise.reject(new EpicacError("the agent answered 500", "check the agent"))
      : lasting(60 * MINUTE)(n, c)
  );
  assert.equal(r.cause(), "the first refresh has not finished yet");
  r.start();
  await settle();
  assert.equal(r.current(), undefined);
  assert.equal(r.cause(), "the agent answered 500 (check the agent)");
  await clock.advance(5_000);
  assert.ok(r.current());
  assert.equal(seen.fetches, 3);
  assert.equal(r.failures, 2);
  r.stop();
});

test("a stopped route refreshes no more, by timer or by request", async () => {
  const { route: r, clock, seen } = route(lasting(16 * MINUTE));
  r.start();
  await settle();
  r.stop();
  await clock.advance(20 * MINUTE);
  r.current();
  await settle();
  assert.equal(seen.fetches, 1);
});
