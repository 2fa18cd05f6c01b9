// The key segments of every kept connection, in columns of typed arrays shared by the whole trace
// (43 bytes a segment, no object, no bigint), written once when a connection ends.
// ConnectionFacts.keySegments turns a connection's run of rows into SegmentFact objects only when
// a rule or a renderer asks for them (kept.ts), and the report model looks frames up here without
// building any object (frameAt). 100,000 short connections of 8 segments each take 34 MB here
// (up to twice that while the columns double), against about 150 MB as SegmentFact objects with
// bigint times. Rows are bounded by the kept connections times the key-segment bounds (trace.ts).

import type { SegmentFact } from './trace.js';

/** Rows allocated at first; the columns double when full. */
const INITIAL_ROWS = 4096;

/** The columns of key-segment rows, shared by the trace's SegmentStore and the analysis' pool of
 *  rows of open connections (builders.ts), which copies its rows into the store column by column. */
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

  constructor(rows: number) {
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

export class SegmentStore extends SegmentColumns {
  length = 0;

  constructor() {
    super(INITIAL_ROWS);
  }

  /** Appends one row (meta: bit 0 direction, bits 1-2 keep-alive style); returns its index. */
  append(frame: number, rel: number, meta: number, flags: number, seq: number, ack: number, len: number, win: number, labels: number, ipId: number): number {
    if (this.length === this.frame.length) this.grow();
    const i = this.length++;
    this.frame[i] = frame;
    this.rel[i] = rel;
    this.seq[i] = seq;
    this.ack[i] = ack;
    this.len[i] = len;
    this.win[i] = win;
    this.labels[i] = labels;
    this.flags[i] = flags;
    this.ipId[i] = ipId;
    this.meta[i] = meta;
    return i;
  }

  frameAt(i: number): number {
    return this.frame[i];
  }

  // single columns of row i, for walks over many rows that build no object
  /** ns since the capture's first frame */
  relAt(i: number): number {
    return this.rel[i];
  }
  dirAt(i: number): 0 | 1 {
    return (this.meta[i] & 1) as 0 | 1;
  }
  flagsAt(i: number): number {
    return this.flags[i];
  }
  seqAt(i: number): number {
    return this.seq[i];
  }
  ackAt(i: number): number {
    return this.ack[i];
  }
  /** payload length on the wire */
  lenAt(i: number): number {
    return this.len[i];
  }

  /** Row i as a SegmentFact with absolute time baseNs + rel. */
  fact(i: number, baseNs: bigint): SegmentFact {
    const m = this.meta[i];
    return {
      frame: this.frame[i], ns: baseNs + BigInt(this.rel[i]), dir: (m & 1) as 0 | 1, flags: this.flags[i], seq: this.seq[i], ack: this.ack[i],
      len: this.len[i], win: this.win[i], labels: this.labels[i], keepAliveStyle: m >> 1, ipId: this.ipId[i],
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
    return this.frame.length * (8 + 8 + 4 * 6 + 2 + 1);
  }

}

type Column = Float64Array | Uint32Array | Uint16Array | Int32Array | Uint8Array;

/** A column of n entries holding a's entries first (the columns here only ever double). */
export function grown<T extends Column>(a: T, n: number): T {
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a);
  return b;
}
