// Retained TCP payload, so that a retransmission can be compared byte for byte with the first
// transmission of the same sequence range (INCIDENTS.md C, TCP level: a NIC, driver or middlebox
// that changes bytes). Per connection direction, the most recent RING_BYTES bytes of the stream
// are kept in a ring indexed by sequence number, with a small index of which frame carried which
// range. Rings are taken from a pool under a global byte budget and returned when the connection
// ends; a direction that finds the budget spent is not compared, and that is counted.
//
// Bounds: RING_BYTES per direction, MAX_RETAINED_BYTES in all. A retransmission of bytes older
// than the ring (more than RING_BYTES behind the highest byte seen) is counted as not compared.

import { seqAdd, seqDiff, seqGt } from '../bytes/seq.js';
import { PLACE_COMPARE, PLACE_OLD, StreamWindow } from './stream-window.js';

/** Bytes of stream kept per direction: covers the unacknowledged data of an unscaled window
 *  (64 KiB) twice over, and most scaled windows of LAN traffic; an RTO retransmission re-sends
 *  the oldest unacknowledged byte, which is at most one window behind. */
export const RING_BYTES = 128 * 1024;
/** All rings together (1,024 full rings, or 32,768 directions with little data in flight). Beyond
 *  it, new directions are not retained and rings stop growing (counted in
 *  `RetentionStats.directionsNotRetained`). */
export const MAX_RETAINED_BYTES = 128 * 1024 * 1024;
/** Segment starts remembered per direction, to name the frame of a first transmission. */
const SEGMENT_INDEX = 256;
/** Hex bytes shown from the first difference. */
export const DIFF_EXCERPT_BYTES = 16;

export interface RetentionStats {
  /** retransmitted segments whose bytes were compared with the first transmission */
  compared: number;
  differing: number;
  /** retransmitted payload not compared: older than the ring (or the file index, segment-index.ts),
   *  or, with the index, the first transmission could not be read back from the file (short read) */
  notCompared: number;
  directionsNotRetained: number;
}

export interface PayloadDiff {
  /** absolute sequence number and length of the retransmitted segment */
  seq: number;
  len: number;
  /** frame that first carried the first differing byte (0 when no longer indexed) */
  firstFrame: number;
  /** offset of the first differing byte within the retransmitted segment */
  firstDiff: number;
  /** bytes that differ within the compared overlap */
  differing: number;
  /** bytes compared */
  compared: number;
  originalHex: string;
  retransmitHex: string;
}

/** A ring starts this small (most connections carry little data) and doubles up to RING_BYTES. */
export const RING_INITIAL_BYTES = 512;

/** Initial buffers are carved out of slabs of this many bytes: one allocation per 256 rings
 *  instead of one per connection direction (typed-array allocation dominates otherwise). */
const SLAB_BYTES = 256 * RING_INITIAL_BYTES;

export class PayloadRing extends StreamWindow {
  buf: Uint8Array;
  /** bytes of the budget this ring holds (its buffer size) */
  get bytes(): number {
    return this.buf.length;
  }
  /** segment starts and their frames (plain arrays: most directions carry a few segments) */
  segSeq: number[] = [];
  segFrame: number[] = [];

  constructor(buf: Uint8Array) {
    super();
    this.buf = buf;
  }
  segPos = 0;
  segCount = 0;

  /** a gap ahead: the bytes kept stay in the buffer, unreachable once size is 0 */
  protected dropAll(): void {}

  reset(): void {
    this.started = false;
    this.size = 0;
    this.segPos = 0;
    this.segCount = 0;
  }

