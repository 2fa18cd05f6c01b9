// The segments one direction has sent that the other has not acknowledged yet: Wireshark's
// per-flow "unacked list" (tcp_unacked_t), which gives ack_rtt (the data segment an ACK covers
// exactly) and bytes in flight. No allocation per segment: parallel typed arrays, grown by
// doubling up to a bound.
//
// Two parts, so that an ACK costs O(1) amortised even while segments are out of order:
// - the main ring, in insertion order (oldest first) and sorted: both seq and next never go
//   back. An ACK removes a prefix (the segments it covers) and trims the first ones it cuts.
// - the side list: the segments that went back in sequence when they were sent (a
//   retransmission of a hole, a reordered segment), in insertion order. Usually 0..a few
//   entries, scanned in full by every ACK.
// Before, one out-of-order segment made every ACK scan the whole ring until it was acknowledged:
// with thousands of segments in flight (a 10 Gbit/s transfer) that was O(window) per packet.
//
// Bound: like Wireshark (TCP_MAX_UNACKED_SEGMENTS), a segment is not recorded while 10,000 are
// already unacknowledged (the ACKs are probably not in the capture). Memory per direction is at
// most about RING_MAX entries x 28 bytes per part, and only while that much is in flight.

import { seqGt, seqLe, seqLt } from '../bytes/seq.js';

/** Wireshark's TCP_MAX_UNACKED_SEGMENTS. */
export const MAX_UNACKED_SEGMENTS = 10_000;
const RING_MIN = 8;
const RING_MAX = 16_384; // first power of two above MAX_UNACKED_SEGMENTS
const SIDE_MIN = 4;

export class UnackedRing {
  // ---- main ring (sorted), `mainCount` entries from `head`
  seq: Uint32Array = EMPTY_U32;
  next: Uint32Array = EMPTY_U32;
  frame: Uint32Array = EMPTY_U32;
  /** send time, ns relative to the tracker's time base */
  ts: Float64Array = EMPTY_F64;
  /** insertion order (a per-ring counter), to find the oldest of main and side matches */
  ord: Float64Array = EMPTY_F64;
  head = 0;
  mainCount = 0;
  // ---- side list (out-of-order segments), `sideCount` entries from index 0
  sSeq: Uint32Array = EMPTY_U32;
  sNext: Uint32Array = EMPTY_U32;
  sFrame: Uint32Array = EMPTY_U32;
  sTs: Float64Array = EMPTY_F64;
  sOrd: Float64Array = EMPTY_F64;
  sideCount = 0;
  /** all unacknowledged segments: mainCount + sideCount */
  count = 0;
  private pushes = 0;
  /** results of the last ack(): the oldest segment whose end the ACK equals */
  ackedFrame = 0;
  ackedTs = 0;
  /** the argument of applyAck() and of spanFromBase() (see applyAck) */
  ackNo = 0;
  spanBase = 0;

  push(seq: number, next: number, frame: number, ts: number): void {
    if (this.count >= MAX_UNACKED_SEGMENTS) return;
    const ord = this.pushes++;
    this.count++;
    if (this.mainCount > 0) {
      const last = (this.head + this.mainCount - 1) & (this.seq.length - 1);
      if (seqLt(seq, this.seq[last]) || seqLt(next, this.next[last])) {
        this.pushSide(seq, next, frame, ts, ord);
        return;
      }
    }
    let cap = this.seq.length;
    if (this.mainCount === cap) {
      this.grow(cap === 0 ? RING_MIN : Math.min(cap * 2, RING_MAX));
      cap = this.seq.length;
    }
    const i = (this.head + this.mainCount) & (cap - 1);
    this.seq[i] = seq;
    this.next[i] = next;
    this.frame[i] = frame;
    this.ts[i] = ts;
    this.ord[i] = ord;
    this.mainCount++;
  }

  private pushSide(seq: number, next: number, frame: number, ts: number, ord: number): void {
    const n = this.sideCount;
    if (n === this.sSeq.length) this.growSide(n === 0 ? SIDE_MIN : Math.min(n * 2, RING_MAX));
    this.sSeq[n] = seq;
    this.sNext[n] = next;
    this.sFrame[n] = frame;
    this.sTs[n] = ts;
    this.sOrd[n] = ord;
    this.sideCount = n + 1;
  }

