// src/serve/refresher.ts with the pipeline replaced by an injected fetch: a route refreshes when
// its credentials enter the window, one refresh at a time, keeps the previous credentials while
// refreshes fail, and says why once there are none.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Credentials } from "../../src/credentials.ts";
import type { Plan } from "../../src/pipeline.ts";
import { RouteCredentials } from "../../src/serve/refresher.ts";
import { EpicacError } from "../../src/errors.ts";

const PLAN = { options: { retry: { deadlineMs: 5000 } } } as unknown as Plan;
const ROUTE = { name: "audit", path: "/v1/credentials/audit", chain: {} } as never;

function credentials(expiresInMs: number, id = "ASIAREFRESHED0000001"): Credentials {
  return {
    accessKeyId: id,
    secretAccessKey: "secret",
    sessionToken: "token",
    expiration: new Date(Date.now() + expiresInMs),
  };
}

interface Recorded {
  refreshed: Credentials[];
  failed: { message: string; retryInMs: number }[];
}

function refresher(
  fetch: () => Promise<Credentials>,
  refreshBeforeMs: number,
): { route: RouteCredentials; seen: Recorded } {
  const seen: Recorded = { refreshed: [], failed: [] };
  const route = new RouteCredentials(ROUTE, PLAN, refreshBeforeMs, {
    refreshed: (_r, c) => seen.refreshed.push(c),
    failed: (_r, message, retryInMs) => seen.failed.push({ message, retryInMs }),
  }, fetch);
  return { route, seen };
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("a route refreshes once its credentials enter the refresh window, not before", async () => {
  const fetchedAt: number[] = [];
  const { route, seen } = refresher(() => {
    fetchedAt.push(Date.now());
    // The first credentials enter the 60 s window 300 ms from now; the next ones much later.
    return Promise.resolve(credentials(fetchedAt.length === 1 ? 60_300 : 3_600_000));
  }, 60_000);
  try {
    route.start();
    await until(() => seen.refreshed.length === 1, "the first refresh");
    assert.equal(route.current(), seen.refreshed[0]);
    const windowOpens = seen.refreshed[0].expiration!.getTime() - 60_000;
    await until(() => seen.refreshed.length === 2, "the refresh at the window");
    assert.ok(fetchedAt[1] >= windowOpens - 5, "refreshed before the window opened");
    assert.equal(route.current(), seen.refreshed[1]);
    assert.equal(route.refreshes, 2);
  } finally {
    route.stop();
  }
});

test("any number of concurrent refreshes share one fetch", async () => {
  let calls = 0;
  let release!: (c: Credentials) => void;
  const { route } = refresher(() => {
    calls++;
    return new Promise((resolve) => (release = resolve));
  }, 60_000);
  try {
    const waiting = Array.from({ length: 200 }, () => route.refresh());
    assert.equal(calls, 1);
    release(credentials(3_600_000));
    await Promise.all(waiting);
    assert.equal(calls, 1);
    assert.ok(route.current());
    // Once it ended, the next refresh fetches again.
    const next = route.refresh();
    assert.equal(calls, 2);
    release(credentials(3_600_000));
    await next;
  } finally {
    route.stop();
  }
});

test("while refreshes fail the previous credentials are served until they expire, then the cause", async () => {
  let calls = 0;
  const { route, seen } = refresher(() => {
    calls++;
    if (calls === 1) return Promise.resolve(credentials(1_200));
    return Promise.reject(
      new EpicacError("STS AssumeRole of arn:aws:iam::222222222222:role/dest: AccessDenied", "x"),
    );
  }, 1_000);
  try {
    route.start();
    await until(() => seen.failed.length >= 1, "a failed refresh");
    const first = seen.refreshed[0];
    const now = Date.now();
    if (now < first.expiration!.getTime() - 20) assert.equal(route.current(now), first);
    // Backoff with full jitter, never less than 250 ms, at first at most 1 s.
    assert.ok(seen.failed[0].retryInMs >= 250 && seen.failed[0].retryInMs <= 1000);
    assert.doesNotMatch(seen.failed[0].message, /^epicac: /);
    await until(() => Date.now() > first.expiration!.getTime(), "the expiry");
    assert.equal(route.current(), undefined);
    assert.match(
      route.cause(),
      new RegExp(
        `^the credentials expired at ${
          first.expiration!.toISOString()
        } and the last refresh failed: STS AssumeRole .*AccessDenied`,
      ),
    );
    assert.ok(route.secondsLeft()! < 0);
    assert.equal(route.refreshes, 1);
    assert.ok(route.failures >= 1);
  } finally {
    route.stop();
  }
});

test("a failure at start leaves the route without credentials, saying why, and it retries", async () => {
  let calls = 0;
  const { route, seen } = refresher(() => {
    calls++;
    return calls < 3
      ? Promise.reject(new EpicacError("the agent answered 500", "check the agent"))
      : Promise.resolve(credentials(3_600_000));
  }, 60_000);
  try {
    assert.equal(route.cause(), "the first refresh has not finished yet");
    route.start();
    await until(() => seen.failed.length === 1, "the first failure");
    assert.equal(route.current(), undefined);
    assert.equal(route.cause(), "the agent answered 500 (check the agent)");
    // Retried with backoff until it succeeds.
    await until(() => route.current() !== undefined, "a successful retry");
    assert.equal(calls, 3);
    assert.equal(route.failures, 2);
  } finally {
    route.stop();
  }
});

test("a stopped route refreshes no more", async () => {
  let calls = 0;
  const { route, seen } = refresher(() => {
    calls++;
    return Promise.resolve(credentials(61_000));
  }, 60_000);
  route.start();
  await until(() => seen.refreshed.length === 1, "the first refresh");
  route.stop();
  // Past the moment the window opened.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.equal(calls, 1);
});