  /**
   * Takes one segment's captured payload b[off, off+len) at `seq`. Returns the comparison when
   * the segment overlaps retained bytes and `compare` is set (the caller says whether the tracker
   * called it a retransmission), else null. New bytes beyond the top are appended either way.
   */
  take(seq: number, b: Uint8Array, off: number, len: number, frame: number, compare: boolean, stats: RetentionStats, budget: Budget): PayloadDiff | null {
    if (len <= 0) return null;
    const where = this.place(seq, len, compare, stats);
    if (where === PLACE_OLD) return null;
    // overlap with retained bytes: compare what both have
    const diff = where === PLACE_COMPARE ? this.compare(seq, len, this.overlapFrom, this.overlapTo, b, off, frame, stats) : null;
    const end = seqAdd(seq, len);
    // append the part beyond the top
    if (seqGt(end, this.top)) {
      const skip = this.skipOf(seq);
      const n = len - skip;
      this.grow(this.size + n, budget);
      const cap = this.buf.length;
      copyIn(b, off + skip, n, this.buf, (this.top & (cap - 1)) >>> 0);
      this.top = end;
      this.size = Math.min(cap, this.size + n);
      if (this.segSeq.length < SEGMENT_INDEX) {
        this.segSeq.push(0);
        this.segFrame.push(0);
      }
      this.segSeq[this.segPos] = seqAdd(seq, skip);
      this.segFrame[this.segPos] = frame;
      this.segPos = (this.segPos + 1) % SEGMENT_INDEX;
      if (this.segCount < SEGMENT_INDEX) this.segCount++;
    }
    return diff;
  }

  /** Doubles the buffer (power-of-two sizes keep seq mod size consistent) while `want` bytes do
   *  not fit, up to RING_BYTES and as far as the budget allows; retained bytes are moved over. */
  private grow(want: number, budget: Budget): void {
    let cap = this.buf.length;
    while (cap < want && cap < RING_BYTES && budget.take(cap)) cap *= 2;
    if (cap === this.buf.length) return;
    const nb = budget.buffer(cap);
    const old = this.buf;
    // the retained bytes [top - size, top) keep their positions modulo the size: at most two
    // runs in the old buffer, each landing in at most two runs of the new one
    const oldMask = old.length - 1;
    let at = (this.top - this.size) >>> 0;
    let left = this.size;
    while (left > 0) {
      const from = (at & oldMask) >>> 0;
      const run = Math.min(left, old.length - from);
      copyIn(old, from, run, nb, (at & (cap - 1)) >>> 0);
      at = (at + run) >>> 0;
      left -= run;
    }
    budget.recycle(old);
    this.buf = nb;
  }

  private compare(seq: number, len: number, from: number, to: number, b: Uint8Array, off: number, frame: number, stats: RetentionStats): PayloadDiff | null {
    void frame;
    stats.compared++;
    const n = seqDiff(to, from);
    const start = seqDiff(from, seq);
    let first = -1;
    let differing = 0;
    const mask = this.buf.length - 1;
    for (let i = 0; i < n; i++) {
      const old = this.buf[((from + i) & mask) >>> 0];
      if (old !== b[off + start + i]) {
        if (first < 0) first = i;
        differing++;
      }
    }
    if (first < 0) return null;
    stats.differing++;
    const at = seqAdd(from, first);
    const k = Math.min(DIFF_EXCERPT_BYTES, n - first);
    let oh = '';
    let rh = '';
    for (let i = 0; i < k; i++) {
      oh += this.buf[((at + i) & mask) >>> 0].toString(16).padStart(2, '0');
      rh += b[off + start + first + i].toString(16).padStart(2, '0');
    }
    return { seq, len, firstFrame: this.frameOf(at), firstDiff: start + first, differing, compared: n, originalHex: oh, retransmitHex: rh };
  }

  /** The frame whose segment started at or last before `at` (newest first). */
  private frameOf(at: number): number {
    let best = 0;
    let bestDist = Infinity;
    for (let i = 0; i < this.segCount; i++) {
      const idx = (this.segPos - 1 - i + SEGMENT_INDEX) % SEGMENT_INDEX;
      const d = seqDiff(at, this.segSeq[idx]);
      if (d >= 0 && d < bestDist) {
        bestDist = d;
        best = this.segFrame[idx];
      }
    }
    return best;
  }
}

export interface Budget {
  /** reserve n more bytes; false when the budget is spent */
  take(n: number): boolean;
  /** a buffer of n bytes (a power of two) for a growing ring; its old one comes back through recycle */
  buffer(n: number): Uint8Array;
  recycle(b: Uint8Array): void;
}

