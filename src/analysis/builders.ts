// Per-connection analysis state while the tracker holds a connection, without an object per
// connection: every field is a typed-array column indexed by the tracker's slot of the connection
// (Conn.slot: the tracker gives a slot to a connection when it enters its table and takes it back
// after releasing it, so the analysis needs no map from stream to builder). `stream` says which
// connection a slot's builder belongs to: a slot whose stream is not the packet's is (re)started.
// The key segments a connection keeps: the first ones and the marked ones are rows of one shared
// row pool, linked per slot into two lists; the last ones are a ring of KEY_SEGMENTS_LAST rows in
// one block of numbers (lastRings), taken when the connection first needs it. When the
// connection ends they are merged by frame into the trace's SegmentStore and the rows and the
// block go back to their pools.
//
// Why: the tracker holds closed connections for their grace period (up to 65,536 of them), so a
// capture of many short connections kept tens of thousands of builder objects (a dozen small
// arrays and the segment row objects each) alive long enough to be promoted to the old generation:
// garbage collection was a quarter of diagnose's time. Columns are a few large arrays instead.
//
// Bounds: slots = the tracker's slots (connections it holds at once: its own bound); rows = at
// most KEY_SEGMENTS_FIRST + KEY_SEGMENTS_MARKED + KEY_SEGMENTS_FLAGGED per slot; ring blocks and label-count blocks = at
// most one per slot (lastRings, labelPool). All double when full and never shrink (the peak of one
// capture).

import { LABELS } from '../tcp/labels.js';
import { grown, SegmentColumns, type SegmentStore } from './segment-store.js';
import { KEY_SEGMENTS_LAST } from './trace.js';

const INITIAL_SLOTS = 256;
const INITIAL_ROWS = 2048;
const INITIAL_LABEL_BLOCKS = 64;
const INITIAL_RING_BLOCKS = 16;
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

/** Blocks of numbers, a block per connection that needs one, reused through a free list; the
 *  pool doubles when all are in use and never shrinks (bounded by the slots: at most one block of
 *  a kind per slot). `zero`: a block given back is zeroed for its next connection (the blocks of
 *  counts); the others are written before they are read. */
export class BlockPool {
  v: Float64Array;
  private free: number[] = [];
  private used = 0;

  constructor(private readonly block: number, initialBlocks: number, private readonly zero: boolean) {
    this.v = new Float64Array(initialBlocks * block);
  }

  /** A block; returns its first index in `v` (read `v` after the call: it is replaced when the
   *  pool grows). */
  take(): number {
    let k = this.free.pop();
    if (k === undefined) {
      if ((this.used + 1) * this.block > this.v.length) this.v = grown(this.v, this.v.length * 2);
      k = this.used++;
    }
    return k * this.block;
  }

  /** Gives back the block at `at`. */
  release(at: number): void {
    if (this.zero) this.v.fill(0, at, at + this.block);
    this.free.push(at / this.block);
  }
}

/** Label counts of the connections that had a labelled segment, LABEL_KINDS numbers a block
 *  (LABELS order), a block per such connection: most connections have no label, and a column of
 *  LABEL_KINDS counts for every slot was 15 MB of zeros with 131,072 slots. */
function labelPool(): BlockPool {
  return new BlockPool(LABEL_KINDS, INITIAL_LABEL_BLOCKS, true);
}

/** Numbers of a row of a ring of the last segments (lastRings), at these offsets: the columns of
 *  SegmentColumns, side by side. */
export const R_FRAME = 0, R_REL = 1, R_SEQ = 2, R_ACK = 3, R_LEN = 4, R_WIN = 5, R_LABELS = 6, R_FLAGS = 7, R_IPID = 8, R_META = 9;
export const RING_FIELDS = 10;
/** numbers of a block: the ring of one connection */
const RING_BLOCK = KEY_SEGMENTS_LAST * RING_FIELDS;

/** The rings of the last segments of the connections that have one (the segments after the
 *  first KEY_SEGMENTS_FIRST that are not marked), a block of KEY_SEGMENTS_LAST rows each. A row
 *  is RING_FIELDS numbers side by side: writing one is stores into one array, where a pool row
 *  is a store into each of ten columns and a list rotation (the ring is written for nearly
 *  every segment of a long connection). */
function lastRings(): BlockPool {
  return new BlockPool(RING_BLOCK, INITIAL_RING_BLOCKS, false);
}

