// Recently answered RPC calls, remembered to recognise a late retransmission (incident C) or a
// duplicate reply: keyed by (address-pair number, XID) like the pending table (calltable.ts),
// evicted oldest first (by the time each was last added) once MAX entries are held.
//
// Why not a CallTable of call records: every answered call would stay reachable for the next
// 65,536 replies, so each record survived the young generation and was promoted, and the
// scavenger's copying of them was the largest garbage-collection cost of the pass on NFS
// captures; and a reply cost about five random memory accesses (key, value, ring entry, the
// evicted key and value). Here an entry is a row of plain numbers in typed arrays (nothing for
// the collector), and a hash cell holds the key together with the row index, so a lookup,
// insertion or removal touches one cache line of the hash.
//
// Rows form a ring in the order they were added; a row whose key was deleted or added again
// since is dead (its flags word 0) and skipped. A full ring is rebuilt with the live rows only
// (twice as large when they fill more than half of it). The caller bounds the number of entries (shift()
// before add()), and so the ring's size.

/** Hash cell: pair + 1 (0 = free), XID as int32, row index, the key's hash (home(); kept so that
 *  a removal's scan of the following cells and a growth need not hash the keys again). */
const CELL = 4;
const FIRST_ROWS = 1024;

// A row is one 64-byte cache line: 16 32-bit words (an Int32Array, with a Float64Array over the
// same buffer for the two doubles). add() writes one line of the ring and shift() reads one,
// where a column per field (seven typed arrays before) wrote seven partly used lines per reply.
// Unsigned fields (program, procedure and frame numbers are u32) read back with >>> 0; the others
// fit an int32 (body sizes are at most MAX_RECORD_BYTES, nsec < 1e9); epoch seconds and the body
// number are doubles (not bounded by 2^31).
const W = 16;
const W_PAIR = 0;
const W_XID = 1;
const W_FLAGS = 2;
const W_PROGRAM = 3;
const W_PROCEDURE = 4;
const W_FRAME = 5;
const W_NSEC = 6;
const W_REPLY_FRAME = 7;
const W_STREAM = 8;
const W_BODY_AT = 9;
const W_BODY_STORED = 10;
const W_BODY_LEN = 11;
// doubles, as Float64Array indices within the row (words 12-13 and 14-15)
const D = W / 2;
const D_SEC = 6;
const D_BODY_SEQ = 7;
// W_FLAGS bits
const ALIVE = 1;
const UDP = 2;
const COMPLETE = 4;

/** What is remembered of an answered call (the fields compareBodies and reply() read). */
export interface RecentCall {
  program: number;
  procedure: number;
  frame: number;
  sec: number;
  nsec: number;
  replyFrame: number;
  transport: 'tcp' | 'udp';
  stream: number;
  bodyAt: number;
  bodyStored: number;
  bodySeq: number;
  bodyComplete: boolean;
  bodyLen: number;
}

export class RecentCalls {
  // hash over (pair, xid) -> row
  private hmask = 2 * FIRST_ROWS - 1;
  private cells = new Int32Array(CELL * 2 * FIRST_ROWS);
  private count = 0;
  // rows: ring of capacity rmask + 1; rows [tail, head) in add order (indices taken & rmask)
  private rmask = FIRST_ROWS - 1;
  private head = 0;
  private tail = 0;
  private rows = new Int32Array(FIRST_ROWS * W);
  private rowsD = new Float64Array(this.rows.buffer);

  get size(): number {
    return this.count;
  }

  /** Row of (pair, xid), -1 when absent. */
  find(pair: number, xid: number): number {
    const c = this.cell(pair, xid);
    return c >= 0 ? this.cells[CELL * c + 2] : -1;
  }

