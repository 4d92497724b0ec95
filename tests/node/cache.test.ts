// src/node/cache.ts with injected chains and a fake clock: one chain per key however many ask,
// keys that never cross callers' source credentials, entries that end with the source's
// credentials, renewal in the background, and bounds that one service account cannot use to
// push the others out or to flood STS.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Credentials } from "../../src/credentials.ts";
import { cacheKey, ChainedCache, MissBudgetSpent } from "../../src/node/cache.ts";
import { FakeClock, settle } from "../support/clock.ts";

const MINUTE = 60_000;
const ROUTE = { name: "prod", definition: "d1" };

function credentials(clock: FakeClock, id: string, lifeMs = 60 * MINUTE): Credentials {
  return {
    accessKeyId: `ASIA${id.padStart(16, "0")}`,
    secretAccessKey: `secret-${id}`,
    sessionToken: `token-${id}`,
    expiration: new Date(clock.now() + lifeMs),
  };
}

function setUp(limits: Partial<ConstructorParameters<typeof ChainedCache>[0]> = {}) {
  const clock = new FakeClock();
  const cache = new ChainedCache(
    {
      maxEntries: 100,
      perSubjectEntries: 100,
      perSubjectMisses: { perSecond: 100, burst: 1000 },
      ...limits,
    },
    15 * MINUTE,
    clock,
  );
  let chains = 0;
  const chain = () => () => Promise.resolve(credentials(clock, String(++chains)));
  return { clock, cache, chain, chains: () => chains };
}

test("the key depends on the whole source credentials and the route's definition", () => {
  const clock = new FakeClock();
  const a = credentials(clock, "a");
  assert.equal(cacheKey(a, ROUTE), cacheKey({ ...a }, ROUTE));
  for (
    const other of [{ ...a, secretAccessKey: "x" }, { ...a, sessionToken: "x" }, {
      ...a,
      accessKeyId: "x",
    }]
  ) {
    assert.notEqual(cacheKey(other, ROUTE), cacheKey(a, ROUTE));
  }
  assert.notEqual(cacheKey(a, { name: "prod", definition: "d2" }), cacheKey(a, ROUTE));
  assert.notEqual(cacheKey(a, { name: "audit", definition: "d1" }), cacheKey(a, ROUTE));
});

test("100 callers at once on one key make one chain; the next ones hit", async () => {
  const { cache, clock } = setUp();
  let chains = 0;
  let release!: (c: Credentials) => void;
  const slow = () => {
    chains++;
    return new Promise<Credentials>((resolve) => (release = resolve));
  };
  const waiting = Array.from(
    { length: 100 },
    () => cache.get("k", "app/api", "prod", Infinity, slow),
  );
  release(credentials(clock, "1"));
  const answers = await Promise.all(waiting);
  assert.equal(chains, 1);
  assert.ok(answers.every((c) => c === answers[0]));
  assert.equal(await cache.get("k", "app/api", "prod", Infinity, slow), answers[0]);
  assert.equal(chains, 1);
  assert.deepEqual([cache.missed, cache.hits], [1, 1]);
});

test("an entry ends with the source credentials, and is renewed in the background once due", async () => {
  const { cache, clock, chain, chains } = setUp();
  const sourceUntil = clock.now() + 30 * MINUTE;
  const first = await cache.get("k", "app/api", "prod", sourceUntil, chain());
  assert.equal(
    JSON.parse(first.body).Expiration,
    new Date(sourceUntil).toISOString(),
    "capped at the source's expiry",
  );
  clock.jump(16 * MINUTE); // 14 minutes left: inside the window
  assert.equal(
    await cache.get("k", "app/api", "prod", Infinity, chain()),
    first,
    "answered at once",
  );
  await settle();
  assert.equal(chains(), 2, "and renewed in the background");
  assert.notEqual(await cache.get("k", "app/api", "prod", Infinity, chain()), first);
});

test("the cache holds at most maxEntries, the least recently used going first", async () => {
  const { cache, chain } = setUp({ maxEntries: 3 });
  for (const key of ["a", "b", "c"]) await cache.get(key, `ns/${key}`, "prod", Infinity, chain());
  await cache.get("a", "ns/a", "prod", Infinity, chain()); // a is used again
  await cache.get("d", "ns/d", "prod", Infinity, chain());
  assert.equal(cache.size, 3);
  assert.equal(cache.evictions, 1);
  const before = cache.missed;
  await cache.get("a", "ns/a", "prod", Infinity, chain());
  assert.equal(cache.missed, before, "a stayed");
  await cache.get("b", "ns/b", "prod", Infinity, chain());
  assert.equal(cache.missed, before + 1, "b went");
});

test("one service account's entries make room among themselves, never by evicting another's", async () => {
  const { cache, chain } = setUp({ maxEntries: 100, perSubjectEntries: 5 });
  await cache.get("other", "app/other", "prod", Infinity, chain());
  for (let i = 0; i < 50; i++) {
    await cache.get(`minted-${i}`, "app/minter", "prod", Infinity, chain());
  }
  assert.equal(cache.size, 6, "5 of the minter's, and the other account's one");
  const before = cache.missed;
  await cache.get("other", "app/other", "prod", Infinity, chain());
  assert.equal(cache.missed, before, "the other account's entry is still there");
});

test("one service account's misses are budgeted: over it, MissBudgetSpent", async () => {
  const { cache, chain, clock } = setUp({ perSubjectMisses: { perSecond: 1, burst: 3 } });
  for (let i = 0; i < 3; i++) await cache.get(`k${i}`, "app/minter", "prod", Infinity, chain());
  await assert.rejects(cache.get("k3", "app/minter", "prod", Infinity, chain()), MissBudgetSpent);
  await cache.get("k0", "app/minter", "prod", Infinity, chain()); // a hit costs nothing
  await cache.get("x", "app/other", "prod", Infinity, chain()); // another account is not affected
  await clock.advance(1000);
  await cache.get("k3", "app/minter", "prod", Infinity, chain());
});

test("a changed or removed route's entries are forgotten", async () => {
  const { cache, chain } = setUp();
  await cache.get("p", "app/api", "prod", Infinity, chain());
  await cache.get("a", "app/api", "audit", Infinity, chain());
  cache.dropRoute("prod");
  assert.equal(cache.size, 1);
});