/** Numbers of a full-window block (fullWindowPool), per direction (the data sender's: 0 = the
 *  originator) at offset dir * FW_DIR_FIELDS: segments labelled window_full, the first one's frame,
 *  and the round trips (Wireshark's ack_rtt) measured on the peer's ACKs of that direction's data
 *  from the first window_full on: count, sum, the largest and its ACK's frame. */
export const FW_FULL = 0, FW_FIRST_FRAME = 1, FW_RTT_N = 2, FW_RTT_SUM = 3, FW_RTT_MAX = 4, FW_RTT_MAX_FRAME = 5;
export const FW_DIR_FIELDS = 6;
const FW_BLOCK = 2 * FW_DIR_FIELDS;
const INITIAL_FW_BLOCKS = 16;

/** The full-window facts of the connections whose sender filled the receiver's window (few: a
 *  bulk transfer against a small window), a block of FW_BLOCK numbers each, taken on the first
 *  window_full segment. Only a connection that has a block pays for its round trips. */
function fullWindowPool(): BlockPool {
  return new BlockPool(FW_BLOCK, INITIAL_FW_BLOCKS, true);
}

/** Column layout: every per-connection number of the analysis, by slot (two entries per slot for
 *  per-direction fields: index 2 * slot + dir). Initial values are in `clear`. */
/** Holes in the sequence space tracked per direction: a capture that drops more than this many
 *  separate stretches before the receiver acknowledges them forgets the oldest (it is then not
 *  counted as capture loss: the count errs low, never high). */
export const MAX_HOLES = 4;

export class Builders {
  readonly rows = new RowPool();
  private cap = INITIAL_SLOTS;

  /** the connection (stream number) whose builder the slot holds; NO_STREAM none */
  stream: Float64Array = new Float64Array(INITIAL_SLOTS).fill(NO_STREAM);

  // ---- key segments: three lists of pool rows per slot (first, marked, ring of the last)
  firstHead: Int32Array = new Int32Array(INITIAL_SLOTS);
  firstTail: Int32Array = new Int32Array(INITIAL_SLOTS);
  firstN: Uint8Array = new Uint8Array(INITIAL_SLOTS);
  markedHead: Int32Array = new Int32Array(INITIAL_SLOTS);
  markedTail: Int32Array = new Int32Array(INITIAL_SLOTS);
  markedN: Uint8Array = new Uint8Array(INITIAL_SLOTS);
  /** the ring of the last segments: 1 + where its block starts in rings.v (0 none), the rows
   *  written (up to KEY_SEGMENTS_LAST) and the ring position the next one goes to */
  readonly rings = lastRings();
  lastRef: Float64Array = new Float64Array(INITIAL_SLOTS);
  lastN: Uint8Array = new Uint8Array(INITIAL_SLOTS);
  lastPos: Uint8Array = new Uint8Array(INITIAL_SLOTS);
  /** segments seen */
  seen: Float64Array = new Float64Array(INITIAL_SLOTS);
  /** label counts of the slots with a labelled segment (labelAt) */
  readonly labels = labelPool();
  /** per slot: 1 + the index in labels.v of its block; 0 when no segment had a label */
  labelRef: Float64Array = new Float64Array(INITIAL_SLOTS);
  /** full-window facts of the slots whose sender filled the window (fullWindowAt) */
  readonly fullWindow = fullWindowPool();
  /** per slot: 1 + the index in fullWindow.v of its block; 0 when no segment was window_full */
  fwRef: Float64Array = new Float64Array(INITIAL_SLOTS);
  zeroByteKa: Float64Array = new Float64Array(INITIAL_SLOTS);
  oneByteKa: Float64Array = new Float64Array(INITIAL_SLOTS);
  /** time of the last segment on the connection, either direction (relative ns; -1 none) */
  lastRel: Float64Array = new Float64Array(INITIAL_SLOTS);

