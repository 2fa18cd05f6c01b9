// Retention without copying (for a capture read from a regular, uncompressed file): per
// connection direction, an index of the recent segments (sequence start, length, file position of
// their payload, frame) instead of their bytes. When the tracker labels a segment a retransmission
// and it overlaps indexed bytes, the first transmission's bytes are read back from the capture
// file and compared exactly as the copying ring (payload-ring.ts) compares them: the two must give
// the same results on the same segments (segment-index.test.ts runs both).
//
// The state machine is the ring's (stream-window.ts, shared): `top` is the sequence number after the highest byte seen,
// [top - size, top) the retained range, size <= RING_BYTES; a gap ahead (capture loss) drops
// everything; bytes older than the range are not compared. Entries tile the retained range
// contiguously (each appended part starts at the old top), the oldest possibly reaching below it.
//
// Bounds: MAX_DIRECTION_ENTRIES per direction (when full and not allowed to grow, the oldest entry
// goes and the retained range shrinks to the entries left), MAX_INDEX_ENTRIES in all (a direction
// that finds them spent is not retained, counted in RetentionStats.directionsNotRetained). A
// direction's INDEX_INITIAL_ENTRIES are taken from the budget when its first segment comes, even
// when retention.ts holds its first segments as numbers and claims the index's storage later
// (IndexPool.reserve, then claimReserved or unreserve).

import { seqAdd, seqDiff, seqGt } from '../bytes/seq.js';
import { PLACE_COMPARE, PLACE_OLD, StreamWindow } from './stream-window.js';
import { DIFF_EXCERPT_BYTES, RING_BYTES, type PayloadDiff, type RetentionStats } from './payload-ring.js';

/** Entries a direction starts with (most connections carry a few segments). */
export const INDEX_INITIAL_ENTRIES = 4;
/** Entries per direction at most: RING_BYTES of stream in segments of 32 bytes on average (a
 *  bulk direction of 1448-byte segments needs 91 entries to cover RING_BYTES). */
export const MAX_DIRECTION_ENTRIES = 4096;
/** Entries in all (32 bytes each: 32 MiB), the same number of directions at their initial size as
 *  the ring pool's MAX_RETAINED_BYTES holds initial rings (262,144). */
export const MAX_INDEX_ENTRIES = 1 << 20;
/** The ring names the frame of a first transmission only among the last 256 segment starts of
 *  the direction (payload-ring.ts SEGMENT_INDEX); the index names the same frames. */
const FRAME_NAMED_WITHIN = 256;

/** Doubles per entry: sequence start, length, file position of the first byte, frame. */
const W = 4;

/** Where the first transmissions are read back: `read` returns the bytes it put at into[at..],
 *  fewer than n when the file ended or failed (a capture rewritten under us). */
export interface ByteSource {
  read(pos: number, into: Uint8Array, at: number, n: number): number;
}

export class SegmentIndex extends StreamWindow {
  /** entries in a circular buffer of cap = cols.length / W entries (set through use()) */
  cols: Float64Array;
  /** cols.length / W, kept beside the reference: releasing a direction (IndexPool.release) then
   *  reads this object only, not the array's object too (both cold by the connection's end) */
  cap: number;
  head = 0;
  count = 0;

  constructor(cols: Float64Array) {
    super();
    this.cols = cols;
    this.cap = cols.length / W;
  }

  /** The entries' storage from now on. */
  use(cols: Float64Array): void {
    this.cols = cols;
    this.cap = cols.length / W;
  }

  /** a gap ahead: every entry goes */
  protected dropAll(): void {
    this.head = 0;
    this.count = 0;
  }

  reset(): void {
    this.started = false;
    this.size = 0;
    this.head = 0;
    this.count = 0;
  }

