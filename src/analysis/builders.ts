// Per-connection analysis state while the tracker holds a connection, without an object per
// connection: every field is a typed-array column indexed by the tracker's slot of the connection
// (Conn.slot: the tracker gives a slot to a connection when it enters its table and takes it back
// after releasing it, so the analysis needs no map from stream to builder). `stream` says which
// connection a slot's builder belongs to: a slot whose stream is not the packet's is (re)started.
// The key segments a connection keeps (the first ones, the marked ones, a ring of the last ones)
// are rows of one shared row pool, linked per slot into three lists; when the connection ends
// they are merged by frame into the trace's SegmentStore and the rows go back to the pool.
//
// Why: the tracker holds closed connections for their grace period (up to 65,536 of them), so a
// capture of many short connections kept tens of thousands of builder objects (a dozen small
// arrays and the segment row objects each) alive long enough to be promoted to the old generation:
// garbage collection was a quarter of diagnose's time. Columns are a few large arrays instead.
//
// Bounds: slots = the tracker's slots (connections it holds at once: its own bound); rows = at
// most KEY_SEGMENTS_FIRST + KEY_SEGMENTS_MARKED + KEY_SEGMENTS_LAST per slot. Both double when
// full and never shrink (the peak of one capture).

import { LABELS } from '../tcp/labels.js';
import { grown, SegmentColumns, type SegmentStore } from './segment-store.js';

const INITIAL_SLOTS = 256;
const INITIAL_ROWS = 2048;
const NO_ROW = -1;
const NO_STREAM = -1;
export const LABEL_KINDS = LABELS.length;

/** Key-segment rows of open connections (the same columns as SegmentStore, plus a link). */
export class RowPool extends SegmentColumns {
  /** the next row of the same list, or of the free list; NO_ROW at the end */
  next: Int32Array = new Int32Array(INITIAL_ROWS);
  private freeHead = NO_ROW;
  /** rows ever handed out (the rest of the arrays is unused) */
  private used = 0;

  /** A free row (its link NO_ROW). */
  take(): number {
    let r = this.freeHead;
    if (r !== NO_ROW) this.freeHead = this.next[r];
    else {
      if (this.used === this.frame.length) this.grow();
      r = this.used++;
    }
    this.next[r] = NO_ROW;
    return r;
  }

  /** Gives back the list starting at `head` and ending at `tail`. */
  releaseList(head: number, tail: number): void {
    if (head === NO_ROW) return;
    this.next[tail] = this.freeHead;
    this.freeHead = head;
  }

  constructor() {
    super(INITIAL_ROWS);
  }

  protected override grow(): void {
    super.grow();
    this.next = grown(this.next, this.frame.length);
  }
}

// Field offsets in a slot's block of the builder slab (Builders.n, SLOT_STRIDE numbers a slot,
// the block of slot s at s * SLOT_STRIDE; a per-direction field is two numbers, X + dir). The
// fields the analysis touches for every segment come first, so a segment reads and writes a few
// cache lines of one block instead of a line in each of fifty columns: with 100,000 connections
// held, the builders are 40 MB, far beyond the caches, and every column was a miss.
/** the connection (stream number) whose builder the slot holds; NO_STREAM none */
export const B_STREAM = 0;
/** segments seen */
export const B_SEEN = 1;
/** 1 when any segment had a label (the slot's label counts are all zero otherwise) */
export const B_LABELLED = 2;
/** key segments per list (first, marked, last: + which) and the lists' first and last pool rows
 *  (head + 2 * which, tail + 2 * which; NO_ROW when empty) */