  /** Copies row `r` into `out` (a reused object). */
  load(r: number, out: RecentCall): RecentCall {
    const v = this.rows;
    const i = r * W;
    const d = this.rowsD;
    const o = r * D;
    out.program = v[i + W_PROGRAM] >>> 0;
    out.procedure = v[i + W_PROCEDURE] >>> 0;
    out.frame = v[i + W_FRAME] >>> 0;
    out.sec = d[o + D_SEC];
    out.nsec = v[i + W_NSEC];
    out.replyFrame = v[i + W_REPLY_FRAME] >>> 0;
    out.stream = v[i + W_STREAM];
    out.bodyAt = v[i + W_BODY_AT];
    out.bodyStored = v[i + W_BODY_STORED];
    out.bodySeq = d[o + D_BODY_SEQ];
    out.bodyLen = v[i + W_BODY_LEN];
    const f = v[i + W_FLAGS];
    out.transport = (f & UDP) !== 0 ? 'udp' : 'tcp';
    out.bodyComplete = (f & COMPLETE) !== 0;
    return out;
  }

  program(r: number): number {
    return this.rows[r * W + W_PROGRAM] >>> 0;
  }

  procedure(r: number): number {
    return this.rows[r * W + W_PROCEDURE] >>> 0;
  }

  /** Remembers `c` under (pair, xid), replacing (and making newest) an entry with that key. */
  add(pair: number, xid: number, c: RecentCall): void {
    if (this.head - this.tail > this.rmask) this.rebuild();
    const h = home(pair, xid | 0);
    let cell = this.cellFrom(h, pair, xid);
    if (cell >= 0) {
      this.rows[this.cells[CELL * cell + 2] * W + W_FLAGS] = 0; // the old row is dead
    } else {
      if ((this.count + 1) * 2 > this.hmask + 1) {
        this.growHash();
        cell = this.cellFrom(h, pair, xid);
      }
      cell = -1 - cell;
      this.cells[CELL * cell] = pair + 1;
      this.cells[CELL * cell + 1] = xid | 0;
      this.cells[CELL * cell + 3] = h;
      this.count++;
    }
    const r = this.head & this.rmask;
    this.head++;
    this.cells[CELL * cell + 2] = r;
    const v = this.rows;
    const i = r * W;
    const d = this.rowsD;
    const o = r * D;
    v[i + W_PAIR] = pair;
    v[i + W_XID] = xid | 0;
    v[i + W_FLAGS] = ALIVE | (c.transport === 'udp' ? UDP : 0) | (c.bodyComplete ? COMPLETE : 0);
    v[i + W_PROGRAM] = c.program;
    v[i + W_PROCEDURE] = c.procedure;
    v[i + W_FRAME] = c.frame;
    v[i + W_NSEC] = c.nsec;
    v[i + W_REPLY_FRAME] = c.replyFrame;
    v[i + W_STREAM] = c.stream;
    v[i + W_BODY_AT] = c.bodyAt;
    v[i + W_BODY_STORED] = c.bodyStored;
    v[i + W_BODY_LEN] = c.bodyLen;
    d[o + D_SEC] = c.sec;
    d[o + D_BODY_SEQ] = c.bodySeq;
  }

  delete(pair: number, xid: number): boolean {
    const cell = this.cell(pair, xid);
    if (cell < 0) return false;
    this.rows[this.cells[CELL * cell + 2] * W + W_FLAGS] = 0;
    this.removeCell(cell);
    return true;
  }

  /** Forgets the oldest entry; false when there is none. */
  shift(): boolean {
    while (this.tail < this.head) {
      const i = (this.tail & this.rmask) * W;
      this.tail++;
      const v = this.rows;
      if (v[i + W_FLAGS] === 0) continue;
      v[i + W_FLAGS] = 0;
      this.removeCell(this.cell(v[i + W_PAIR], v[i + W_XID]));
      return true;
    }
    return false;
  }

  private cell(pair: number, xid: number): number {
    return this.cellFrom(home(pair, xid | 0), pair, xid);
  }

  /** cell(), the key's hash `h` given */
  private cellFrom(h: number, pair: number, xid: number): number {
    const cells = this.cells;
    const mask = this.hmask;
    const p1 = pair + 1;
    const x = xid | 0;
    let i = h & mask;
    for (;;) {
      const k = cells[CELL * i];
      if (k === 0) return -1 - i;
      if (k === p1 && cells[CELL * i + 1] === x) return i;
      i = (i + 1) & mask;
    }
  }

