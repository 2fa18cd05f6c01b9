// Parked state of the protocol pass's undecided TCP connections (pass.ts): per slot, each
// direction's StreamDirection numbers (next sequence number, stream offset, started, FIN seen),
// the mid-stream marks and the count of content tries. Typed arrays grown by doubling, slots
// reused through a free list: no object per connection.

/** flag bits of a slot; shift left by the direction (0 client, 1 server) */
export const F_STARTED = 1;
export const F_FIN = 4;
export const F_MID = 16;

const INITIAL_SLOTS = 1024;

export class UndecidedTable {
  /** per slot: [next0, offset0, next1, offset1] */
  nums = new Float64Array(4 * INITIAL_SLOTS);
  flags = new Uint8Array(INITIAL_SLOTS);
  tries = new Uint8Array(INITIAL_SLOTS);
  private freeList = new Int32Array(INITIAL_SLOTS);
  private freeTop = 0;
  private used = 0;

  get capacity(): number {
    return this.flags.length;
  }

  /** A cleared slot. */
  alloc(): number {
    let s: number;
    if (this.freeTop > 0) s = this.freeList[--this.freeTop];
    else {
      if (this.used === this.flags.length) this.grow();
      s = this.used++;
    }
    this.flags[s] = 0;
    this.tries[s] = 0;
    const k = 4 * s;
    this.nums[k] = 0; this.nums[k + 1] = 0; this.nums[k + 2] = 0; this.nums[k + 3] = 0;
    return s;
  }

  free(s: number): void {
    this.freeList[this.freeTop++] = s;
  }

  private grow(): void {
    const n = this.flags.length * 2;
    const nums = new Float64Array(4 * n);
    nums.set(this.nums);
    this.nums = nums;
    const flags = new Uint8Array(n);
    flags.set(this.flags);
    this.flags = flags;
    const tries = new Uint8Array(n);
    tries.set(this.tries);
    this.tries = tries;
    const fl = new Int32Array(n);
    fl.set(this.freeList);
    this.freeList = fl;
  }
}

/** ParkedIndex.get when the entry does not hold the connection */
export const NOT_PARKED = -3;
const INITIAL_ENTRIES = 1024;
const NO_STREAM = -1;

/**
 * The pass's record of the connections without objects (undecided, or given up), by the
 * tracker's slot of the connection (Conn.slot) instead of a Map by stream number: a lookup is two
 * loads, and a connection's start and end touch no hash table (on 100,000 short connections the
 * Map's set, get and delete were a tenth of the pass). An entry says which stream it holds, so a
 * slot the tracker gave to a later connection reads as not parked; an entry whose connection
 * ended without the pass being told its slot stays until the slot is reused (`set` gives its
 * table slot back then). Bounded by the tracker's slots (its own bound); grown by doubling.
 */
export class ParkedIndex {
  private stream = new Float64Array(INITIAL_ENTRIES).fill(NO_STREAM);
  /** the slot in the UndecidedTable, or the pass's NONE for a connection given up */
  private state = new Int32Array(INITIAL_ENTRIES);

  /** The state entry i holds for `stream`, or NOT_PARKED. */
  get(i: number, stream: number): number {
    return i < this.stream.length && this.stream[i] === stream ? this.state[i] : NOT_PARKED;
  }

  /** Entry i holds `stream` in `state`; returns the table slot of the connection it held before
   *  (one that ended unannounced), or -1. */
  set(i: number, stream: number, state: number): number {
    while (i >= this.stream.length) this.grow();
    const old = this.stream[i] !== NO_STREAM && this.stream[i] !== stream ? this.state[i] : -1;
    this.stream[i] = stream;
    this.state[i] = state;
    return old;
  }

  /** Entry i no longer holds anything. */
  clear(i: number): void {
    if (i < this.stream.length) this.stream[i] = NO_STREAM;
  }

  private grow(): void {
    const n = this.stream.length * 2;
    const s = new Float64Array(n).fill(NO_STREAM);
    s.set(this.stream);
    this.stream = s;
    const st = new Int32Array(n);
    st.set(this.state);
    this.state = st;
  }
}
