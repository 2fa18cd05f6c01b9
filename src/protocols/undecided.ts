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
