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
// since is dead (`alive` 0) and skipped. A full ring is rebuilt with the live rows only (twice as
// large when they fill more than half of it). The caller bounds the number of entries (shift()
// before add()), and so the ring's size.

/** Hash cell: pair + 1 (0 = free), XID as int32, row index, unused (four words: 16-byte cells). */
const CELL = 4;
const FIRST_ROWS = 1024;

// numeric fields of a row: INTS 32-bit integers (unsigned ones read back with >>> 0: program,
// procedure and frame numbers are u32; the others fit an int32: body sizes are at most
// MAX_RECORD_BYTES, nsec < 1e9) and NUMS doubles (epoch seconds and the body number, which are
// not bounded by 2^31). 52 bytes a row instead of 88: the ring of rows is written once per reply.
const I_PROGRAM = 0;
const I_PROCEDURE = 1;
const I_FRAME = 2;
const I_NSEC = 3;
const I_REPLY_FRAME = 4;
const I_STREAM = 5;
const I_BODY_AT = 6;
const I_BODY_STORED = 7;
const I_BODY_LEN = 8;
const INTS = 9;
const F_SEC = 0;
const F_BODY_SEQ = 1;
const NUMS = 2;

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
  private alive = new Uint8Array(FIRST_ROWS);
  private pair = new Int32Array(FIRST_ROWS);
  private xid = new Int32Array(FIRST_ROWS);
  private num = new Float64Array(FIRST_ROWS * NUMS);
  private ints = new Int32Array(FIRST_ROWS * INTS);
  private udp = new Uint8Array(FIRST_ROWS);
  private complete = new Uint8Array(FIRST_ROWS);

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
    const o = r * NUMS;
    const n = this.num;
    const i = r * INTS;
    const v = this.ints;
    out.program = v[i + I_PROGRAM] >>> 0;
    out.procedure = v[i + I_PROCEDURE] >>> 0;
    out.frame = v[i + I_FRAME] >>> 0;
    out.sec = n[o + F_SEC];
    out.nsec = v[i + I_NSEC];
    out.replyFrame = v[i + I_REPLY_FRAME] >>> 0;
    out.stream = v[i + I_STREAM];
    out.bodyAt = v[i + I_BODY_AT];
    out.bodyStored = v[i + I_BODY_STORED];
    out.bodySeq = n[o + F_BODY_SEQ];
    out.bodyLen = v[i + I_BODY_LEN];
    out.transport = this.udp[r] === 1 ? 'udp' : 'tcp';
    out.bodyComplete = this.complete[r] === 1;
    return out;
  }

  program(r: number): number {
    return this.ints[r * INTS + I_PROGRAM] >>> 0;
  }

  procedure(r: number): number {
    return this.ints[r * INTS + I_PROCEDURE] >>> 0;
  }

  /** Remembers `c` under (pair, xid), replacing (and making newest) an entry with that key. */
  add(pair: number, xid: number, c: RecentCall): void {
    if (this.head - this.tail > this.rmask) this.rebuild();
    let cell = this.cell(pair, xid);
    if (cell >= 0) {
      this.alive[this.cells[CELL * cell + 2]] = 0;
    } else {
      if ((this.count + 1) * 2 > this.hmask + 1) {
        this.growHash();
        cell = this.cell(pair, xid);
      }
      cell = -1 - cell;
      this.cells[CELL * cell] = pair + 1;
      this.cells[CELL * cell + 1] = xid | 0;
      this.count++;
    }
    const r = this.head & this.rmask;
    this.head++;
    this.cells[CELL * cell + 2] = r;
    this.alive[r] = 1;
    this.pair[r] = pair;
    this.xid[r] = xid | 0;
    const o = r * NUMS;
    const n = this.num;
    const i = r * INTS;
    const v = this.ints;
    v[i + I_PROGRAM] = c.program;
    v[i + I_PROCEDURE] = c.procedure;
    v[i + I_FRAME] = c.frame;
    n[o + F_SEC] = c.sec;
    v[i + I_NSEC] = c.nsec;
    v[i + I_REPLY_FRAME] = c.replyFrame;
    v[i + I_STREAM] = c.stream;
    v[i + I_BODY_AT] = c.bodyAt;
    v[i + I_BODY_STORED] = c.bodyStored;
    n[o + F_BODY_SEQ] = c.bodySeq;
    v[i + I_BODY_LEN] = c.bodyLen;
    this.udp[r] = c.transport === 'udp' ? 1 : 0;
    this.complete[r] = c.bodyComplete ? 1 : 0;
  }

  delete(pair: number, xid: number): boolean {
    const cell = this.cell(pair, xid);
    if (cell < 0) return false;
    this.alive[this.cells[CELL * cell + 2]] = 0;
    this.removeCell(cell);
    return true;
  }

  /** Forgets the oldest entry; false when there is none. */
  shift(): boolean {
    while (this.tail < this.head) {
      const r = this.tail & this.rmask;
      this.tail++;
      if (this.alive[r] === 0) continue;
      this.alive[r] = 0;
      this.removeCell(this.cell(this.pair[r], this.xid[r]));
      return true;
    }
    return false;
  }

  private cell(pair: number, xid: number): number {
    const cells = this.cells;
    const mask = this.hmask;
    const p1 = pair + 1;
    const x = xid | 0;
    let i = home(pair, x) & mask;
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
      const h = home(cells[CELL * j] - 1, cells[CELL * j + 1]) & mask;
      if (((j - h) & mask) >= ((j - hole) & mask)) {
        cells[CELL * hole] = cells[CELL * j];
        cells[CELL * hole + 1] = cells[CELL * j + 1];
        cells[CELL * hole + 2] = cells[CELL * j + 2];
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
    this.cells = new Int32Array(CELL * 2 * oldSlots);
    for (let k = 0; k < oldSlots; k++) {
      if (old[CELL * k] === 0) continue;
      const i = -1 - this.cell(old[CELL * k] - 1, old[CELL * k + 1]);
      this.cells[CELL * i] = old[CELL * k];
      this.cells[CELL * i + 1] = old[CELL * k + 1];
      this.cells[CELL * i + 2] = old[CELL * k + 2];
    }
  }

  /** The ring is full: copy the live rows, in order, to the front of a ring, and point the hash at
   *  their new indices. */
  private rebuild(): void {
    // the same size when at least half of it comes free, else twice as large; live rows are at
    // most `max`, so the ring stays below 4 * max rows
    const rows = this.count * 2 > this.rmask + 1 ? 2 * (this.rmask + 1) : this.rmask + 1;
    const alive = new Uint8Array(rows);
    const pair = new Int32Array(rows);
    const xid = new Int32Array(rows);
    const num = new Float64Array(rows * NUMS);
    const ints = new Int32Array(rows * INTS);
    const udp = new Uint8Array(rows);
    const complete = new Uint8Array(rows);
    let w = 0;
    for (let s = this.tail; s < this.head; s++) {
      const r = s & this.rmask;
      if (this.alive[r] === 0) continue;
      alive[w] = 1;
      pair[w] = this.pair[r];
      xid[w] = this.xid[r];
      num[w * NUMS + F_SEC] = this.num[r * NUMS + F_SEC];
      num[w * NUMS + F_BODY_SEQ] = this.num[r * NUMS + F_BODY_SEQ];
      ints.set(this.ints.subarray(r * INTS, r * INTS + INTS), w * INTS);
      udp[w] = this.udp[r];
      complete[w] = this.complete[r];
      this.cells[CELL * this.cell(pair[w], xid[w]) + 2] = w;
      w++;
    }
    this.alive = alive;
    this.pair = pair;
    this.xid = xid;
    this.num = num;
    this.ints = ints;
    this.udp = udp;
    this.complete = complete;
    this.rmask = rows - 1;
    this.tail = 0;
    this.head = w;
  }
}

