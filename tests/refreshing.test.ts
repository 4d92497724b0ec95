// src/refreshing.ts: the module's providers call fetch only when needed: once per credentials'
// lifetime (until the refresh window), once for any number of concurrent callers, and again
// after a failure rather than caching it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { isDue, MIN_LIFE_MS, refreshing } from "../src/refreshing.ts";
import { FakeClock } from "./support/clock.ts";
import type { Credentials } from "../src/credentials.ts";

const MINUTE = 60_000;
const WINDOW = 5 * MINUTE;
const T0 = Date.UTC(2026, 0, 1);

/** Run `fn` with a clock of its own, whose wall clock the test moves (clock.jump). */
async function withClock(fn: (clock: FakeClock) => Promise<void>): Promise<void> {
  await fn(new FakeClock(T0));
}

/** A fetch that counts its calls and hands out numbered credentials. */
function counter(expiresInMs: number | undefined, clock: FakeClock) {
  const state = { calls: 0 };
  const fetch = () => {
    state.calls++;
    return Promise.resolve<Credentials>({
      accessKeyId: `AKID${state.calls}`,
      secretAccessKey: "secret",
      expiration: expiresInMs === undefined ? undefined : new Date(clock.now() + expiresInMs),
    });
  };
  return { state, fetch };
}

test("credentials are reused until the refresh window", async () => {
  await withClock(async (clock) => {
    const { state, fetch } = counter(60 * MINUTE, clock);
    const provider = refreshing(fetch, WINDOW, clock);
    const first = await provider();
    clock.jump(54 * MINUTE); // 6 minutes left: outside the 5-minute window
    const second = await provider();
    assert.equal(state.calls, 1);
    assert.equal(second, first);
  });
});

test("credentials are refreshed once inside the refresh window", async () => {
  await withClock(async (clock) => {
    const { state, fetch } = counter(60 * MINUTE, clock);
    const provider = refreshing(fetch, WINDOW, clock);
    await provider();
    clock.jump(55 * MINUTE + 1); // just under 5 minutes left
    assert.equal((await provider()).accessKeyId, "AKID2");
    assert.equal(state.calls, 2);
    // The refreshed credentials are then reused in turn.
    assert.equal((await provider()).accessKeyId, "AKID2");
    assert.equal(state.calls, 2);
  });
});

test("exactly refreshBeforeMs left counts as inside the window", async () => {
  await withClock(async (clock) => {
    const { state, fetch } = counter(60 * MINUTE, clock);
    const provider = refreshing(fetch, WINDOW, clock);
    await provider();
    clock.jump(55 * MINUTE - 1);
    await provider();
    assert.equal(state.calls, 1, "1 ms outside the window: reused");
    clock.jump(1);
    await provider();
    assert.equal(state.calls, 2, "at the window's edge: refreshed");
  });
});

test("a failed refresh inside the window falls back on credentials still usable, never less", async () => {
  await withClock(async (clock) => {
    let calls = 0;
    const provider = refreshing(
      () => {
        calls++;
        return calls > 1 ? Promise.reject(new Error("STS throttled")) : Promise.resolve({
          accessKeyId: "AKID1",
          secretAccessKey: "s",
          expiration: new Date(clock.now() + 60 * MINUTE),
        });
      },
      WINDOW,
      clock,
    );
    await provider();
    clock.jump(60 * MINUTE - MIN_LIFE_MS - 1);
    assert.equal((await provider()).accessKeyId, "AKID1");
    clock.jump(1);
    await assert.rejects(provider(), /STS throttled/);
  });
});

test("isDue: inside the window or expired", () => {
  const c = { accessKeyId: "a", secretAccessKey: "s", expiration: new Date(T0 + WINDOW) };
  assert.equal(isDue(c, WINDOW, T0 - 1), false);
  assert.equal(isDue(c, WINDOW, T0), true);
  assert.equal(isDue({ accessKeyId: "a", secretAccessKey: "s" }, WINDOW, T0), false);
});

test("expired credentials are never returned from the cache", async () => {
  await withClock(async (clock) => {
    const { state, fetch } = counter(60 * MINUTE, clock);
    const provider = refreshing(fetch, 0, clock);
    await provider();
    clock.jump(60 * MINUTE);
    assert.equal((await provider()).accessKeyId, "AKID2");
    assert.equal(state.calls, 2);
  });
});

test("credentials without an expiration are kept", async () => {
  await withClock(async (clock) => {
    const { state, fetch } = counter(undefined, clock);
    const provider = refreshing(fetch, WINDOW, clock);
    const first = await provider();
    clock.jump(365 * 24 * 60 * MINUTE);
    assert.equal(await provider(), first);
    assert.equal(state.calls, 1);
  });
});

test("concurrent callers share one in-flight fetch", async () => {
  let calls = 0;
  let resolve!: (c: Credentials) => void;
  const provider = refreshing(() => {
    calls++;
    return new Promise<Credentials>((r) => (resolve = r));
  }, WINDOW);
  const pending = [provider(), provider(), provider()];
  assert.equal(calls, 1);
  const credentials = { accessKeyId: "AKID", secretAccessKey: "s" };
  resolve(credentials);
  for (const result of await Promise.all(pending)) assert.equal(result, credentials);
  assert.equal(calls, 1);
});

test("concurrent callers of a refresh share one fetch too", async () => {
  await withClock(async (clock) => {
    const { state, fetch } = counter(60 * MINUTE, clock);
    const provider = refreshing(fetch, WINDOW, clock);
    await provider();
    clock.jump(58 * MINUTE);
    const results = await Promise.all([provider(), provider(), provider(), provider()]);
    assert.equal(state.calls, 2);
    assert.deepEqual(results.map((c) => c.accessKeyId), ["AKID2", "AKID2", "AKID2", "AKID2"]);
  });
});

test("a failed fetch is not cached: every waiting caller sees it, and the next call retries", async () => {
  let calls = 0;
  const failure = new Error("agent unreachable");
  const provider = refreshing(() => {
    calls++;
    return calls === 1
      ? Promise.reject(failure)
      : Promise.resolve({ accessKeyId: "AKID", secretAccessKey: "s" });
  }, WINDOW);
  const outcomes = await Promise.allSettled([provider(), provider()]);
  assert.equal(calls, 1);
  for (const outcome of outcomes) {
    assert.equal(outcome.status, "rejected");
    assert.equal((outcome as PromiseRejectedResult).reason, failure);
  }
  assert.equal((await provider()).accessKeyId, "AKID");
  assert.equal(calls, 2);
});

test("a failed refresh is retried on the next call", async () => {
  await withClock(async (clock) => {
    let calls = 0;
    const provider = refreshing(
      () => {
        calls++;
        if (calls === 2) return Promise.reject(new Error("STS throttled"));
        return Promise.resolve({
          accessKeyId: `AKID${calls}`,
          secretAccessKey: "s",
          expiration: new Date(clock.now() + 60 * MINUTE),
        });
      },
      WINDOW,
      clock,
    );
    await provider();
    clock.jump(61 * MINUTE); // expired: nothing valid is left to return
    await assert.rejects(provider(), /STS throttled/);
    assert.equal((await provider()).accessKeyId, "AKID3");
    assert.equal(calls, 3);
  });
});
