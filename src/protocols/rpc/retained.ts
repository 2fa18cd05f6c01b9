// Retained copies of RPC call arguments, kept so that a retransmitted call can be compared with
// its first transmission (incident C: same XID, different WRITE data). The copies live in one
// byte ring instead of one Uint8Array each: a WRITE-heavy capture retains thousands of 4-64 KiB
// bodies per second, and allocating (then collecting) an ArrayBuffer for each was a large part of
// the protocol pass's cost and of its peak memory.
//
// Bound and eviction: the bodies held add up to at most MAX_RETAINED_TOTAL bytes; before a body is
// added, the oldest bodies are dropped (first in, first out) until it fits under that sum. Each
// body is stored contiguously; the ring wraps to its start when the space left at its end is too
// small, so it needs MAX_RETAINED_TOTAL plus two of the largest bodies of capacity to always find
// room (see place()). The ring is allocated whole on the first call; the system hands out its
// pages zeroed on first touch, so a capture with few calls pays only for the bytes it retains.
//
// Places instead of copies (places.ts): when the capture is a regular file and every byte of a
// body was delivered straight from the reader's buffer, the store keeps where the body lies in the
// file (runs of position and length) and reads it back when a retransmission is compared. Such a
// body counts its bytes against MAX_RETAINED_TOTAL exactly as a copy does, so which bodies are
// live is the same whichever way each was kept; only the bytes of copied bodies take ring space.
// Runs sit in a FIFO of their own (MAX_PLACE_RUNS); a body whose runs do not fit is copied.

import type { PlaceReader, Places } from '../places.js';

/** Arguments kept per call: a 1 MiB NFS WRITE plus its header. */
export const MAX_RETAINED_BODY = (1 << 20) + 4096;
/** All retained arguments together. */
export const MAX_RETAINED_TOTAL = 64 << 20;
/** Capacity at which a body always finds contiguous room once the total is under budget:
 *  live bytes <= MAX_RETAINED_TOTAL - n, so the free space is >= 2 * MAX_RETAINED_BODY + n, and
 *  of its two pieces (before and after the live region) one holds n. */
const CAPACITY = MAX_RETAINED_TOTAL + 2 * MAX_RETAINED_BODY;
/** Bodies up to this size are copied byte by byte: cheaper than creating a subarray view (most
 *  calls but WRITE carry a hundred bytes or so of arguments). */
const SMALL_COPY = 256;
/** Entries of the queue of retained bodies at first (it doubles when full; it holds the live
 *  bodies, so MAX_RETAINED_TOTAL bounds it but for bodies of 0 bytes, as before). */
const FIRST_QUEUE = 1024;
/** Numbers per queue entry: ring position (or AT_PLACES / AT_COUNTED), bytes counted, first run
 *  and end of runs (places). */
const Q_AT = 0;
const Q_LEN = 1;
const Q_RUN = 2;
const Q_RUN_END = 3;
const Q_FIELDS = 4;
/** Runs of file positions held for the bodies kept as places (16 bytes each: 16 MiB): the
 *  MAX_RETAINED_TOTAL bytes of bodies in runs of 64 bytes on average. A full-sized segment
 *  (1,448 bytes) is one run, so bulk NFS traffic needs about 46,000; past the bound a body is
 *  copied instead (the same result, the old cost). */
export const MAX_PLACE_RUNS = 1 << 20;
/** Runs held at first (grown by doubling up to MAX_PLACE_RUNS). */
const FIRST_PLACE_RUNS = 1024;
/** bodyAt of a body kept as places (a ring position is >= 0, -1 is "not retained") */
export const AT_PLACES = -2;
/** bodyAt of a body counted against the budget but not kept (retainCounted) */
export const AT_COUNTED = -3;