export const B_LIST_N = 3;
export const B_LIST_HEAD = 6;
export const B_LIST_TAIL = 7;
/** time of the last segment on the connection, either direction (relative ns; -1 none) */
export const B_LAST_REL = 12;
// the handshake: the originator's first SYN (ISN, time, frame) and the SYN-ACK acknowledging it;
// the handshake's round trip: the originator's latest SYN before the SYN-ACK, then its first ACK
// after the SYN-ACK (relative ns; rtt -1 until seen)
export const B_SYN_SEQ = 13;
export const B_SYNACK_FRAME = 14;
export const B_LAST_SYN_REL = 15;
export const B_HS_RTT = 16;
// the last data segment per direction, to tell a capture duplicate from a retransmission
export const B_LAST_DATA_SEQ = 17;
export const B_LAST_DATA_LEN = 19;
export const B_LAST_DATA_REL = 21;
export const B_LAST_DATA_FLAGS = 23;
export const B_LAST_DATA_IPID = 25;
/** per direction: start of the current zero-window episode (relative ns, -1 = none) and its frame */
export const B_ZW_REL = 27;
export const B_ZW_START_FRAME = 29;
// health (ConnHealth fields), per direction or per connection
export const B_DATA_SEGMENTS = 31;
export const B_RETRANSMITTED = 33;
export const B_SYN_REL = 35;
export const B_SYN_FRAME = 36;
export const B_SYNACK_REL = 37;
export const B_DUPS = 38;
export const B_FIRST_DUP = 39;
export const B_RTO_STALLS = 40;
export const B_MAX_RTO_NS = 41;
export const B_MAX_RTO_FRAME = 42;
export const B_MAX_RTO_DIR = 43;
export const B_ZW = 44;
export const B_MAX_ZW_NS = 45;
export const B_ZW_FRAME = 46;
export const B_ZW_END_FRAME = 47;
export const B_ZW_DIR = 48;
export const B_KA_ZERO = 49;
export const B_KA_ONE = 50;
export const SLOT_STRIDE = 51;

/** A slot's block in its initial state (the rest is zero). */
const SLOT_TEMPLATE = (() => {
  const t = new Float64Array(SLOT_STRIDE);
  t[B_STREAM] = NO_STREAM;
  for (let w = 0; w < 3; w++) t[B_LIST_HEAD + 2 * w] = t[B_LIST_TAIL + 2 * w] = NO_ROW;
  t[B_LAST_REL] = -1;
  t[B_SYN_SEQ] = -1;
  t[B_HS_RTT] = -1;
  for (let d = 0; d < 2; d++) {
    t[B_LAST_DATA_SEQ + d] = -1;
    t[B_LAST_DATA_REL + d] = -1e18;
    t[B_LAST_DATA_FLAGS + d] = -1;
    t[B_LAST_DATA_IPID + d] = -1;
    t[B_ZW_REL + d] = -1;
  }
  return t;
})();

/** Every per-connection number of the analysis, in blocks by slot (layout above), and the label
 *  counts beside them (LABEL_KINDS per slot, touched only by labelled segments). */
export class Builders {
  readonly rows = new RowPool();
  private cap = INITIAL_SLOTS;
  /** the slab: SLOT_STRIDE numbers per slot (replaced when it grows: read it after start()) */
  n: Float64Array = Builders.blank(INITIAL_SLOTS, 0);
  /** label counts, LABEL_KINDS per slot (index slot * LABEL_KINDS + i, LABELS order) */
  labelCounts: Float64Array = new Float64Array(INITIAL_SLOTS * LABEL_KINDS);

  /** Whether slot s holds the builder of connection `stream` (a slot is the tracker's slot of
   *  the connection, reused by a later connection once the tracker released it). */
  holds(s: number, stream: number): boolean {
    return s < this.cap && this.n[s * SLOT_STRIDE + B_STREAM] === stream;
  }

  /** Slot s (the tracker's slot of a new connection) in its initial state, for `stream`. */
  start(s: number, stream: number): void {
    while (s >= this.cap) this.grow();
    const o = s * SLOT_STRIDE;
    // rows a previous connection of the slot did not give back (none when it was freed)
    if (this.n[o + B_STREAM] !== NO_STREAM) this.free(s);
    if (this.n[o + B_LABELLED]) this.labelCounts.fill(0, s * LABEL_KINDS, (s + 1) * LABEL_KINDS);
    this.n.set(SLOT_TEMPLATE, o);
    this.n[o + B_STREAM] = stream;
  }