  // ---- health (ConnHealth fields), per slot or per 2 * slot + dir
  dataSegments: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  retransmittedData: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  captureDuplicates: Float64Array = new Float64Array(INITIAL_SLOTS);
  firstDuplicateFrame: Float64Array = new Float64Array(INITIAL_SLOTS);
  /** sequence number after the highest byte (SYN and FIN count one) seen per direction; -1 none */
  maxEnd: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  /** holes in the bytes seen per direction, oldest first: [start, end) of up to MAX_HOLES each
   *  (index (2 * slot + dir) * MAX_HOLES + i), and how many */
  holeStart: Float64Array = new Float64Array(2 * INITIAL_SLOTS * MAX_HOLES);
  holeEnd: Float64Array = new Float64Array(2 * INITIAL_SLOTS * MAX_HOLES);
  holeN: Uint8Array = new Uint8Array(2 * INITIAL_SLOTS);
  /** ACKs that acknowledged a hole the capture never filled (capture loss), and the first */
  ackedUnseen: Float64Array = new Float64Array(INITIAL_SLOTS);
  firstAckedUnseenFrame: Float64Array = new Float64Array(INITIAL_SLOTS);
  rtoStalls: Float64Array = new Float64Array(INITIAL_SLOTS);
  maxRtoStallNs: Float64Array = new Float64Array(INITIAL_SLOTS);
  maxRtoStallFrame: Float64Array = new Float64Array(INITIAL_SLOTS);
  maxRtoStallDir: Uint8Array = new Uint8Array(INITIAL_SLOTS);
  zeroWindows: Float64Array = new Float64Array(INITIAL_SLOTS);
  maxZeroWindowNs: Float64Array = new Float64Array(INITIAL_SLOTS);
  zeroWindowFrame: Float64Array = new Float64Array(INITIAL_SLOTS);
  zeroWindowEndFrame: Float64Array = new Float64Array(INITIAL_SLOTS);
  zeroWindowDir: Uint8Array = new Uint8Array(INITIAL_SLOTS);
  /** per direction: start of the current zero-window episode (relative ns, -1 = none) and its frame */
  zwRel: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  zwFrame: Float64Array = new Float64Array(2 * INITIAL_SLOTS);

  // ---- handshake: the originator's first SYN (ISN, time) and the SYN-ACK acknowledging it
  synSeq: Float64Array = new Float64Array(INITIAL_SLOTS);
  synRel: Float64Array = new Float64Array(INITIAL_SLOTS);
  synFrame: Float64Array = new Float64Array(INITIAL_SLOTS);
  synAckRel: Float64Array = new Float64Array(INITIAL_SLOTS);
  synAckFrame: Float64Array = new Float64Array(INITIAL_SLOTS);
  /** the handshake's round trip: the originator's latest SYN before the SYN-ACK, then its first
   *  ACK after the SYN-ACK (relative ns; rtt -1 until seen) */
  lastSynRel: Float64Array = new Float64Array(INITIAL_SLOTS);
  hsRtt: Float64Array = new Float64Array(INITIAL_SLOTS);

  // ---- the last data segment per direction (2 * slot + dir), to tell a capture duplicate from a retransmission
  lastDataSeq: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  lastDataLen: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  lastDataRel: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  lastDataFlags: Int32Array = new Int32Array(2 * INITIAL_SLOTS);
  lastDataIpId: Int32Array = new Int32Array(2 * INITIAL_SLOTS);

  // ---- delayed-ACK stalls: per direction (the data sender's, 2 * slot + dir) the frame of its
  // last data segment, and the wait it is in: the peer's pure ACK of exactly its data (time, -1
  // none; frame; the data frame it acknowledged; the sequence number it acknowledged)
  lastDataFrame: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  waitRel: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  waitFrame: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  waitDataFrame: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  waitSeq: Float64Array = new Float64Array(2 * INITIAL_SLOTS);
  /** per slot: stalls counted, their total and longest wait beyond the round trip (ns), the bytes
   *  of the segments they released, and the first stall's direction and three frames (the data
   *  segment, the late ACK, the segment it released) */
  stallN: Float64Array = new Float64Array(INITIAL_SLOTS);
  stallNs: Float64Array = new Float64Array(INITIAL_SLOTS);
  stallMaxNs: Float64Array = new Float64Array(INITIAL_SLOTS);
  stallBytes: Float64Array = new Float64Array(INITIAL_SLOTS);
  stallDir: Uint8Array = new Uint8Array(INITIAL_SLOTS);
  stallDataFrame: Float64Array = new Float64Array(INITIAL_SLOTS);
  stallAckFrame: Float64Array = new Float64Array(INITIAL_SLOTS);
  stallReleaseFrame: Float64Array = new Float64Array(INITIAL_SLOTS);

  // ---- TTLs per direction (2 * slot + dir): of the first segment that is not a RST (-1 none yet),
  // and of the first RST with its frame (0 none): a RST that arrives with another TTL than the
  // sender's own packets was sent by something else in its name
  ttl0: Int16Array = new Int16Array(2 * INITIAL_SLOTS);
  rstTtl: Int16Array = new Int16Array(2 * INITIAL_SLOTS);
  rstFrame: Float64Array = new Float64Array(2 * INITIAL_SLOTS);