  /** As PayloadRing.take, for the segment of `len` bytes at `seq` whose payload is at file
   *  position `pos` and, in this frame, at b[off..]. */
  take(seq: number, pos: number, len: number, frame: number, compare: boolean, b: Uint8Array, off: number, stats: RetentionStats, pool: IndexPool, src: ByteSource): PayloadDiff | null {
    if (len <= 0) return null;
    // the usual segment: the next bytes of the stream, not a retransmission (place() would say
    // "append" and skip nothing)
    if (seq === this.top && !compare && this.started) {
      this.append(seq, len, pos, frame, pool);
      return null;
    }
    const where = this.place(seq, len, compare, stats);
    if (where === PLACE_OLD) return null;
    const diff = where === PLACE_COMPARE ? this.compare(seq, len, this.overlapFrom, this.overlapTo, b, off, stats, pool, src) : null;
    const end = seqAdd(seq, len);
    if (seqGt(end, this.top)) {
      const skip = this.skipOf(seq);
      this.append(seqAdd(seq, skip), len - skip, pos + skip, frame, pool);
    }
    return diff;
  }

  private append(start: number, n: number, pos: number, frame: number, pool: IndexPool): void {
    let cap = this.cap;
    if (this.count === cap) {
      // entries wholly below the retained range cover nothing any more: dropped only now, when
      // their room is wanted (until then compare() and frameOf() pass over them: both stop at
      // or skip what lies below the range, so results are those of dropping them at once)
      this.trim(cap);
      if (this.count === cap) {
        if (cap < MAX_DIRECTION_ENTRIES && pool.take(cap)) this.grow(cap * 2, pool);
        else this.evict();
        cap = this.cap;
      }
    }
    const i = ((this.head + this.count) & (cap - 1)) * W;
    const c = this.cols;
    c[i] = start;
    c[i + 1] = n;
    c[i + 2] = pos;
    c[i + 3] = frame;
    this.count++;
    this.top = seqAdd(start, n);
    const size = this.size + n;
    this.size = size < RING_BYTES ? size : RING_BYTES;
  }

  /** Drops the oldest entries that end at or below the retained range (one entry stays). */
  private trim(cap: number): void {
    const c = this.cols;
    const lowest = seqAdd(this.top, -this.size);
    while (this.count > 1) {
      const o = this.head * W;
      if (seqDiff(seqAdd(c[o], c[o + 1]), lowest) > 0) break;
      this.head = (this.head + 1) & (cap - 1);
      this.count--;
    }
  }

  /** Drops the oldest entry; the retained range then starts at the next one. */
  private evict(): void {
    const cap = this.cap;
    this.head = (this.head + 1) & (cap - 1);
    this.count--;
    const since = seqDiff(this.top, this.cols[this.head * W]);
    if (since < this.size) this.size = since;
  }

  private grow(cap: number, pool: IndexPool): void {
    const old = this.cols;
    const oldCap = old.length / W;
    const nc = pool.buffer(cap * W);
    for (let k = 0; k < this.count; k++) {
      const s = ((this.head + k) & (oldCap - 1)) * W;
      nc[k * W] = old[s];
      nc[k * W + 1] = old[s + 1];
      nc[k * W + 2] = old[s + 2];
      nc[k * W + 3] = old[s + 3];
    }
    pool.recycle(old);
    this.use(nc);
    this.head = 0;
  }

  /** Reads the first transmission of [from, to) back and compares it with b[off + (from - seq)..]. */
  private compare(seq: number, len: number, from: number, to: number, b: Uint8Array, off: number, stats: RetentionStats, pool: IndexPool, src: ByteSource): PayloadDiff | null {
    const n = seqDiff(to, from);
    const orig = pool.scratch(n);
    const cap = this.cap;
    const c = this.cols;
    let firstEntry = -1;
    // entries overlapping [from, to), oldest first; each fills its part of orig
    for (let k = 0; k < this.count; k++) {
      const i = ((this.head + k) & (cap - 1)) * W;
      const es = c[i];
      const ee = seqAdd(es, c[i + 1]);
      if (seqDiff(ee, from) <= 0) continue;
      if (seqDiff(es, to) >= 0) break;
      const a = seqDiff(from, es) > 0 ? from : es;
      const z = seqDiff(ee, to) < 0 ? ee : to;
      const m = seqDiff(z, a);
      if (firstEntry < 0) firstEntry = k;
      if (src.read(c[i + 2] + seqDiff(a, es), orig, seqDiff(a, from), m) !== m) {
        // the file ended or changed under us: not compared
        stats.notCompared++;
        return null;
      }
    }
    stats.compared++;
    const start = seqDiff(from, seq);
    let first = -1;
    let differing = 0;
    for (let i = 0; i < n; i++) {
      if (orig[i] !== b[off + start + i]) {
        if (first < 0) first = i;
        differing++;
      }
    }
    if (first < 0) return null;
    stats.differing++;
    const k = Math.min(DIFF_EXCERPT_BYTES, n - first);
    let oh = '';
    let rh = '';
    for (let i = 0; i < k; i++) {
      oh += orig[first + i].toString(16).padStart(2, '0');
      rh += b[off + start + first + i].toString(16).padStart(2, '0');
    }
    void len;
    return { seq, len, firstFrame: this.frameOf(seqAdd(from, first)), firstDiff: start + first, differing, compared: n, originalHex: oh, retransmitHex: rh };
  }