  /** Backward-shift deletion (no tombstones), as in calltable.ts. */
  private removeCell(i: number): void {
    const mask = this.hmask;
    const cells = this.cells;
    let hole = i;
    let j = (i + 1) & mask;
    while (cells[CELL * j] !== 0) {
      const h = cells[CELL * j + 3] & mask;
      if (((j - h) & mask) >= ((j - hole) & mask)) {
        cells[CELL * hole] = cells[CELL * j];
        cells[CELL * hole + 1] = cells[CELL * j + 1];
        cells[CELL * hole + 2] = cells[CELL * j + 2];
        cells[CELL * hole + 3] = cells[CELL * j + 3];
        hole = j;
      }
      j = (j + 1) & mask;
    }
    cells[CELL * hole] = 0;
    this.count--;
  }

  private growHash(): void {
    const old = this.cells;
    const oldSlots = this.hmask + 1;
    this.hmask = 2 * oldSlots - 1;
    const cells = (this.cells = new Int32Array(CELL * 2 * oldSlots));
    const mask = this.hmask;
    for (let k = 0; k < oldSlots; k++) {
      if (old[CELL * k] === 0) continue;
      // keys are distinct: the first free cell from the key's home is its place
      let i = old[CELL * k + 3] & mask;
      while (cells[CELL * i] !== 0) i = (i + 1) & mask;
      cells[CELL * i] = old[CELL * k];
      cells[CELL * i + 1] = old[CELL * k + 1];
      cells[CELL * i + 2] = old[CELL * k + 2];
      cells[CELL * i + 3] = old[CELL * k + 3];
    }
  }

  /** The ring is full: copy the live rows, in order, to the front of a ring, and point the hash at
   *  their new indices. */
  private rebuild(): void {
    // the same size when at least half of it comes free, else twice as large; live rows are at
    // most `max`, so the ring stays below 4 * max rows
    const rows = this.count * 2 > this.rmask + 1 ? 2 * (this.rmask + 1) : this.rmask + 1;
    const to = new Int32Array(rows * W);
    const from = this.rows;
    let w = 0;
    for (let s = this.tail; s < this.head; s++) {
      const i = (s & this.rmask) * W;
      if (from[i + W_FLAGS] === 0) continue;
      // the row's 16 words as they are (the doubles' bits included)
      const j = w * W;
      for (let k = 0; k < W; k++) to[j + k] = from[i + k];
      // a row keeping its index (all of them while the ring only grows: no dead rows, tail 0)
      // needs no new hash cell
      if (i !== j) this.cells[CELL * this.cell(to[j + W_PAIR], to[j + W_XID]) + 2] = w;
      w++;
    }
    this.rows = to;
    this.rowsD = new Float64Array(to.buffer);
    this.rmask = rows - 1;
    this.tail = 0;
    this.head = w;
  }
}

/** log2 of the XIDs per group of neighbouring cells (home) */
const GROUP_BITS = 2;
const GROUP_LOW = (1 << GROUP_BITS) - 1;

/**
 * Hash of a key. Clients number their calls in sequence (Linux: one counter per transport), so
 * the XIDs of a pair arrive as runs of consecutive numbers, and the table's three probes per
 * exchange (find at the call, shift and add at the reply) go to the newest and the oldest XIDs of
 * each run. Hashing each XID alone (as calltable.ts does) scattered them over the whole hash (2 to
 * 4 MiB at MAX_RECENT_CALLS entries): a cache miss per probe, about 50 ms of the NFS bench. Here
 * 4 consecutive XIDs of a pair (the same xid >>> GROUP_BITS) share a scattered home group of 4
 * neighbouring cells (one 64-byte cache line), placed in it by their low bits: the probes of one
 * client's successive calls touch the line the previous call brought in. Unrelated keys (random
 * XIDs) still spread over the whole table: the groups are hashed as keys were. Groups of 8 made
 * longer clusters (at half load, 4 interleaved clients: mean run of occupied cells 20, longest
 * 344, against 10 and 180 for groups of 4), which every removal scans to the end. The hash
 * decides only where a key sits, never an order anything is read in.
 */
function home(pair: number, xid: number): number {
  const h = Math.imul((xid >>> GROUP_BITS) ^ Math.imul(pair, 0x9e3779b1), 0x85ebca6b);
  return ((h ^ (h >>> 15)) << GROUP_BITS) | (xid & GROUP_LOW);
}
