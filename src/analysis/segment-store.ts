// The key segments of every kept connection, in columns of typed arrays shared by the whole trace
// (43 bytes a segment, no object, no bigint), written once when a connection ends.
// ConnectionFacts.keySegments turns a connection's run of rows into SegmentFact objects only when
// a rule or a renderer asks for them (kept.ts), and the report model looks frames up here without
// building any object (frameAt). 100,000 short connections of 8 segments each take 34 MB here,
// against about 150 MB as SegmentFact objects with bigint times. Rows are bounded by the kept
// connections times the key-segment bounds (trace.ts).
//
// The store's columns are chunks of STORE_CHUNK_ROWS rows: it grows by one chunk at a time, so
// rows are never copied and it holds at most one partly used chunk (columns that doubled held up
// to twice the rows in use, and three times while doubling: 135 MB for the 1.08 million rows of
// a capture of a million connections, against 47 MB in chunks).

import type { SegmentFact } from './trace.js';

/** Rows allocated at first by SegmentColumns; they double when full. */
const INITIAL_ROWS = 4096;

/** Key-segment rows in flat columns that double when full: the analysis' pool of rows of open
 *  connections (builders.ts), whose rows are reused (its size is the peak of rows held at once). */
export class SegmentColumns {
  frame: Float64Array;
  rel: Float64Array;
  seq: Uint32Array;
  ack: Uint32Array;
  len: Uint32Array;
  win: Uint32Array;
  labels: Uint32Array;
  flags: Uint16Array;
  ipId: Int32Array;
  /** bit 0: direction; bits 1-2: keep-alive style */
  meta: Uint8Array;

  constructor(rows = INITIAL_ROWS) {
    this.frame = new Float64Array(rows);
    this.rel = new Float64Array(rows);
    this.seq = new Uint32Array(rows);
    this.ack = new Uint32Array(rows);
    this.len = new Uint32Array(rows);
    this.win = new Uint32Array(rows);
    this.labels = new Uint32Array(rows);
    this.flags = new Uint16Array(rows);
    this.ipId = new Int32Array(rows);
    this.meta = new Uint8Array(rows);
  }

  /** Doubles every column (a subclass with columns of its own doubles those after this). */
  protected grow(): void {
    const n = this.frame.length * 2;
    this.frame = grown(this.frame, n);
    this.rel = grown(this.rel, n);
    this.seq = grown(this.seq, n);
    this.ack = grown(this.ack, n);
    this.len = grown(this.len, n);
    this.win = grown(this.win, n);
    this.labels = grown(this.labels, n);
    this.flags = grown(this.flags, n);
    this.ipId = grown(this.ipId, n);
    this.meta = grown(this.meta, n);
  }
}

/** Rows per chunk of the store's columns (a power of two: row i is entry i & STORE_CHUNK_MASK of
 *  chunk i >> STORE_CHUNK_SHIFT). 65,536 rows are 2.8 MB: a trace of a few connections holds one
 *  small-enough chunk, a large one wastes at most that. */
const STORE_CHUNK_SHIFT = 16;
const STORE_CHUNK_ROWS = 1 << STORE_CHUNK_SHIFT;
const STORE_CHUNK_MASK = STORE_CHUNK_ROWS - 1;
/** bytes a row takes in the columns (frame, rel: 8; seq, ack, len, win, labels, ipId: 4; flags: 2; meta: 1) */
const ROW_BYTES = 8 + 8 + 4 * 6 + 2 + 1;

const EMPTY_CHUNK = new SegmentColumns(0);

export class SegmentStore {
  length = 0;
  // the chunks of each column (SegmentColumns' columns, chunk by chunk)
  private readonly frame: Float64Array[] = [];
  private readonly rel: Float64Array[] = [];
  private readonly seq: Uint32Array[] = [];
  private readonly ack: Uint32Array[] = [];
  private readonly len: Uint32Array[] = [];
  private readonly win: Uint32Array[] = [];
  private readonly labels: Uint32Array[] = [];
  private readonly flags: Uint16Array[] = [];
  private readonly ipId: Int32Array[] = [];
  private readonly meta: Uint8Array[] = [];
  /** the last chunk of every column, where rows are appended */
  private w = EMPTY_CHUNK;