/**
 * Each retained body gets a sequence number (0, 1, 2, ... in retain order); since bodies are
 * dropped oldest first, a body is live exactly while its number is at or past `firstLive`. The
 * store keeps no reference to whoever retained a body: the caller keeps (position, size, number)
 * and asks live(). (It used to write -1 into the retaining call record on eviction, which kept
 * every record of the last 64 MiB of calls reachable from here: they all survived into the old
 * generation, a large part of the scavenger's work on NFS captures.)
 */
export class BodyStore {
  /** the ring; a live body is bytes[at, at + n) as returned by retain() */
  bytes = new Uint8Array(0);
  /** sequence number of the body retain() placed last */
  lastSeq = -1;
  /** bodies with a lower sequence number were dropped */
  private firstLive = 0;
  // queue of the live bodies [firstLive, lastSeq], a ring of Q_FIELDS numbers per entry: body
  // number s at entry s % qCap (a typed ring: pushing to and slicing four arrays was a visible
  // cost with 150,000 calls)
  private q = new Float64Array(FIRST_QUEUE * Q_FIELDS);
  private qCap = FIRST_QUEUE;
  private total = 0; // bytes of live bodies (copies and places)
  private ringBytes = 0; // bytes of live copies in the ring
  // FIFO of runs (file position, length) of the bodies kept as places: runs [runTail, runHead),
  // run i at index i & runMask
  private runPos = new Float64Array(0);
  private runLen = new Float64Array(0);
  private runMask = -1;
  private runHead = 0;
  private runTail = 0;
  /** reads bodies kept as places back (null: every body is copied) */
  private readonly source: PlaceReader | null;
  /** bytes read back for a comparison (load()), and by readPlaces() */
  private scratch = new Uint8Array(0);
  private scratch2 = new Uint8Array(0);
  /** the array load() found a body in: `bytes` or the bytes read back */
  view: Uint8Array = this.bytes;
  /** bodies kept as places, and those of them that could not be read back when compared */
  placed = 0;
  unreadable = 0;
  private head = 0; // next write position
  private tail = 0; // first live byte
  private wrapped = false; // live bytes are [tail, wrapMark) then [0, head)
  private wrapMark = 0;

  /** Number of bodies dropped for the budget since the last call (the caller counts them). */
  evicted = 0;

  /** `source`: where bodies kept as places are read back from (null: copies only) */
  constructor(source: PlaceReader | null = null) {
    this.source = source;
  }

  /** Is body number `seq` still held? */
  live(seq: number): boolean {
    return seq >= this.firstLive && seq <= this.lastSeq;
  }

  /** Copies b[from, from+n) (n <= MAX_RETAINED_BODY), dropping the oldest bodies first; returns
   *  its position in `bytes` (its sequence number is then `lastSeq`). */
  retain(b: Uint8Array, from: number, n: number): number {
    this.makeRoom(n);
    return this.copy(b, from, n);
  }

  /**
   * Keeps the body whose n bytes are bytes [from, from + n) of the PDU `p` describes (p.ok, and
   * p covers them) as places when it can (a source that opens, room for its runs), else copies
   * b[bFrom, bFrom + n). Returns AT_PLACES or the ring position; the budget and eviction are
   * those of retain().
   */
  retainPlaced(p: Places, from: number, n: number, b: Uint8Array, bFrom: number, have: number): number {
    this.makeRoom(n);
    if (n > 0 && this.canPlace() && this.keepRuns(p, from, n)) {
      this.push(AT_PLACES, n);
      this.placed++;
      return AT_PLACES;
    }
    if (have >= n) return this.copy(b, bFrom, n);
    // only the first `have` bytes are in b (the rest was left out: they have places): read the
    // body back to copy it
    const got = this.readPlaces(p, from, n);
    if (got === null) {
      this.unreadable++;
      this.push(AT_COUNTED, n);
      return AT_COUNTED;
    }
    return this.copy(got, 0, n);
  }

  /** Can bodies be kept as places (a source that opens)? */
  canPlace(): boolean {
    return this.source !== null && this.source.open();
  }

