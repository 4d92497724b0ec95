// Token buckets, one per key (a source address, a service account, the whole node): `rate` a
// second, up to `burst` at once. Only the buckets of recent keys are kept (a forgotten one starts
// full again, which it would soon be anyway), so their number is bounded whatever the callers.

import type { Clock } from "../refreshing.ts";
import { Lru } from "./lru.ts";

export interface Rate {
  perSecond: number;
  burst: number;
}

export class Buckets {
  private readonly buckets: Lru<string, { tokens: number; at: number }>;

  constructor(private readonly rate: Rate, maxKeys: number, private readonly clock: Clock) {
    this.buckets = new Lru(maxKeys);
  }

  /** Take one token from `key`'s bucket; false when it is empty. */
  take(key = ""): boolean {
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.rate.burst, at: now };
    // A clock that stepped back refills nothing.
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(this.rate.burst, bucket.tokens + elapsed * this.rate.perSecond);
    bucket.at = now;
    const taken = bucket.tokens >= 1;
    if (taken) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    return taken;
  }
}