  /** Appends row r of `from` (a row of the analysis' pool); returns the new row's index. */
  appendFrom(from: SegmentColumns, r: number): number {
    const i = this.length++;
    const j = i & STORE_CHUNK_MASK;
    if (j === 0) this.addChunk();
    const w = this.w;
    w.frame[j] = from.frame[r];
    w.rel[j] = from.rel[r];
    w.seq[j] = from.seq[r];
    w.ack[j] = from.ack[r];
    w.len[j] = from.len[r];
    w.win[j] = from.win[r];
    w.labels[j] = from.labels[r];
    w.flags[j] = from.flags[r];
    w.ipId[j] = from.ipId[r];
    w.meta[j] = from.meta[r];
    return i;
  }

  /** Appends a row given by its numbers (a row of a ring of the last segments, builders.ts). */
  appendValues(frame: number, rel: number, seq: number, ack: number, len: number, win: number, labels: number, flags: number, ipId: number, meta: number): number {
    const i = this.length++;
    const j = i & STORE_CHUNK_MASK;
    if (j === 0) this.addChunk();
    const w = this.w;
    w.frame[j] = frame;
    w.rel[j] = rel;
    w.seq[j] = seq;
    w.ack[j] = ack;
    w.len[j] = len;
    w.win[j] = win;
    w.labels[j] = labels;
    w.flags[j] = flags;
    w.ipId[j] = ipId;
    w.meta[j] = meta;
    return i;
  }

  frameAt(i: number): number {
    return this.frame[i >>> STORE_CHUNK_SHIFT][i & STORE_CHUNK_MASK];
  }

  // single columns of row i, for walks over many rows that build no object
  /** ns since the capture's first frame */
  relAt(i: number): number {
    return this.rel[i >>> STORE_CHUNK_SHIFT][i & STORE_CHUNK_MASK];
  }
  dirAt(i: number): 0 | 1 {
    return (this.meta[i >>> STORE_CHUNK_SHIFT][i & STORE_CHUNK_MASK] & 1) as 0 | 1;
  }
  flagsAt(i: number): number {
    return this.flags[i >>> STORE_CHUNK_SHIFT][i & STORE_CHUNK_MASK];
  }
  seqAt(i: number): number {
    return this.seq[i >>> STORE_CHUNK_SHIFT][i & STORE_CHUNK_MASK];
  }
  ackAt(i: number): number {
    return this.ack[i >>> STORE_CHUNK_SHIFT][i & STORE_CHUNK_MASK];
  }
  /** payload length on the wire */
  lenAt(i: number): number {
    return this.len[i >>> STORE_CHUNK_SHIFT][i & STORE_CHUNK_MASK];
  }

  /** Row i as a SegmentFact with absolute time baseNs + rel. */
  fact(i: number, baseNs: bigint): SegmentFact {
    const c = i >>> STORE_CHUNK_SHIFT;
    const j = i & STORE_CHUNK_MASK;
    const m = this.meta[c][j];
    return {
      frame: this.frame[c][j], ns: baseNs + BigInt(this.rel[c][j]), dir: (m & 1) as 0 | 1, flags: this.flags[c][j], seq: this.seq[c][j],
      ack: this.ack[c][j], len: this.len[c][j], win: this.win[c][j], labels: this.labels[c][j], keepAliveStyle: m >> 1, ipId: this.ipId[c][j],
    };
  }

  /** Rows [start, end) as SegmentFacts. */
  facts(start: number, end: number, baseNs: bigint): SegmentFact[] {
    const out = new Array<SegmentFact>(end - start);
    for (let i = start; i < end; i++) out[i - start] = this.fact(i, baseNs);
    return out;
  }

  /** Bytes held by the columns (for the documented bound). */
  get bytes(): number {
    return this.frame.length * STORE_CHUNK_ROWS * ROW_BYTES;
  }

  /** A new last chunk in every column; `w` is its columns. */
  private addChunk(): void {
    const w = new SegmentColumns(STORE_CHUNK_ROWS);
    this.w = w;
    this.frame.push(w.frame);
    this.rel.push(w.rel);
    this.seq.push(w.seq);
    this.ack.push(w.ack);
    this.len.push(w.len);
    this.win.push(w.win);
    this.labels.push(w.labels);
    this.flags.push(w.flags);
    this.ipId.push(w.ipId);
    this.meta.push(w.meta);
  }
}

type Column = Float64Array | Uint32Array | Uint16Array | Int32Array | Uint8Array;

/** A column of n entries holding a's entries first (the columns here only ever double). */
export function grown<T extends Column>(a: T, n: number): T {
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a);
  return b;
}