/** Copies below this many bytes byte by byte: a subarray view and a set() call cost more than
 *  the loop for the short payloads most segments carry. */
const SMALL_COPY = 64;

/** Writes src[off, off + n) into the ring buffer `dst` from position `pos`, wrapping at its end
 *  (when n exceeds the buffer, the later bytes overwrite the earlier ones, as a ring does). */
function copyIn(src: Uint8Array, off: number, n: number, dst: Uint8Array, pos: number): void {
  const cap = dst.length;
  for (let i = 0; i < n; ) {
    const chunk = Math.min(n - i, cap - pos);
    if (chunk < SMALL_COPY) for (let j = 0; j < chunk; j++) dst[pos + j] = src[off + i + j];
    else dst.set(src.subarray(off + i, off + i + chunk), pos);
    i += chunk;
    pos += chunk;
    if (pos === cap) pos = 0;
  }
}

/** Ring buffers up to this size are carved out of slabs (one allocation per SLAB_BYTES instead
 *  of one per ring growth: typed-array allocation dominated a capture of many short connections). */
const SLAB_MAX_PIECE = 8 * 1024;
/** Larger released buffers kept for reuse, at most this many bytes in all (the rest go to the
 *  collector). */
const FREE_LARGE_BYTES = 16 * 1024 * 1024;

/** Released ring objects kept for reuse (each a few hundred bytes with its index arrays; the
 *  directions the tracker holds at once are usually fewer). */
const MAX_SPARE_RINGS = 65_536;

/** Hands out rings under the byte budget and takes them back (a returned ring's bytes go back
 *  to the budget, its buffer to a free list of its size for the next ring). Memory held: the
 *  budget in use, plus slab pieces released (at most the peak of the budget in use, since every
 *  piece was in use once) and FREE_LARGE_BYTES of larger free buffers. */
export class RingPool implements Budget {
  private used = 0;
  private slab: Uint8Array | null = null;
  private slabPos = 0;
  /** released buffers by log2 of their size, reused (zeroing is not needed: bytes are only read
   *  after being written) */
  private free: Uint8Array[][] = [];
  private freeLarge = 0;
  /** ring objects of released directions, reused with a new buffer: a capture of many short
   *  connections otherwise allocates a ring and its two index arrays per direction, and they
   *  live until the tracker lets the connection go (its closed grace period), long enough to be
   *  promoted to the old generation by every young collection in between */
  private spareRings: PayloadRing[] = [];
  readonly stats: RetentionStats = { compared: 0, differing: 0, notCompared: 0, directionsNotRetained: 0 };

  take(n: number): boolean {
    if (this.used + n > MAX_RETAINED_BYTES) return false;
    this.used += n;
    return true;
  }

  get(): PayloadRing | null {
    if (!this.take(RING_INITIAL_BYTES)) {
      this.stats.directionsNotRetained++;
      return null;
    }
    const buf = this.buffer(RING_INITIAL_BYTES);
    const r = this.spareRings.pop();
    if (r === undefined) return new PayloadRing(buf);
    r.buf = buf;
    r.top = 0;
    r.reset();
    return r;
  }

  buffer(n: number): Uint8Array {
    const k = Math.log2(n);
    const b = this.free[k]?.pop();
    if (b) {
      if (n > SLAB_MAX_PIECE) this.freeLarge -= n;
      return b;
    }
    if (n > SLAB_MAX_PIECE) return new Uint8Array(n);
    if (this.slab === null || this.slabPos + n > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.slabPos = 0;
    }
    const piece = this.slab.subarray(this.slabPos, this.slabPos + n);
    this.slabPos += n;
    return piece;
  }

  recycle(b: Uint8Array): void {
    const n = b.length;
    if (n > SLAB_MAX_PIECE) {
      if (this.freeLarge + n > FREE_LARGE_BYTES) return;
      this.freeLarge += n;
    }
    const k = Math.log2(n);
    (this.free[k] ??= []).push(b);
  }

  release(r: PayloadRing): void {
    this.used -= r.bytes;
    this.recycle(r.buf);
    if (this.spareRings.length < MAX_SPARE_RINGS) this.spareRings.push(r);
  }
}