/** XIDs per group of neighbouring cells: log2 of GROUP. */
const GROUP_BITS = 3;
const GROUP_LOW = (1 << GROUP_BITS) - 1;

/**
 * Hash of a key. Clients number their calls in sequence (Linux: one counter per transport), so
 * the XIDs of a pair arrive as runs of consecutive numbers, and the table's three probes per
 * exchange (find at the call, shift and add at the reply) go to the newest and the oldest XIDs of
 * each run. Hashing each XID alone (as calltable.ts does) scattered them over the whole hash (2 to
 * 4 MiB at MAX_RECENT_CALLS entries): a cache miss per probe, about 50 ms of the NFS bench. Here
 * GROUP consecutive XIDs of a pair (the same xid >>> GROUP_BITS) share a scattered home group
 * of GROUP neighbouring cells (two 64-byte cache lines), placed in it by their low bits: the
 * probes of one client's successive calls touch lines the previous call brought in. Unrelated
 * keys (random XIDs) still spread over the whole table: the groups are hashed as keys were. The
 * hash decides only where a key sits, never an order anything is read in.
 */
function home(pair: number, xid: number): number {
  const h = Math.imul((xid >>> GROUP_BITS) ^ Math.imul(pair, 0x9e3779b1), 0x85ebca6b);
  return ((h ^ (h >>> 15)) << GROUP_BITS) | (xid & GROUP_LOW);
}
