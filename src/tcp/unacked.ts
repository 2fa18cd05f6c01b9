// The segments one direction has sent that the other has not acknowledged yet: Wireshark's
// per-flow "unacked list" (tcp_unacked_t), which gives ack_rtt (the data segment an ACK covers
// exactly) and bytes in flight. No allocation per segment: typed arrays of entries, grown by
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
// most about RING_MAX entries x 40 bytes per part, and only while that much is in flight.

import { seqGt, seqLe, seqLt } from '../bytes/seq.js';

/** Wireshark's TCP_MAX_UNACKED_SEGMENTS. */
export const MAX_UNACKED_SEGMENTS = 10_000;
const RING_MIN = 8;
const RING_MAX = 16_384; // first power of two above MAX_UNACKED_SEGMENTS
const SIDE_MIN = 4;

// Each part is one Float64Array of entries of ENTRY numbers (seq, next, frame, time, insertion
// order) side by side: an ACK or a push touches one array and one or two cache lines, where five
// parallel arrays (one per field) touched five objects and five backing stores per packet.
const E_SEQ = 0;
const E_NEXT = 1;
const E_FRAME = 2;
const E_TS = 3;
const E_ORD = 4;
const ENTRY = 5;

/** The numbers of ring calls that may exceed V8's small integers, passed through one shared
 *  array rather than as arguments or fields: a call V8 does not inline boxes such an argument
 *  (garbage per packet), and a double field of an object is a separate heap box (a cache line of
 *  its own). Written right before the call that reads them; results are valid until the next
 *  call on any ring. */
export const RING_IO = new Float64Array(6);
/** pushIo's segment: first sequence number, end (seq + len, +1 for SYN/FIN), time */
export const IO_SEQ = 0;
export const IO_NEXT = 1;
export const IO_TS = 2;
const IO_ACK = 3; // applyAck's argument
const IO_SPAN_BASE = 4; // spanFromBase's argument
const IO_ACKED_TS = 5; // applyAck's result (with ackedFrame)

export class UnackedRing {
  // ---- main ring (sorted), `mainCount` entries from entry `head`; capacity `cap` entries (2^k)
  m: Float64Array = EMPTY_F64;
  cap = 0;
  head = 0;
  mainCount = 0;
  // ---- side list (out-of-order segments), `sideCount` entries from entry 0
  s: Float64Array = EMPTY_F64;
  sideCount = 0;
  /** all unacknowledged segments: mainCount + sideCount */
  count = 0;
  private pushes = 0;
  /** results of the last ack(): the oldest segment whose end the ACK equals (ackedTs is valid
   *  until the next ack of any ring) */
  ackedFrame = 0;
  get ackedTs(): number { return RING_IO[IO_ACKED_TS]; }
  /** the argument of applyAck() and of spanFromBase() (see applyAck) */
  get ackNo(): number { return RING_IO[IO_ACK]; }
  set ackNo(v: number) { RING_IO[IO_ACK] = v; }
  get spanBase(): number { return RING_IO[IO_SPAN_BASE]; }
  set spanBase(v: number) { RING_IO[IO_SPAN_BASE] = v; }

  /** Entries the main ring and the side list can hold without growing (for tests). */
  get capacity(): number { return this.cap; }
  get sideCapacity(): number { return this.s.length / ENTRY; }

  push(seq: number, next: number, frame: number, ts: number): void {
    RING_IO[IO_SEQ] = seq;
    RING_IO[IO_NEXT] = next;
    RING_IO[IO_TS] = ts;
    this.pushIo(frame);
  }

  /** push(RING_IO[IO_SEQ], RING_IO[IO_NEXT], frame, RING_IO[IO_TS]) (see RING_IO). */
  pushIo(frame: number): void {
    if (this.count >= MAX_UNACKED_SEGMENTS) return;
    const seq = RING_IO[IO_SEQ];
    const next = RING_IO[IO_NEXT];
    const ts = RING_IO[IO_TS];
    const ord = this.pushes++;
    this.count++;
    if (this.mainCount > 0) {
      const last = ((this.head + this.mainCount - 1) & (this.cap - 1)) * ENTRY;
      if (seqLt(seq, this.m[last + E_SEQ]) || seqLt(next, this.m[last + E_NEXT])) {
        this.pushSide(seq, next, frame, ts, ord);
        return;
      }
    }
    if (this.mainCount === this.cap) this.grow(this.cap === 0 ? RING_MIN : Math.min(this.cap * 2, RING_MAX));
    const m = this.m;
    const i = ((this.head + this.mainCount) & (this.cap - 1)) * ENTRY;
    m[i + E_SEQ] = seq;
    m[i + E_NEXT] = next;
    m[i + E_FRAME] = frame;
    m[i + E_TS] = ts;
    m[i + E_ORD] = ord;
    this.mainCount++;
  }

