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

/** Slots of the XID maxima (RecentCalls.top), chosen by a hash of (pair, XID region). */
const TOP_BITS = 12;
/** log2 of the XIDs of a region: a client's counter stays in one region for a million calls,
 *  and counters started apart (one per transport, per program) fall in different ones. */
const REGION_BITS = 20;
const REGION_LOW = (1 << REGION_BITS) - 1;
/** XIDs below a slot's top whose adding is remembered bit by bit (RecentCalls.seenBits) */
const SEEN_BITS = 32;

export class RecentCalls {
  // hash over (pair, xid) -> row, for the rows added before `hashed` (the others are not in it)
  private hmask = 2 * FIRST_ROWS - 1;
  private cells = new Int32Array(CELL * 2 * FIRST_ROWS);
  /** entries in the hash */
  private hcount = 0;
  /** live rows (entries) */
  private count = 0;
  /** rows [tail, hashed) are in the hash, rows [hashed, head) not yet (all live): see top */
  private hashed = 0;
  /**
   * Per slot (topSlot: pair and XID region, xid >>> REGION_BITS): the largest low part of an XID
   * (xid & REGION_LOW) ever added with a key of the slot, -1 before any; and `seen`, bit d set
   * when the low part top - d (d < 32) was added. A key whose low part is above top, or within
   * the 32 below it with its bit clear, was never added: it is absent (seen()). Clients number
   * calls in sequence (Linux: a counter per transport; a portmap client's counter starts
   * elsewhere), so a new call's XID (find at the call) and its answer (add at the reply, replies
   * a few places out of order) nearly always test absent: the row is then only appended to the
   * ring, and the hash is brought up to date (catchUp, each row hashed at most once) only when a
   * lookup cannot be answered so (a retransmission of an answered call, a duplicate reply, XIDs
   * far out of order). A slot's top only grows, its bits only shift out (then the test says
   * "maybe"), and both cover every key that maps to the slot: the test never says absent for a
   * key that was added, present or not.
   */
  private readonly top = new Int32Array(1 << TOP_BITS).fill(-1);
  private readonly seenBits = new Int32Array(1 << TOP_BITS);
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
    if (!this.seen(pair, xid)) return -1;
    this.catchUp();
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
    const r = this.head & this.rmask;
    if (!this.seen(pair, xid)) {
      // absent: appended only (hashed by a later catchUp, if one comes)
      this.markSeen(pair, xid);
      this.count++;
    } else {
      this.catchUp();
      const h = home(pair, xid | 0);
      let cell = this.cellFrom(h, pair, xid);
      if (cell >= 0) {
        this.rows[this.cells[CELL * cell + 2] * W + W_FLAGS] = 0; // the old row is dead
      } else {
        cell = this.insertCell(h, pair, xid);
        this.count++;
      }
      this.cells[CELL * cell + 2] = r;
      this.hashed = this.head + 1;
      this.markSeen(pair, xid);
    }
    this.head++;
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
    if (!this.seen(pair, xid)) return false;
    this.catchUp();
    const cell = this.cell(pair, xid);
    if (cell < 0) return false;
    this.rows[this.cells[CELL * cell + 2] * W + W_FLAGS] = 0;
    this.removeCell(cell);
    this.count--;
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
      if (this.tail <= this.hashed) this.removeCell(this.cell(v[i + W_PAIR], v[i + W_XID]));
      this.count--;
      return true;
    }
    return false;
  }

  /** False when (pair, xid) was never added (so is absent); true when it may have been. */
  private seen(pair: number, xid: number): boolean {
    const slot = topSlot(pair, xid);
    const d = this.top[slot] - (xid & REGION_LOW);
    return d >= 0 && (d >= SEEN_BITS || ((this.seenBits[slot] >>> d) & 1) !== 0);
  }

  /** Notes that (pair, xid) was added. */
  private markSeen(pair: number, xid: number): void {
    const slot = topSlot(pair, xid);
    const u = xid & REGION_LOW;
    const t = this.top[slot];
    if (u > t) {
      const up = u - t; // (t -1 before any: the bits are all clear then)
      this.seenBits[slot] = up >= SEEN_BITS ? 1 : (this.seenBits[slot] << up) | 1;
      this.top[slot] = u;
    } else if (t - u < SEEN_BITS) {
      this.seenBits[slot] |= 1 << (t - u);
    }
  }

  /** Puts the rows not yet hashed in the hash (their keys are distinct and not in it: a key
   *  added again, or deleted, was hashed first). */
  private catchUp(): void {
    let s = this.hashed > this.tail ? this.hashed : this.tail;
    const v = this.rows;
    for (; s < this.head; s++) {
      const r = s & this.rmask;
      const i = r * W;
      if (v[i + W_FLAGS] === 0) continue;
      const pair = v[i + W_PAIR];
      const xid = v[i + W_XID];
      const h = home(pair, xid);
      const cell = this.insertCell(h, pair, xid);
      this.cells[CELL * cell + 2] = r;
    }
    this.hashed = this.head;
  }

  /** Makes the cell of a key not in the hash (its hash `h`), growing the hash when needed; the
   *  caller sets its row. */
  private insertCell(h: number, pair: number, xid: number): number {
    if ((this.hcount + 1) * 2 > this.hmask + 1) this.growHash();
    const cell = -1 - this.cellFrom(h, pair, xid);
    this.cells[CELL * cell] = pair + 1;
    this.cells[CELL * cell + 1] = xid | 0;
    this.cells[CELL * cell + 3] = h;
    this.hcount++;
    return cell;
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
    this.hcount--;
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
    let hashed = 0;
    for (let s = this.tail; s < this.head; s++) {
      const i = (s & this.rmask) * W;
      if (from[i + W_FLAGS] === 0) continue;
      // the row's 16 words as they are (the doubles' bits included)
      const j = w * W;
      for (let k = 0; k < W; k++) to[j + k] = from[i + k];
      if (s < this.hashed) {
        // a row keeping its index (all of them while the ring only grows: no dead rows, tail 0)
        // needs no new hash cell
        if (i !== j) this.cells[CELL * this.cell(to[j + W_PAIR], to[j + W_XID]) + 2] = w;
        hashed = w + 1;
      }
      w++;
    }
    this.hashed = hashed;
    this.rows = to;
    this.rowsD = new Float64Array(to.buffer);
    this.rmask = rows - 1;
    this.tail = 0;
    this.head = w;
  }
}

/** Slot of RecentCalls.top for a key. */
function topSlot(pair: number, xid: number): number {
  return (Math.imul(pair, 0x9e3779b1) ^ Math.imul(xid >>> REGION_BITS, 0x85ebca6b)) >>> (32 - TOP_BITS);
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
