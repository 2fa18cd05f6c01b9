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
/** The queue of retained entries is compacted once this many evicted ones sit at its front. */
const QUEUE_SLACK = 4096;

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
  // queue of retained bodies, oldest first: entry i (from qHead) is body number firstLive + i - qHead
  private qAt: number[] = [];
  private qLen: number[] = [];
  private qHead = 0;
  private total = 0; // bytes of live bodies
  private head = 0; // next write position
  private tail = 0; // first live byte
  private wrapped = false; // live bytes are [tail, wrapMark) then [0, head)
  private wrapMark = 0;

  /** Number of bodies dropped for the budget since the last call (the caller counts them). */
  evicted = 0;

  /** Is body number `seq` still held? */
  live(seq: number): boolean {
    return seq >= this.firstLive && seq <= this.lastSeq;
  }

  /** Copies b[from, from+n) (n <= MAX_RETAINED_BODY), dropping the oldest bodies first; returns
   *  its position in `bytes` (its sequence number is then `lastSeq`). */
  retain(b: Uint8Array, from: number, n: number): number {
    while (this.total + n > MAX_RETAINED_TOTAL && this.qHead < this.qAt.length) this.evictOldest();
    if (this.bytes.length === 0) this.bytes = new Uint8Array(CAPACITY);
    let at = this.place(n);
    while (at < 0) {
      // unreachable by the capacity argument above; safe anyway
      if (this.qHead < this.qAt.length) this.evictOldest();
      else this.resetRing();
      at = this.place(n);
    }
    if (n <= SMALL_COPY) {
      const bytes = this.bytes;
      for (let i = 0; i < n; i++) bytes[at + i] = b[from + i];
    } else {
      this.bytes.set(b.subarray(from, from + n), at);
    }
    this.qAt.push(at);
    this.qLen.push(n);
    this.lastSeq++;
    if (this.qHead > QUEUE_SLACK && this.qHead * 2 > this.qAt.length) {
      this.qAt = this.qAt.slice(this.qHead);
      this.qLen = this.qLen.slice(this.qHead);
      this.qHead = 0;
    }
    return at;
  }

  /** Position for n more bytes, -1 when there is no contiguous room. */
  private place(n: number): number {
    if (this.total === 0) this.resetRing();
    const cap = this.bytes.length;
    if (!this.wrapped) {
      if (this.head + n <= cap) {
        const at = this.head;
        this.head += n;
        this.total += n;
        return at;
      }
      if (n <= this.tail) {
        this.wrapped = true;
        this.wrapMark = this.head;
        this.head = n;
        this.total += n;
        return 0;
      }
      return -1;
    }
    if (this.head + n <= this.tail) {
      const at = this.head;
      this.head += n;
      this.total += n;
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
    const at = this.qAt[this.qHead];
    const n = this.qLen[this.qHead];
    this.qHead++;
    this.firstLive++;
    this.evicted++;
    this.total -= n;
    if (n > 0) {
      this.tail = at + n;
      if (this.wrapped && this.tail === this.wrapMark) {
        this.tail = 0;
        this.wrapped = false;
      }
    }
  }
}
