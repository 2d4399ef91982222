/** What {@link GenerationalCache.get} returns for a key it does not hold (values themselves may be `undefined`). */
export const MISS: unique symbol = Symbol("miss");

/**
 * A bounded cache kept as two generations, a cheap stand-in for LRU: a hit in
 * the young map costs one lookup and no write; a hit in the old map moves the
 * entry to the young one; when the young map is half the capacity it becomes
 * the old one, and the old one is dropped. An entry used within the last
 * `capacity / 2` insertions is never evicted, and a hit allocates nothing (an
 * LRU `Map` that re-inserts on every hit churns its hash table, and the
 * garbage collector then pauses queries for it).
 */
export class GenerationalCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  /** At most `capacity` entries (at least 2). */
  constructor(capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: K): V | typeof MISS {
    const v = this.young.get(key);
    if (v !== undefined || this.young.has(key)) return v as V;
    if (!this.old.has(key)) return MISS;
    const moved = this.old.get(key) as V;
    this.old.delete(key);
    this.set(key, moved);
    return moved;
  }

  set(key: K, value: V): void {
    this.old.delete(key);
    this.young.set(key, value);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  /** Entries held now. */
  get size(): number { return this.young.size + this.old.size; }
}