  /** The frame of the entry holding `at`, when it is among the newest FRAME_NAMED_WITHIN. */
  private frameOf(at: number): number {
    const cap = this.cap;
    const c = this.cols;
    for (let k = this.count - 1; k >= 0 && this.count - 1 - k < FRAME_NAMED_WITHIN; k--) {
      const i = ((this.head + k) & (cap - 1)) * W;
      if (seqDiff(at, c[i]) >= 0) return c[i + 3];
    }
    return 0;
  }
}

/** Index storage below this many doubles is carved out of slabs (one allocation per many
 *  directions instead of one each). */
const SLAB_DOUBLES = 256 * INDEX_INITIAL_ENTRIES * W;
const SLAB_MAX_PIECE = 64 * W;
/** Released index objects kept for reuse (as the ring pool's MAX_SPARE_RINGS). */
const MAX_SPARE = 65_536;

/** Hands out indexes under MAX_INDEX_ENTRIES and takes them back; counts in the shared stats. */
export class IndexPool {
  private used = 0;
  private slab: Float64Array | null = null;
  private slabPos = 0;
  private free: Float64Array[][] = [];
  private spare: SegmentIndex[] = [];
  private scratchBuf = new Uint8Array(0);

  constructor(readonly stats: RetentionStats) {}

  take(entries: number): boolean {
    if (this.used + entries > MAX_INDEX_ENTRIES) return false;
    this.used += entries;
    return true;
  }

  get(): SegmentIndex | null {
    return this.reserve() ? this.claimReserved() : null;
  }

  /** A direction's share of the budget (INDEX_INITIAL_ENTRIES) without storage yet: false, and
   *  counted as not retained, when the budget is spent. */
  reserve(): boolean {
    if (this.take(INDEX_INITIAL_ENTRIES)) return true;
    this.stats.directionsNotRetained++;
    return false;
  }

  /** Gives back a reservation that never became an index (its direction ended first). */
  unreserve(): void {
    this.used -= INDEX_INITIAL_ENTRIES;
  }

  /** An index of INDEX_INITIAL_ENTRIES for a direction that holds a reservation already. */
  claimReserved(): SegmentIndex {
    const cols = this.buffer(INDEX_INITIAL_ENTRIES * W);
    const x = this.spare.pop();
    if (x === undefined) return new SegmentIndex(cols);
    x.use(cols);
    x.reset();
    return x;
  }

  buffer(n: number): Float64Array {
    const k = Math.log2(n);
    const b = this.free[k]?.pop();
    if (b) return b;
    if (n > SLAB_MAX_PIECE) return new Float64Array(n);
    if (this.slab === null || this.slabPos + n > this.slab.length) {
      this.slab = new Float64Array(SLAB_DOUBLES);
      this.slabPos = 0;
    }
    const piece = this.slab.subarray(this.slabPos, this.slabPos + n);
    this.slabPos += n;
    return piece;
  }

  recycle(b: Float64Array, n = b.length): void {
    (this.free[Math.log2(n)] ??= []).push(b);
  }

  release(x: SegmentIndex): void {
    const cap = x.cap;
    this.used -= cap;
    this.recycle(x.cols, cap * W);
    if (this.spare.length < MAX_SPARE) this.spare.push(x);
  }

  /** A buffer of at least n bytes for the bytes read back (n <= RING_BYTES). */
  scratch(n: number): Uint8Array {
    if (this.scratchBuf.length < n) this.scratchBuf = new Uint8Array(Math.max(n, 4096));
    return this.scratchBuf;
  }
}
