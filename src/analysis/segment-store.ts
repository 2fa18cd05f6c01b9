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

/** Rows per chunk of the store's columns (a power of two: row i is entry i & STORE_CHUNK_MASK of
 *  chunk i >> STORE_CHUNK_SHIFT). 65,536 rows are 2.8 MB: a trace of a few connections holds one
 *  small-enough chunk, a large one wastes at most that. */
const STORE_CHUNK_SHIFT = 16;
const STORE_CHUNK_ROWS = 1 << STORE_CHUNK_SHIFT;
const STORE_CHUNK_MASK = STORE_CHUNK_ROWS - 1;
/** bytes a row takes in the columns (frame, rel: 8; seq, ack, len, win, labels, ipId: 4; flags: 2; meta: 1) */
const ROW_BYTES = 8 + 8 + 4 * 6 + 2 + 1;

export class SegmentStore {
  length = 0;
  // the chunks of each column
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

  /** Appends one row (meta: bit 0 direction, bits 1-2 keep-alive style); returns its index. */
  append(frame: number, rel: number, meta: number, flags: number, seq: number, ack: number, len: number, win: number, labels: number, ipId: number): number {
    const i = this.length++;
    const c = i >>> STORE_CHUNK_SHIFT;
    if (c === this.frame.length) this.addChunk();
    const j = i & STORE_CHUNK_MASK;
    this.frame[c][j] = frame;
    this.rel[c][j] = rel;
    this.seq[c][j] = seq;
    this.ack[c][j] = ack;
    this.len[c][j] = len;
    this.win[c][j] = win;
    this.labels[c][j] = labels;
    this.flags[c][j] = flags;
    this.ipId[c][j] = ipId;
    this.meta[c][j] = meta;
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

  private addChunk(): void {
    this.frame.push(new Float64Array(STORE_CHUNK_ROWS));
    this.rel.push(new Float64Array(STORE_CHUNK_ROWS));
    this.seq.push(new Uint32Array(STORE_CHUNK_ROWS));
    this.ack.push(new Uint32Array(STORE_CHUNK_ROWS));
    this.len.push(new Uint32Array(STORE_CHUNK_ROWS));
    this.win.push(new Uint32Array(STORE_CHUNK_ROWS));
    this.labels.push(new Uint32Array(STORE_CHUNK_ROWS));
    this.flags.push(new Uint16Array(STORE_CHUNK_ROWS));
    this.ipId.push(new Int32Array(STORE_CHUNK_ROWS));
    this.meta.push(new Uint8Array(STORE_CHUNK_ROWS));
  }
}