  /**
   * Bytes [from, from + n) of the PDU `p` describes, read back from the file into a buffer of the
   * store's (valid until the next call; not the one load() fills), null when p does not cover
   * them or the file no longer holds them.
   */
  readPlaces(p: Places, from: number, n: number): Uint8Array | null {
    const src = this.source;
    if (src === null || !p.ok || p.bytes < from + n) return null;
    if (this.scratch2.length < n) this.scratch2 = new Uint8Array(Math.max(n, 2 * this.scratch2.length));
    const out = this.scratch2;
    let skip = from;
    let got = 0;
    for (let k = 0; k < p.runs && got < n; k++) {
      let len = p.len[k];
      if (skip >= len) {
        skip -= len;
        continue;
      }
      len = Math.min(len - skip, n - got);
      if (src.read(p.pos[k] + skip, out, got, len) !== len) return null;
      skip = 0;
      got += len;
    }
    return got === n ? out : null;
  }

  /**
   * Counts a body of n bytes against the budget, as retain() would, without keeping its bytes:
   * for a body no comparison can use (the caller knows it is incomplete, and a comparison with an
   * incomplete body says 'unknown' whatever the bytes). Which bodies are live stays as if it had
   * been copied. Returns AT_COUNTED.
   */
  retainCounted(n: number): number {
    this.makeRoom(n);
    this.push(AT_COUNTED, n);
    return AT_COUNTED;
  }

  /** Drops the oldest bodies until n more bytes fit the budget. */
  private makeRoom(n: number): void {
    while (this.total + n > MAX_RETAINED_TOTAL && this.firstLive <= this.lastSeq) this.evictOldest();
  }

  /** Appends the runs of bytes [from, from + n) of `p` to the run FIFO (push() then records
   *  them for the body); false, with nothing added, when p does not cover them or they do not fit
   *  MAX_PLACE_RUNS. */
  private keepRuns(p: Places, from: number, n: number): boolean {
    const start = this.runHead;
    let skip = from;
    let left = n;
    for (let k = 0; k < p.runs && left > 0; k++) {
      let pos = p.pos[k];
      let len = p.len[k];
      if (skip >= len) {
        skip -= len;
        continue;
      }
      pos += skip;
      len -= skip;
      skip = 0;
      if (len > left) len = left;
      const used = this.runHead - this.runTail;
      if (used >= MAX_PLACE_RUNS) {
        this.runHead = start;
        return false;
      }
      if (used > this.runMask) this.growRuns();
      const r = this.runHead & this.runMask;
      this.runPos[r] = pos;
      this.runLen[r] = len;
      this.runHead++;
      left -= len;
    }
    if (left > 0) {
      this.runHead = start;
      return false;
    }
    this.newRuns = start;
    return true;
  }

  /** first run of the body keepRuns() added last */
  private newRuns = 0;

  /** Twice the runs (FIRST_PLACE_RUNS at first), at most MAX_PLACE_RUNS. */
  private growRuns(): void {
    const size = Math.min(MAX_PLACE_RUNS, Math.max(FIRST_PLACE_RUNS, 2 * (this.runMask + 1)));
    const pos = new Float64Array(size);
    const len = new Float64Array(size);
    const mask = size - 1;
    // run indices stay absolute: each live run moves to its index under the new mask
    for (let r = this.runTail; r < this.runHead; r++) {
      pos[r & mask] = this.runPos[r & this.runMask];
      len[r & mask] = this.runLen[r & this.runMask];
    }
    this.runPos = pos;
    this.runLen = len;
    this.runMask = mask;
  }

