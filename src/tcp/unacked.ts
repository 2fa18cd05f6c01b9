// The segments one direction has sent that the other has not acknowledged yet: Wireshark's
// per-flow "unacked list" (tcp_unacked_t), which gives ack_rtt (the data segment an ACK covers
// exactly) and bytes in flight. Kept as a ring of parallel typed arrays in insertion order
// (oldest first), grown by doubling up to a bound, so there is no allocation per segment.
//
// Bound: like Wireshark (TCP_MAX_UNACKED_SEGMENTS), a segment is not recorded while 10,000 are
// already unacknowledged (the ACKs are probably not in the capture). Memory per direction is at
// most RING_MAX entries x 20 bytes (about 320 KB), and only while that much is in flight.

import { seqGt, seqLe, seqLt } from '../bytes/seq.js';

/** Wireshark's TCP_MAX_UNACKED_SEGMENTS. */
export const MAX_UNACKED_SEGMENTS = 10_000;
const RING_MIN = 8;
const RING_MAX = 16_384; // first power of two above MAX_UNACKED_SEGMENTS

export class UnackedRing {
  seq: Uint32Array = EMPTY_U32;
  next: Uint32Array = EMPTY_U32;
  frame: Uint32Array = EMPTY_U32;
  /** send time, ns relative to the tracker's time base */
  ts: Float64Array = EMPTY_F64;
  head = 0;
  count = 0;
  /** true while entries are in non-decreasing order of both seq and next: lets an ACK stop early */
  sorted = true;
  /** results of the last ack(): the oldest segment whose end the ACK equals */
  ackedFrame = 0;
  ackedTs = 0;

  push(seq: number, next: number, frame: number, ts: number): void {
    if (this.count >= MAX_UNACKED_SEGMENTS) return;
    let cap = this.seq.length;
    if (this.count === cap) {
      this.grow(cap === 0 ? RING_MIN : Math.min(cap * 2, RING_MAX));
      cap = this.seq.length;
    }
    const mask = cap - 1;
    if (this.count > 0) {
      const last = (this.head + this.count - 1) & mask;
      if (seqLt(seq, this.seq[last]) || seqLt(next, this.next[last])) this.sorted = false;
    } else {
      this.sorted = true;
    }
    const i = (this.head + this.count) & mask;
    this.seq[i] = seq;
    this.next[i] = next;
    this.frame[i] = frame;
    this.ts[i] = ts;
    this.count++;
  }

  private grow(cap: number): void {
    if (cap === RING_MIN && this.count === 0 && pool.length > 0) {
      // small rings come from the pool: short connections allocate no typed arrays
      const p = pool.pop()!;
      this.seq = p.seq;
      this.next = p.next;
      this.frame = p.frame;
      this.ts = p.ts;
      this.head = 0;
      return;
    }
    const seq = new Uint32Array(cap);
    const next = new Uint32Array(cap);
    const frame = new Uint32Array(cap);
    const ts = new Float64Array(cap);
    const oldCap = this.seq.length;
    for (let k = 0; k < this.count; k++) {
      const j = (this.head + k) & (oldCap - 1);
      seq[k] = this.seq[j];
      next[k] = this.next[j];
      frame[k] = this.frame[j];
      ts[k] = this.ts[j];
    }
    this.seq = seq;
    this.next = next;
    this.frame = frame;
    this.ts = ts;
    this.head = 0;
  }

