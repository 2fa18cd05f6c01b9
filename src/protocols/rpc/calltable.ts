// The RPC call tables (pending calls, recently answered calls): keyed by (address-pair number,
// XID), both 32-bit, in an open-addressing hash table over typed arrays, with the insertion order
// kept in a ring so the oldest entry can be evicted in O(1) amortised time. A JavaScript Map
// needs a string or a heap-allocated number for such a key; on an NFS-heavy capture the lookups
// (several per exchange) were a tenth of the protocol pass.
//
// Linear probing with backward-shift deletion (no tombstones, so lookups stay short however many
// entries come and go); the table doubles when half full. A slot's key is two adjacent 32-bit
// words (pair + 1, 0 marking a free slot, then the XID), so a probe reads one cache line and a
// lookup that misses (every new call looks in the 65,536-entry answered table) never touches the
// value array. The ring holds (pair, xid, value) in
// the order entries were set; an entry whose key was deleted or set again since is stale and
// skipped, and the ring is compacted when stale entries outnumber live ones. Contract: a value
// object is set once (the tracker makes a new call record for every call), so a live ring entry
// is its key's only one.

const FIRST_CAPACITY = 1024;
const COMPACT_SLACK = 1024;

export class CallTable<V> {
  private mask = FIRST_CAPACITY - 1;
  /** keys[2i] = pair + 1 (0: free), keys[2i + 1] = XID as int32 */
  private keys = new Int32Array(2 * FIRST_CAPACITY);
  private vals: (V | undefined)[] = new Array<V | undefined>(FIRST_CAPACITY).fill(undefined);
  private count = 0;
  private ringP: number[] = [];
  private ringX: number[] = [];
  private ringV: V[] = [];
  private head = 0;

  get size(): number {
    return this.count;
  }

  private slot(pair: number, xid: number): number {
    const keys = this.keys;
    const mask = this.mask;
    const p1 = pair + 1;
    const x = xid | 0;
    let i = home(pair, xid) & mask;
    for (;;) {
      const k = keys[2 * i];
      if (k === 0) return -1 - i; // free slot where the key would go
      if (k === p1 && keys[2 * i + 1] === x) return i;
      i = (i + 1) & mask;
    }
  }

  get(pair: number, xid: number): V | undefined {
    const i = this.slot(pair, xid);
    return i >= 0 ? this.vals[i] : undefined;
  }

  has(pair: number, xid: number): boolean {
    return this.slot(pair, xid) >= 0;
  }

  set(pair: number, xid: number, v: V): void {
    let i = this.slot(pair, xid);
    if (i < 0) {
      if ((this.count + 1) * 2 > this.vals.length) {
        this.grow();
        i = this.slot(pair, xid);
      }
      i = -1 - i;
      this.keys[2 * i] = pair + 1;
      this.keys[2 * i + 1] = xid | 0;
      this.count++;
    }
    this.vals[i] = v;
    this.ringP.push(pair);
    this.ringX.push(xid);
    this.ringV.push(v);
    if (this.ringV.length - this.head > 2 * this.count + COMPACT_SLACK) this.compact();
  }

  /** Removes and returns the value of (pair, xid): get() and delete() with one probe. */
  take(pair: number, xid: number): V | undefined {
    const i = this.slot(pair, xid);
    if (i < 0) return undefined;
    const v = this.vals[i];
    this.removeAt(i);
    return v;
  }

  delete(pair: number, xid: number): boolean {
    const i = this.slot(pair, xid);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  /** Removes and returns the oldest live entry (by the time it was last set). */
  shift(): V | undefined {
    while (this.head < this.ringV.length) {
      const h = this.head++;
      const v = this.ringV[h];
      const i = this.slot(this.ringP[h], this.ringX[h]);
      if (i >= 0 && this.vals[i] === v) {
        this.removeAt(i);
        if (this.head > COMPACT_SLACK && this.head * 2 > this.ringV.length) this.dropHead();
        return v;
      }
    }
    return undefined;
  }

  /** Live values, oldest first (by the time each was last set). */
  values(): V[] {
    const out: V[] = [];
    for (let h = this.head; h < this.ringV.length; h++) {
      const i = this.slot(this.ringP[h], this.ringX[h]);
      if (i >= 0 && this.vals[i] === this.ringV[h]) out.push(this.ringV[h]);
    }
    return out;
  }

  clear(): void {
    this.mask = FIRST_CAPACITY - 1;
    this.keys = new Int32Array(2 * FIRST_CAPACITY);
    this.vals = new Array<V | undefined>(FIRST_CAPACITY).fill(undefined);
    this.count = 0;
    this.ringP = [];
    this.ringX = [];
    this.ringV = [];
    this.head = 0;
  }

  /** Backward-shift deletion: later entries of the probe run move up so no hole breaks it. */
  private removeAt(i: number): void {
    const mask = this.mask;
    const keys = this.keys;
    let hole = i;
    let j = (i + 1) & mask;
    while (keys[2 * j] !== 0) {
      const h = home(keys[2 * j] - 1, keys[2 * j + 1]) & mask;
      // move j into the hole when its home slot is not inside (hole, j] (cyclically)
      if (((j - h) & mask) >= ((j - hole) & mask)) {
        keys[2 * hole] = keys[2 * j];
        keys[2 * hole + 1] = keys[2 * j + 1];
        this.vals[hole] = this.vals[j];
        hole = j;
      }
      j = (j + 1) & mask;
    }
    keys[2 * hole] = 0;
    this.vals[hole] = undefined;
    this.count--;
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    const cap = oldV.length * 2;
    this.mask = cap - 1;
    this.keys = new Int32Array(2 * cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    for (let k = 0; k < oldV.length; k++) {
      if (oldK[2 * k] === 0) continue;
      const i = -1 - this.slot(oldK[2 * k] - 1, oldK[2 * k + 1]);
      this.keys[2 * i] = oldK[2 * k];
      this.keys[2 * i + 1] = oldK[2 * k + 1];
      this.vals[i] = oldV[k];
    }
  }

  /** Forgets the ring entries before the head (already consumed), without checking the rest. */
  private dropHead(): void {
    this.ringP = this.ringP.slice(this.head);
    this.ringX = this.ringX.slice(this.head);
    this.ringV = this.ringV.slice(this.head);
    this.head = 0;
  }

  /** Keeps only the live ring entries, in order. */
  private compact(): void {
    const p: number[] = [];
    const x: number[] = [];
    const v: V[] = [];
    for (let h = this.head; h < this.ringV.length; h++) {
      const i = this.slot(this.ringP[h], this.ringX[h]);
      if (i < 0 || this.vals[i] !== this.ringV[h]) continue;
      p.push(this.ringP[h]);
      x.push(this.ringX[h]);
      v.push(this.ringV[h]);
    }
    this.ringP = p;
    this.ringX = x;
    this.ringV = v;
    this.head = 0;
  }
}

/** Hash of a key (its home slot is this masked to the table size). */
function home(pair: number, xid: number): number {
  const h = Math.imul(xid ^ Math.imul(pair, 0x9e3779b1), 0x85ebca6b);
  return h ^ (h >>> 15);
}
