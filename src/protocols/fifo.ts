// A Map that can give up its oldest entry in O(1) amortised time. V8's Map keeps deleted slots
// until it rehashes, so taking the oldest key with `map.keys().next()` after many deletions walks
// over all of them: on an NFS-heavy capture that made evicting from the bounded call tables the
// largest cost of the protocol pass. Here a parallel ring of (key, value) in insertion order is
// the eviction order; an entry whose key was deleted or set again since is stale and skipped.
// The ring is compacted when stale entries outnumber live ones, so memory stays proportional to
// the live entries.

const COMPACT_SLACK = 1024;

export class FifoMap<K, V> {
  private readonly map = new Map<K, V>();
  private keys: K[] = [];
  private vals: V[] = [];
  private head = 0;

  get size(): number {
    return this.map.size;
  }

  get(k: K): V | undefined {
    return this.map.get(k);
  }

  has(k: K): boolean {
    return this.map.has(k);
  }

  set(k: K, v: V): void {
    this.map.set(k, v);
    this.keys.push(k);
    this.vals.push(v);
    if (this.keys.length - this.head > 2 * this.map.size + COMPACT_SLACK) this.compact();
  }

  delete(k: K): boolean {
    return this.map.delete(k);
  }

  /** Removes and returns the oldest live entry (by the time it was last set). */
  shift(): V | undefined {
    while (this.head < this.keys.length) {
      const k = this.keys[this.head];
      const v = this.vals[this.head];
      this.head++;
      if (this.map.get(k) === v) {
        this.map.delete(k);
        if (this.head > COMPACT_SLACK && this.head * 2 > this.keys.length) this.compact();
        return v;
      }
    }
    return undefined;
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  clear(): void {
    this.map.clear();
    this.keys = [];
    this.vals = [];
    this.head = 0;
  }

  /** Keeps only live ring entries (the newest position of each key), in order. */
  private compact(): void {
    const keys: K[] = [];
    const vals: V[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      const k = this.keys[i];
      const v = this.vals[i];
      if (this.map.get(k) === v) {
        keys.push(k);
        vals.push(v);
      }
    }
    // a key set twice with the same value appears twice: keep its last position only
    const seen = new Set<K>();
    const outK: K[] = [];
    const outV: V[] = [];
    for (let i = keys.length - 1; i >= 0; i--) {
      if (seen.has(keys[i])) continue;
      seen.add(keys[i]);
      outK.push(keys[i]);
      outV.push(vals[i]);
    }
    this.keys = outK.reverse();
    this.vals = outV.reverse();
    this.head = 0;
  }
}