  /** Whether slot s holds the builder of connection `stream` (a slot is the tracker's slot of
   *  the connection, reused by a later connection once the tracker released it). */
  holds(s: number, stream: number): boolean {
    return s < this.cap && this.stream[s] === stream;
  }

  /** Slot s (the tracker's slot of a new connection) in its initial state, for `stream`. */
  start(s: number, stream: number): void {
    while (s >= this.cap) this.grow();
    // rows a previous connection of the slot did not give back (none when it was freed)
    if (this.stream[s] !== NO_STREAM) this.free(s);
    this.clear(s);
    this.stream[s] = stream;
  }

  /** Returns the slot's key-segment rows to the pool; the slot holds no connection after. A slot
   *  that holds none has nothing to give back (its list heads are not rows of its own). */
  free(s: number): void {
    if (s >= this.cap || this.stream[s] === NO_STREAM) return;
    const rows = this.rows;
    rows.releaseList(this.firstHead[s], this.firstTail[s]);
    rows.releaseList(this.markedHead[s], this.markedTail[s]);
    this.firstHead[s] = this.markedHead[s] = NO_ROW;
    if (this.lastRef[s] !== 0) this.rings.release(this.lastRef[s] - 1);
    this.lastRef[s] = 0;
    if (this.labelRef[s] !== 0) this.labels.release(this.labelRef[s] - 1);
    this.labelRef[s] = 0;
    if (this.fwRef[s] !== 0) this.fullWindow.release(this.fwRef[s] - 1);
    this.fwRef[s] = 0;
    this.stream[s] = NO_STREAM;
  }

  /** Where the slot's label counts start in labels.v (LABEL_KINDS of them); a block is
   *  taken on the slot's first labelled segment. */
  labelBlock(s: number): number {
    return blockOf(this.labelRef, this.labels, s);
  }

  /** Where the slot's label counts start in labels.v; -1 when no segment had a label. */
  labelAt(s: number): number {
    return this.labelRef[s] - 1;
  }

  /** Where the slot's full-window block starts in fullWindow.v; taken on its first window_full
   *  segment. */
  fullWindowBlock(s: number): number {
    return blockOf(this.fwRef, this.fullWindow, s);
  }

  /** Where the slot's full-window block starts in fullWindow.v; -1 when no segment was window_full. */
  fullWindowAt(s: number): number {
    return this.fwRef[s] - 1;
  }

  /** Key segments the slot holds. */
  kept(s: number): number {
    return this.firstN[s] + this.markedN[s] + this.lastN[s];
  }

  /** Appends a row to one of the slot's lists (which: 0 first, 1 marked). */
  append(s: number, which: 0 | 1): number {
    const r = this.rows.take();
    const head = which === 0 ? this.firstHead : this.markedHead;
    const tail = which === 0 ? this.firstTail : this.markedTail;
    const n = which === 0 ? this.firstN : this.markedN;
    if (head[s] === NO_ROW) head[s] = r;
    else this.rows.next[tail[s]] = r;
    tail[s] = r;
    n[s]++;
    return r;
  }

  /** The next row of the slot's ring of the last segments (its oldest row once the ring is
   *  full): returns where its RING_FIELDS numbers start in rings.v (read rings.v after the call). */
  lastRow(s: number): number {
    let at = this.lastRef[s] - 1;
    if (at < 0) {
      at = this.rings.take();
      this.lastRef[s] = at + 1;
    }
    const pos = this.lastPos[s];
    this.lastPos[s] = pos + 1 === KEY_SEGMENTS_LAST ? 0 : pos + 1;
    if (this.lastN[s] < KEY_SEGMENTS_LAST) this.lastN[s]++;
    return at + pos * RING_FIELDS;
  }

