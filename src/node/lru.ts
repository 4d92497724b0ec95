// A map that holds at most `max` entries, forgetting the least recently used one to make room:
// every table `epicac node` keeps per caller (remembered tokens, chained credentials, rate
// buckets) is one, so that no client can make the process grow without bound.

export class Lru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    readonly max: number,
    private readonly evicted: (key: K, value: V) => void = () => {},
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  /** Set the value, most recently used; the least recently used entry goes when full. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) {
      const [oldest, old] = this.map.entries().next().value as [K, V];
      this.map.delete(oldest);
      this.evicted(oldest, old);
    }
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Entries, least recently used first (iterating does not count as use). */
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