  private pushSide(seq: number, next: number, frame: number, ts: number, ord: number): void {
    const n = this.sideCount;
    if (n * ENTRY === this.s.length) this.growSide(n === 0 ? SIDE_MIN : Math.min(n * 2, RING_MAX));
    const s = this.s;
    const i = n * ENTRY;
    s[i + E_SEQ] = seq;
    s[i + E_NEXT] = next;
    s[i + E_FRAME] = frame;
    s[i + E_TS] = ts;
    s[i + E_ORD] = ord;
    this.sideCount = n + 1;
  }

  private grow(cap: number): void {
    if (cap === RING_MIN && this.mainCount === 0 && poolLen > 0) {
      // small rings come from the pool: short connections allocate no typed arrays
      const k = --poolLen;
      this.m = pool[k];
      pool[k] = EMPTY_F64;
      this.cap = RING_MIN;
      this.head = 0;
      return;
    }
    const m = new Float64Array(cap * ENTRY);
    const oldMask = this.cap - 1;
    for (let k = 0; k < this.mainCount; k++) {
      const j = ((this.head + k) & oldMask) * ENTRY;
      m.set(this.m.subarray(j, j + ENTRY), k * ENTRY);
    }
    this.m = m;
    this.cap = cap;
    this.head = 0;
  }

  private growSide(cap: number): void {
    const s = new Float64Array(cap * ENTRY);
    s.set(this.s.subarray(0, this.sideCount * ENTRY));
    this.s = s;
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
      const mask = this.cap - 1;
      const m = this.m;
      let head = this.head;
      let n = this.mainCount;
      for (; n > 0; n--) {
        const e = head * ENTRY;
        const next = m[e + E_NEXT];
        if (!seqLe(next, ack)) break;
        if (next === ack && bestOrd === Infinity) {
          bestOrd = m[e + E_ORD];
          this.ackedFrame = m[e + E_FRAME];
          RING_IO[IO_ACKED_TS] = m[e + E_TS];
        }
        head = (head + 1) & mask;
      }
      for (let k = 0, j = head; k < n && seqLt(m[j * ENTRY + E_SEQ], ack); k++, j = (j + 1) & mask) m[j * ENTRY + E_SEQ] = ack;
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
    const s = this.s;
    for (let k = 0; k < n; k++) {
      const e = k * ENTRY;
      const next = s[e + E_NEXT];
      if (seqLe(next, ack)) {
        if (next === ack && s[e + E_ORD] < bestOrd) {
          bestOrd = s[e + E_ORD];
          this.ackedFrame = s[e + E_FRAME];
          RING_IO[IO_ACKED_TS] = s[e + E_TS];
        }
        continue;
      }
      let seq = s[e + E_SEQ];
      if (seqGt(ack, seq)) seq = ack;
      const o = w * ENTRY;
      s[o + E_SEQ] = seq;
      s[o + E_NEXT] = next;
      s[o + E_FRAME] = s[e + E_FRAME];
      s[o + E_TS] = s[e + E_TS];
      s[o + E_ORD] = s[e + E_ORD];
      w++;
    }
    this.count -= n - w;
    this.sideCount = w;
    if (w === 0 && this.s.length > SIDE_KEEP * ENTRY) this.s = EMPTY_F64;
  }

  /** An empty main ring gives a small array back to the pool (idle connections hold none). */
  private releaseMain(): void {
    this.head = 0;
    if (this.cap === RING_MIN && poolLen < POOL_MAX) {
      pool[poolLen++] = this.m;
      this.m = EMPTY_F64;
      this.cap = 0;
    }
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
      const m = this.m;
      const mask = this.cap - 1;
      const h = this.head;
      first = (m[h * ENTRY + E_SEQ] - base) >>> 0;
      last = (m[((h + n - 1) & mask) * ENTRY + E_NEXT] - base) >>> 0;
      if (last < first) {
        // the ring's sequence numbers wrap around relative to base: look at every entry
        for (let k = 0; k < n; k++) {
          const j = ((h + k) & mask) * ENTRY;
          const s = (m[j + E_SEQ] - base) >>> 0;
          const e = (m[j + E_NEXT] - base) >>> 0;
          if (s < first) first = s;
          if (e > last) last = e;
        }
      }
    }
    const side = this.s;
    for (let k = 0; k < this.sideCount; k++) {
      const s = (side[k * ENTRY + E_SEQ] - base) >>> 0;
      const e = (side[k * ENTRY + E_NEXT] - base) >>> 0;
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
    if (this.cap !== 0) this.releaseMain();
    this.head = 0;
    this.m = EMPTY_F64;
    this.cap = 0;
    this.s = EMPTY_F64;
    this.pushes = 0;
    this.ackedFrame = 0;
  }
}

const EMPTY_F64 = new Float64Array(0);
/** An empty side list keeps arrays this small (a connection with a little reordering reuses
 *  them); larger ones are dropped. */
const SIDE_KEEP = 64;
/** Free small rings, shared by all trackers (bounded: 4,096 x 320 bytes). */
const POOL_MAX = 4096;
const pool = new Array<Float64Array>(POOL_MAX).fill(EMPTY_F64);
let poolLen = 0;