  /** Moves the slot's key segments into the store, merged in frame order (each list is in frame
   *  order already; a frame is in one list only). Returns the number of rows written. */
  moveRows(s: number, store: SegmentStore): number {
    const p = this.rows;
    const next = p.next;
    let a = this.firstHead[s];
    let b = this.markedHead[s];
    const lastN = this.lastN[s];
    let n = 0;
    if (b === NO_ROW && lastN === 0) {
      // only the first segments (a short connection): no merge
      for (; a !== NO_ROW; a = next[a], n++) store.appendFrom(p, a);
      return n;
    }
    // the ring's rows oldest first: from its start until it filled, then from the next position
    const v = this.rings.v;
    const base = this.lastRef[s] - 1;
    let pos = lastN < KEY_SEGMENTS_LAST ? 0 : this.lastPos[s];
    let left = lastN;
    let c = left > 0 ? base + pos * RING_FIELDS : -1;
    for (;;) {
      // the smallest frame of the three lists' heads (a frame is in one list only)
      let r = a;
      let fr = a !== NO_ROW ? p.frame[a] : Infinity;
      if (b !== NO_ROW && p.frame[b] < fr) {
        r = b;
        fr = p.frame[b];
      }
      if (c >= 0 && v[c + R_FRAME] < fr) {
        store.appendValues(v[c + R_FRAME], v[c + R_REL], v[c + R_SEQ], v[c + R_ACK], v[c + R_LEN], v[c + R_WIN], v[c + R_LABELS], v[c + R_FLAGS], v[c + R_IPID], v[c + R_META]);
        pos = pos + 1 === KEY_SEGMENTS_LAST ? 0 : pos + 1;
        c = --left > 0 ? base + pos * RING_FIELDS : -1;
      } else if (r === NO_ROW) break;
      else {
        if (r === a) a = next[a];
        else b = next[b];
        store.appendFrom(p, r);
      }
      n++;
    }
    return n;
  }

  private clear(s: number): void {
    this.firstHead[s] = this.firstTail[s] = NO_ROW;
    this.markedHead[s] = this.markedTail[s] = NO_ROW;
    if (this.lastRef[s] !== 0) this.rings.release(this.lastRef[s] - 1);
    this.lastRef[s] = 0;
    this.firstN[s] = this.markedN[s] = this.lastN[s] = this.lastPos[s] = 0;
    this.seen[s] = 0;
    if (this.labelRef[s] !== 0) this.labels.release(this.labelRef[s] - 1);
    this.labelRef[s] = 0;
    if (this.fwRef[s] !== 0) this.fullWindow.release(this.fwRef[s] - 1);
    this.fwRef[s] = 0;
    this.zeroByteKa[s] = this.oneByteKa[s] = 0;
    this.lastRel[s] = -1;
    this.captureDuplicates[s] = this.firstDuplicateFrame[s] = this.rtoStalls[s] = 0;
    this.ackedUnseen[s] = this.firstAckedUnseenFrame[s] = 0;
    this.maxRtoStallNs[s] = this.maxRtoStallFrame[s] = this.maxRtoStallDir[s] = 0;
    this.zeroWindows[s] = this.maxZeroWindowNs[s] = this.zeroWindowFrame[s] = this.zeroWindowEndFrame[s] = this.zeroWindowDir[s] = 0;
    this.synSeq[s] = -1;
    this.synRel[s] = this.synFrame[s] = this.synAckRel[s] = this.synAckFrame[s] = 0;
    this.lastSynRel[s] = 0;
    this.hsRtt[s] = -1;
    this.stallN[s] = this.stallNs[s] = this.stallMaxNs[s] = this.stallBytes[s] = this.stallDir[s] = 0;
    for (let d = 2 * s; d < 2 * s + 2; d++) {
      this.dataSegments[d] = this.retransmittedData[d] = 0;
      this.zwRel[d] = -1;
      this.zwFrame[d] = 0;
      this.lastDataSeq[d] = -1;
      this.lastDataLen[d] = 0;
      this.lastDataRel[d] = -1e18;
      this.lastDataFlags[d] = -1;
      this.lastDataIpId[d] = -1;
      this.ttl0[d] = -1;
      this.lastDataFrame[d] = 0;
      this.waitRel[d] = -1;
      this.rstTtl[d] = -1;
      this.rstFrame[d] = 0;
      this.maxEnd[d] = -1;
      this.holeN[d] = 0;
    }
  }

  private grow(): void {
    const n = this.cap * 2;
    // every typed-array column (a field holding one) doubles; per-direction and label columns
    // keep their multiple of the slot count
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(self)) {
      const a = self[k];
      if (!ArrayBuffer.isView(a) || a instanceof DataView) continue;
      const per = (a as Float64Array).length / this.cap;
      const Ctor = (a as Float64Array).constructor as new (n: number) => Float64Array;
      const b = new Ctor(n * per);
      b.set(a as Float64Array);
      self[k] = b;
    }
    this.stream.fill(NO_STREAM, this.cap);
    this.cap = n;
  }
}

/** Slot s's block of `pool` (refs[s]: 1 + where it starts in pool.v, 0 none), taken on first need. */
function blockOf(refs: Float64Array, pool: BlockPool, s: number): number {
  const r = refs[s];
  if (r !== 0) return r - 1;
  const at = pool.take();
  refs[s] = at + 1;
  return at;
}
