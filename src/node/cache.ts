// Chained credentials of `epicac node`, kept per caller's source credentials and route: a key is a
// hash of the whole source credentials with the route and its definition, never a service
// account or a route alone, so no pod ever receives what another pod's credentials chained. An
// entry ends at the earlier of the chained and the source credentials' expiry. Concurrent misses
// on one key make one chain; inside the refresh window the entry is answered at once and renewed
// in the background. The cache is a bounded LRU, and each service account has a cap of its own on
// entries and on misses (chains a second), so that one account that can mint tokens neither
// evicts the others nor floods STS. A chain runs to its end even when its caller has gone, so
// that the SDK's retry finds the entry. An entry is kept as the answer it is served as, bytes
// only, and its expiry: a node holds one for every pod and route.

import { createHash } from "node:crypto";
import type { Credentials } from "../credentials.ts";
import { type Clock, expiresAt, isDue, isUsable } from "../refreshing.ts";
import { credentialsAnswer } from "../serve/answer.ts";
import type { HttpResponse } from "../serve/http1.ts";
import { Buckets, type Rate } from "./limiter.ts";
import { Lru } from "./lru.ts";

export interface CacheLimits {
  maxEntries: number;
  /** Entries one service account may hold. */
  perSubjectEntries: number;
  /** Misses (chains) one service account may cause. */
  perSubjectMisses: Rate;
}

/** A service account's entries: its name, kept once for all of them, and how many there are. */
interface Holder {
  subject: string;
  held: number;
}

interface Entry {
  answer: HttpResponse;
  /** When the answer's credentials expire (ms since the epoch). */
  expiresAt: number;
  holder: Holder;
  route: string;
}

/** A miss refused by the service account's budget: answered 429. */
export class MissBudgetSpent extends Error {
  override name = "MissBudgetSpent";
}

export class ChainedCache {
  private readonly entries: Lru<string, Entry>;
  private readonly inflight = new Map<string, Promise<HttpResponse>>();
  private readonly holders = new Map<string, Holder>();
  private readonly misses: Buckets;
  hits = 0;
  missed = 0;
  evictions = 0;

  constructor(
    private readonly limits: CacheLimits,
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {
    this.entries = new Lru(limits.maxEntries, (_, entry) => {
      this.evictions++;
      this.forget(entry);
    });
    this.misses = new Buckets(limits.perSubjectMisses, limits.maxEntries, clock);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The answer of the chained credentials for `key`: an entry's while usable (renewed in the
   * background once due), else `chain`'s, which one caller at a time runs per key. `until` caps
   * an entry's life (the source credentials' expiry).
   */
  get(
    key: string,
    subject: string,
    route: string,
    until: number,
    chain: () => Promise<Credentials>,
  ): Promise<HttpResponse> {
    const now = this.clock.now();
    const entry = this.entries.get(key);
    if (entry && isUsable(entry.expiresAt, now)) {
      this.hits++;
      if (isDue(entry.expiresAt, this.windowMs, now) && !this.inflight.has(key)) {
        void this.run(key, { subject, route }, until, chain).catch(() => {});
      }
      return Promise.resolve(entry.answer);
    }
    const running = this.inflight.get(key);
    if (running) return running;
    this.missed++;
    if (!this.misses.take(subject)) {
      return Promise.reject(
        new MissBudgetSpent(`service account ${subject} has made too many new chains just now`),
      );
    }
    return this.run(key, { subject, route }, until, chain);
  }

  /** Forget every entry of a route (it changed, or is gone). */
  dropRoute(route: string): void {
    for (const [key, entry] of [...this.entries.entries()]) {
      if (entry.route === route) {
        this.entries.delete(key);
        this.forget(entry);
      }
    }
  }

  /** Chain for `key`, one run at a time, and keep the result as `owner`'s (a miss, a renewal). */
  private run(
    key: string,
    owner: { subject: string; route: string },
    until: number,
    chain: () => Promise<Credentials>,
  ): Promise<HttpResponse> {
    const running = chain()
      .then((chained) => {
        const credentials = capped(chained, until);
        const answer = credentialsAnswer(credentials);
        this.store(key, answer, expiresAt(credentials), owner);
        return answer;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, running);
    return running;
  }

  private store(
    key: string,
    answer: HttpResponse,
    expiresAt: number,
    owner: { subject: string; route: string },
  ): void {
    const previous = this.entries.get(key);
    if (previous) this.forget(previous);
    let holder = this.holders.get(owner.subject);
    if (!holder) this.holders.set(owner.subject, holder = { subject: owner.subject, held: 0 });
    if (++holder.held > this.limits.perSubjectEntries) {
      // The account's least recently used entry makes room, not another account's.
      for (const [oldKey, old] of this.entries.entries()) {
        if (old.holder === holder && oldKey !== key) {
          this.entries.delete(oldKey);
          this.forget(old);
          this.evictions++;
          break;
        }
      }
    }
    this.entries.set(key, { answer, expiresAt, holder, route: owner.route });
  }

  private forget(entry: Entry): void {
    if (--entry.holder.held === 0) this.holders.delete(entry.holder.subject);
  }
}

/** Credentials that expire no later than `until` (the source's expiry). */
function capped(credentials: Credentials, until: number): Credentials {
  return expiresAt(credentials) <= until
    ? credentials
    : { ...credentials, expiration: new Date(until) };
}

/** The key of one caller's source credentials on one route, as defined now. */
export function cacheKey(source: Credentials, route: { name: string; definition: string }): string {
  return createHash("sha256")
    .update(JSON.stringify([
      source.accessKeyId,
      source.secretAccessKey,
      source.sessionToken ?? "",
      route.name,
      route.definition,
    ]))
    .digest("base64");
}