  private grow(cap: number): void {
    if (cap === RING_MIN && this.mainCount === 0 && poolLen > 0) {
      // small rings come from the pool: short connections allocate no typed arrays
      const k = --poolLen;
      this.seq = poolSeq[k];
      this.next = poolNext[k];
      this.frame = poolFrame[k];
      this.ts = poolTs[k];
      this.ord = poolOrd[k];
      poolSeq[k] = poolNext[k] = poolFrame[k] = EMPTY_U32;
      poolTs[k] = poolOrd[k] = EMPTY_F64;
      this.head = 0;
      return;
    }
    const seq = new Uint32Array(cap);
    const next = new Uint32Array(cap);
    const frame = new Uint32Array(cap);
    const ts = new Float64Array(cap);
    const ord = new Float64Array(cap);
    const oldMask = this.seq.length - 1;
    for (let k = 0; k < this.mainCount; k++) {
      const j = (this.head + k) & oldMask;
      seq[k] = this.seq[j];
      next[k] = this.next[j];
      frame[k] = this.frame[j];
      ts[k] = this.ts[j];
      ord[k] = this.ord[j];
    }
    this.seq = seq;
    this.next = next;
    this.frame = frame;
    this.ts = ts;
    this.ord = ord;
    this.head = 0;
  }

  private growSide(cap: number): void {
    const n = this.sideCount;
    const seq = new Uint32Array(cap);
    const next = new Uint32Array(cap);
    const frame = new Uint32Array(cap);
    const ts = new Float64Array(cap);
    const ord = new Float64Array(cap);
    seq.set(this.sSeq.subarray(0, n));
    next.set(this.sNext.subarray(0, n));
    frame.set(this.sFrame.subarray(0, n));
    ts.set(this.sTs.subarray(0, n));
    ord.set(this.sOrd.subarray(0, n));
    this.sSeq = seq;
    this.sNext = next;
    this.sFrame = frame;
    this.sTs = ts;
    this.sOrd = ord;
  }

  /**
   * Applies an acknowledgement number, as Wireshark does for every segment of the other direction:
   * a segment ending exactly at `ack` is acknowledged by this packet (ack_rtt: the oldest such
   * segment wins, as Wireshark walks its newest-first list to the end); a segment ending before
   * `ack` is old and dropped; one that `ack` cuts in the middle keeps only its unacknowledged part.
   * Sets ackedFrame (0 when none) and ackedTs.
   */
  ack(ack: number): void {
    this.ackNo = ack;
    this.applyAck();
  }

  /** ack(this.ackNo). The hot path sets the field and calls this: V8 boxes a number beyond 2^30
   *  passed as an argument to a call it does not inline, which would be garbage per packet. */
  applyAck(): void {
    const ack = this.ackNo;
    this.ackedFrame = 0;
    if (this.count === 0) return;
    let bestOrd = Infinity;
    if (this.mainCount > 0) {
      // Sorted: the acknowledged segments form a prefix; partial ones follow while seq < ack.
      const mask = this.seq.length - 1;
      let head = this.head;
      let n = this.mainCount;
      const nextA = this.next;
      while (n > 0 && seqLe(nextA[head], ack)) {
        if (nextA[head] === ack && bestOrd === Infinity) {
          bestOrd = this.ord[head];
          this.ackedFrame = this.frame[head];
          this.ackedTs = this.ts[head];
        }
        head = (head + 1) & mask;
        n--;
      }
      const seqA = this.seq;
      for (let k = 0, j = head; k < n && seqLt(seqA[j], ack); k++, j = (j + 1) & mask) seqA[j] = ack;
      this.count -= this.mainCount - n;
      this.head = head;
      this.mainCount = n;
      if (n === 0) this.releaseMain();
    }
    if (this.sideCount > 0) this.ackSide(ack, bestOrd);
  }