  /** Returns the slot's key-segment rows to the pool; the slot holds no connection after. */
  free(s: number): void {
    const n = this.n;
    const o = s * SLOT_STRIDE;
    for (let w = 0; w < 3; w++) {
      this.rows.releaseList(n[o + B_LIST_HEAD + 2 * w], n[o + B_LIST_TAIL + 2 * w]);
      n[o + B_LIST_HEAD + 2 * w] = NO_ROW;
    }
    n[o + B_STREAM] = NO_STREAM;
  }

  /** Key segments the slot holds. */
  kept(s: number): number {
    const o = s * SLOT_STRIDE + B_LIST_N;
    return this.n[o] + this.n[o + 1] + this.n[o + 2];
  }

  /** Key segments in one of the slot's lists (which: 0 first, 1 marked, 2 last). */
  listN(s: number, which: 0 | 1 | 2): number {
    return this.n[s * SLOT_STRIDE + B_LIST_N + which];
  }

  /** Appends a row to one of the slot's lists (which: 0 first, 1 marked, 2 last). */
  append(s: number, which: 0 | 1 | 2): number {
    const r = this.rows.take();
    const n = this.n;
    const h = s * SLOT_STRIDE + B_LIST_HEAD + 2 * which;
    if (n[h] === NO_ROW) n[h] = r;
    else this.rows.next[n[h + 1]] = r;
    n[h + 1] = r;
    n[s * SLOT_STRIDE + B_LIST_N + which]++;
    return r;
  }

  /** The ring of the last segments is full: its oldest row becomes its newest (returned, to be
   *  overwritten). */
  rotateLast(s: number): number {
    const n = this.n;
    const h = s * SLOT_STRIDE + B_LIST_HEAD + 4;
    const r = n[h];
    const next = this.rows.next;
    if (n[h + 1] === r) return r;
    n[h] = next[r];
    next[r] = NO_ROW;
    next[n[h + 1]] = r;
    n[h + 1] = r;
    return r;
  }

  /** Moves the slot's key segments into the store, merged in frame order (each list is in frame
   *  order already; a frame is in one list only). Returns the number of rows written. */
  moveRows(s: number, store: SegmentStore): number {
    const p = this.rows;
    const next = p.next;
    const o = s * SLOT_STRIDE + B_LIST_HEAD;
    let a = this.n[o];
    let b = this.n[o + 2];
    let c = this.n[o + 4];
    let n = 0;
    if (b === NO_ROW && c === NO_ROW) {
      // only the first segments (a short connection): no merge
      for (; a !== NO_ROW; a = next[a], n++) store.appendFrom(p, a);
      return n;
    }
    for (;;) {
      let r = a;
      if (r === NO_ROW || (b !== NO_ROW && p.frame[b] < p.frame[r])) r = b;
      if (r === NO_ROW || (c !== NO_ROW && p.frame[c] < p.frame[r])) r = c;
      if (r === NO_ROW) break;
      if (r === a) a = next[a];
      else if (r === b) b = next[b];
      else c = next[c];
      store.appendFrom(p, r);
      n++;
    }
    return n;
  }

  /** A slab of `slots` blocks whose slots from `from` on hold no connection. */
  private static blank(slots: number, from: number): Float64Array {
    const n = new Float64Array(slots * SLOT_STRIDE);
    for (let s = from; s < slots; s++) n[s * SLOT_STRIDE + B_STREAM] = NO_STREAM;
    return n;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const n = Builders.blank(cap, this.cap);
    n.set(this.n);
    this.n = n;
    const l = new Float64Array(cap * LABEL_KINDS);
    l.set(this.labelCounts);
    this.labelCounts = l;
    this.cap = cap;
  }
}