  /**
   * Applies an acknowledgement number, as Wireshark does for every segment of the other direction:
   * a segment ending exactly at `ack` is acknowledged by this packet (ack_rtt: the oldest such
   * segment wins, as Wireshark walks its newest-first list to the end); a segment ending before
   * `ack` is old and dropped; one that `ack` cuts in the middle keeps only its unacknowledged part.
   * Sets ackedFrame (0 when none) and ackedTs.
   */
  ack(ack: number): void {
    this.ackedFrame = 0;
    if (this.count === 0) return;
    const mask = this.seq.length - 1;
    if (this.sorted) {
      // Acknowledged segments form a prefix; partial ones follow while seq < ack.
      while (this.count > 0 && seqLe(this.next[this.head], ack)) {
        if (this.next[this.head] === ack && this.ackedFrame === 0) {
          this.ackedFrame = this.frame[this.head];
          this.ackedTs = this.ts[this.head];
        }
        this.head = (this.head + 1) & mask;
        this.count--;
      }
      for (let k = 0; k < this.count; k++) {
        const j = (this.head + k) & mask;
        if (!seqLt(this.seq[j], ack)) break;
        this.seq[j] = ack;
      }
      if (this.count === 0) this.release();
      return;
    }
    // General case: compact in place, keeping order, and find out whether it is sorted again.
    let w = 0;
    let sorted = true;
    let lastSeq = 0;
    let lastNext = 0;
    for (let k = 0; k < this.count; k++) {
      const j = (this.head + k) & mask;
      const next = this.next[j];
      if (seqLe(next, ack)) {
        if (next === ack && this.ackedFrame === 0) {
          this.ackedFrame = this.frame[j];
          this.ackedTs = this.ts[j];
        }
        continue;
      }
      let seq = this.seq[j];
      if (seqGt(ack, seq)) seq = ack;
      if (w > 0 && (seqLt(seq, lastSeq) || seqLt(next, lastNext))) sorted = false;
      const d = (this.head + w) & mask;
      this.seq[d] = seq;
      this.next[d] = next;
      this.frame[d] = this.frame[j];
      this.ts[d] = this.ts[j];
      lastSeq = seq;
      lastNext = next;
      w++;
    }
    this.count = w;
    this.sorted = sorted;
    if (w === 0) this.release();
  }

  /** An empty ring gives small arrays back to the pool (idle connections hold none). */
  private release(): void {
    this.head = 0;
    this.sorted = true;
    if (this.seq.length === RING_MIN && pool.length < POOL_MAX) {
      pool.push({ seq: this.seq, next: this.next, frame: this.frame, ts: this.ts });
      this.seq = EMPTY_U32;
      this.next = EMPTY_U32;
      this.frame = EMPTY_U32;
      this.ts = EMPTY_F64;
    }
  }

  /** Wireshark 4.0's bytes in flight: the span from the lowest unacknowledged sequence number to
   *  the highest end, both taken relative to `base` (the direction's ISN). */
  span(base: number): number {
    if (this.count === 0) return 0;
    const mask = this.seq.length - 1;
    if (this.sorted) {
      const first = (this.seq[this.head] - base) >>> 0;
      const last = (this.next[(this.head + this.count - 1) & mask] - base) >>> 0;
      if (last >= first) return last - first;
    }
    let first = (this.seq[this.head] - base) >>> 0;
    let last = (this.next[this.head] - base) >>> 0;
    for (let k = 1; k < this.count; k++) {
      const j = (this.head + k) & mask;
      const s = (this.seq[j] - base) >>> 0;
      const n = (this.next[j] - base) >>> 0;
      if (s < first) first = s;
      if (n > last) last = n;
    }
    return (last - first) >>> 0;
  }

  /** Releases the arrays (connection closed). */
  clear(): void {
    this.count = 0;
    this.release();
    this.seq = EMPTY_U32;
    this.next = EMPTY_U32;
    this.frame = EMPTY_U32;
    this.ts = EMPTY_F64;
    this.head = 0;
    this.count = 0;
    this.sorted = true;
  }
}

const EMPTY_U32 = new Uint32Array(0);
/** Free small rings, shared by all trackers (bounded: 4,096 x 160 bytes). */
const POOL_MAX = 4096;
const pool: { seq: Uint32Array; next: Uint32Array; frame: Uint32Array; ts: Float64Array }[] = [];
const EMPTY_F64 = new Float64Array(0);