  /** Copies b[from, from + n) into the ring (room for the budget made). */
  private copy(b: Uint8Array, from: number, n: number): number {
    if (this.bytes.length === 0) this.bytes = new Uint8Array(CAPACITY);
    let at = this.place(n);
    while (at < 0) {
      // unreachable by the capacity argument above; safe anyway
      if (this.firstLive <= this.lastSeq) this.evictOldest();
      else this.resetRing();
      at = this.place(n);
    }
    if (n <= SMALL_COPY) {
      const bytes = this.bytes;
      for (let i = 0; i < n; i++) bytes[at + i] = b[from + i];
    } else {
      this.bytes.set(b.subarray(from, from + n), at);
    }
    this.ringBytes += n;
    this.push(at, n);
    return at;
  }

  private push(at: number, n: number): void {
    if (this.lastSeq + 1 - this.firstLive >= this.qCap) this.growQueue();
    const seq = this.lastSeq + 1;
    const q = this.q;
    const i = (seq % this.qCap) * Q_FIELDS;
    q[i + Q_AT] = at;
    q[i + Q_LEN] = n;
    q[i + Q_RUN] = at === AT_PLACES ? this.newRuns : 0;
    q[i + Q_RUN_END] = at === AT_PLACES ? this.runHead : 0;
    this.total += n;
    this.lastSeq = seq;
  }

  private growQueue(): void {
    const cap = 2 * this.qCap;
    const q = new Float64Array(cap * Q_FIELDS);
    for (let s = this.firstLive; s <= this.lastSeq; s++) {
      const from = (s % this.qCap) * Q_FIELDS;
      q.set(this.q.subarray(from, from + Q_FIELDS), (s % cap) * Q_FIELDS);
    }
    this.q = q;
    this.qCap = cap;
  }

  /**
   * Where the bytes of live body `seq` (kept at `at` by retain or retainPlaced, `n` bytes) are:
   * their offset in `view` (the ring, or the bytes read back from the file for a body kept as
   * places), -1 when a body kept as places could not be read back whole (counted: unreadable).
   */
  load(seq: number, at: number, n: number): number {
    if (at !== AT_PLACES) {
      this.view = this.bytes;
      return at;
    }
    let r = this.q[(seq % this.qCap) * Q_FIELDS + Q_RUN];
    if (this.scratch.length < n) this.scratch = new Uint8Array(Math.max(n, 2 * this.scratch.length));
    const out = this.scratch;
    const src = this.source!;
    let got = 0;
    while (got < n) {
      const k = r & this.runMask;
      const len = Math.min(this.runLen[k], n - got);
      if (src.read(this.runPos[k], out, got, len) !== len) {
        this.unreadable++;
        return -1;
      }
      got += len;
      r++;
    }
    this.view = out;
    return 0;
  }

  /** Position for n more bytes, -1 when there is no contiguous room. */
  private place(n: number): number {
    if (this.ringBytes === 0) this.resetRing();
    const cap = this.bytes.length;
    if (!this.wrapped) {
      if (this.head + n <= cap) {
        const at = this.head;
        this.head += n;
        return at;
      }
      if (n <= this.tail) {
        this.wrapped = true;
        this.wrapMark = this.head;
        this.head = n;
        return 0;
      }
      return -1;
    }
    if (this.head + n <= this.tail) {
      const at = this.head;
      this.head += n;
      return at;
    }
    return -1;
  }

  private resetRing(): void {
    this.head = 0;
    this.tail = 0;
    this.wrapped = false;
  }

  private evictOldest(): void {
    const i = (this.firstLive % this.qCap) * Q_FIELDS;
    const at = this.q[i + Q_AT];
    const n = this.q[i + Q_LEN];
    const runEnd = this.q[i + Q_RUN_END];
    this.firstLive++;
    this.evicted++;
    this.total -= n;
    if (at === AT_PLACES) {
      // its runs are the oldest in the FIFO (bodies keep their runs in queue order)
      this.runTail = runEnd;
      return;
    }
    if (at === AT_COUNTED) return;
    this.ringBytes -= n;
    if (n > 0) {
      this.tail = at + n;
      if (this.wrapped && this.tail === this.wrapMark) {
        this.tail = 0;
        this.wrapped = false;
      }
    }
  }
}