  /** The side list's part of ack(): compact in place, keeping insertion order. */
  private ackSide(ack: number, bestOrd: number): void {
    let w = 0;
    const n = this.sideCount;
    const sSeq = this.sSeq;
    const sNext = this.sNext;
    for (let k = 0; k < n; k++) {
      const next = sNext[k];
      if (seqLe(next, ack)) {
        if (next === ack && this.sOrd[k] < bestOrd) {
          bestOrd = this.sOrd[k];
          this.ackedFrame = this.sFrame[k];
          this.ackedTs = this.sTs[k];
        }
        continue;
      }
      let seq = sSeq[k];
      if (seqGt(ack, seq)) seq = ack;
      sSeq[w] = seq;
      sNext[w] = next;
      this.sFrame[w] = this.sFrame[k];
      this.sTs[w] = this.sTs[k];
      this.sOrd[w] = this.sOrd[k];
      w++;
    }
    this.count -= n - w;
    this.sideCount = w;
    if (w === 0 && this.sSeq.length > SIDE_KEEP) this.dropSide();
  }

  /** An empty main ring gives small arrays back to the pool (idle connections hold none). */
  private releaseMain(): void {
    this.head = 0;
    if (this.seq.length === RING_MIN && poolLen < POOL_MAX) {
      // parallel arrays, not an object per entry: giving arrays back allocates nothing
      const k = poolLen++;
      poolSeq[k] = this.seq;
      poolNext[k] = this.next;
      poolFrame[k] = this.frame;
      poolTs[k] = this.ts;
      poolOrd[k] = this.ord;
      this.seq = EMPTY_U32;
      this.next = EMPTY_U32;
      this.frame = EMPTY_U32;
      this.ts = EMPTY_F64;
      this.ord = EMPTY_F64;
    }
  }

  private dropSide(): void {
    this.sSeq = EMPTY_U32;
    this.sNext = EMPTY_U32;
    this.sFrame = EMPTY_U32;
    this.sTs = EMPTY_F64;
    this.sOrd = EMPTY_F64;
  }

  /** Wireshark 4.0's bytes in flight: the span from the lowest unacknowledged sequence number to
   *  the highest end, both taken relative to `base` (the direction's ISN). */
  span(base: number): number {
    this.spanBase = base;
    return this.spanFromBase();
  }

  /** span(this.spanBase), see applyAck. */
  spanFromBase(): number {
    const base = this.spanBase;
    if (this.count === 0) return 0;
    let first = 0xffffffff;
    let last = 0;
    const n = this.mainCount;
    if (n > 0) {
      const mask = this.seq.length - 1;
      const h = this.head;
      first = (this.seq[h] - base) >>> 0;
      last = (this.next[(h + n - 1) & mask] - base) >>> 0;
      if (last < first) {
        // the ring's sequence numbers wrap around relative to base: look at every entry
        for (let k = 0; k < n; k++) {
          const j = (h + k) & mask;
          const s = (this.seq[j] - base) >>> 0;
          const e = (this.next[j] - base) >>> 0;
          if (s < first) first = s;
          if (e > last) last = e;
        }
      }
    }
    for (let k = 0; k < this.sideCount; k++) {
      const s = (this.sSeq[k] - base) >>> 0;
      const e = (this.sNext[k] - base) >>> 0;
      if (s < first) first = s;
      if (e > last) last = e;
    }
    return (last - first) >>> 0;
  }

  /** Empties the ring and releases its arrays (connection closed). */
  clear(): void {
    this.count = 0;
    this.mainCount = 0;
    this.sideCount = 0;
    this.releaseMain();
    this.seq = EMPTY_U32;
    this.next = EMPTY_U32;
    this.frame = EMPTY_U32;
    this.ts = EMPTY_F64;
    this.ord = EMPTY_F64;
    this.dropSide();
    this.pushes = 0;
    this.ackedFrame = 0;
    this.ackedTs = 0;
  }
}

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);
/** An empty side list keeps arrays this small (a connection with a little reordering reuses
 *  them); larger ones are dropped. */
const SIDE_KEEP = 64;
/** Free small rings, shared by all trackers (bounded: 4,096 x 224 bytes). */
const POOL_MAX = 4096;
const poolSeq = new Array<Uint32Array>(POOL_MAX).fill(EMPTY_U32);
const poolNext = new Array<Uint32Array>(POOL_MAX).fill(EMPTY_U32);
const poolFrame = new Array<Uint32Array>(POOL_MAX).fill(EMPTY_U32);
const poolTs = new Array<Float64Array>(POOL_MAX).fill(EMPTY_F64);
const poolOrd = new Array<Float64Array>(POOL_MAX).fill(EMPTY_F64);
let poolLen = 0;
