// TCP payload retention for the retransmission comparison (tcp/retransmission-differs). Two ways,
// same results: when the capture is a regular, uncompressed file (its frames carry file
// positions, Frame.filePos), per connection direction an index of the recent segments whose
// first transmissions are read back from the file when a retransmission overlaps them
// (segment-index.ts: no payload copied); otherwise (standard input, gzip) a ring of copied
// payload (payload-ring.ts), each from a pool under a global bound. The analysis pass addresses a
// direction by its builder slot (2 * slot + dir, see builders.ts) and releases both directions
// when the connection ends; it names the capture before reading it (startCapture).
//
// Deferred indexes: most directions of a capture of short connections carry one or two payload
// segments and end without a retransmission, so an index object and its storage, claimed, filled
// and released per direction, cost more than the comparison they never make. A direction's first
// INLINE_SEGMENTS (4) in-stream payload segments (not labelled retransmissions) are therefore kept as
// numbers in per-direction columns (sequence start, length, file position, frame); the index is
// claimed only when a further payload segment or a retransmission comes, and the held segments
// are replayed into it first, with the same arguments, before the segment that claimed it. Held
// segments would only have been appended (SegmentIndex.take of a segment not to compare neither
// counts nor returns anything, and INLINE_SEGMENTS <= INDEX_INITIAL_ENTRIES, so it never grows
// the index and takes no budget), so the results are those of claiming at the first segment:
// the same comparisons, differences, frames and counts. The budget is kept the same way too: a
// direction reserves its INDEX_INITIAL_ENTRIES of MAX_INDEX_ENTRIES when the index would have
// been claimed (its first segment given to take), is refused and counted at the same point, and
// gives the reservation back at release when it never claimed. The ring path (no file positions)
// is not deferred: a ring's first segment may grow it and take budget, which deferral would move.

import { TCP_SYN, type Packet } from '../wire/packet.js';
import { L_KEEP_ALIVE, L_RETRANSMISSION, L_ZERO_WINDOW_PROBE } from '../tcp/labels.js';
import type { Frame } from '../capture/types.js';
import { RingPool, type PayloadDiff, type PayloadRing, type RetentionStats } from './payload-ring.js';
import { IndexPool, INDEX_INITIAL_ENTRIES, type SegmentIndex } from './segment-index.js';
import { CaptureFile } from './capture-file.js';

/** Ethernet's minimum frame without FCS: a short segment is padded to it, and a device that
 *  counts the padding into the IP length makes a pure ACK look like a few bytes of payload (the
 *  corpus has such frames, zeros or garbage). Payload that fits in the padding of a minimum-size
 *  frame (60 - 14 - 20 - 20 = 6 bytes) is not retained: it would "differ" from the real data
 *  later sent at the same sequence numbers. */
const MIN_ETHERNET_FRAME = 60;
const MAX_PADDING_PAYLOAD = 6;

/** Payload segments a direction holds as numbers before an index is claimed: a request or an
 *  answer of a short connection, in one to four segments (the corpus of short connections has
 *  directions of 1, 2, 3 and 4). At most INDEX_INITIAL_ENTRIES: replaying them then never grows
 *  the index, so the budget is taken when it would have been. */
export const INLINE_SEGMENTS = INDEX_INITIAL_ENTRIES;
/** Doubles per held segment: sequence start, length, file position of the payload, frame. */
const IW = 4;
/** Directions per chunk of held segments (128 KiB with INLINE_SEGMENTS = 4): chunks are made
 *  when a direction of theirs first holds a segment and never copied or freed, so the columns
 *  hold at most the peak of the directions at once (the builder slots, bounded by the tracker's
 *  connections) rounded up to a chunk. */
const HELD_CHUNK_BITS = 10;
const HELD_CHUNK = 1 << HELD_CHUNK_BITS;

/** Direction state (TcpRetention.state): nothing given to take yet (pure SYNs and padding aside). */
const ST_NONE = 0;
/** A ring or index was claimed (in rings/indexes), or refused by the budget. */
const ST_CLAIMED = 1;
/** ST_HELD + k: the index budget reserved, k segments held in `held`, no index yet. */
const ST_HELD = 2;

export class TcpRetention {
  private readonly pool = new RingPool();
  /** ring per direction (null: none yet, or the budget was spent) */
  private rings: (PayloadRing | null)[] = [];
  private readonly indexPool = new IndexPool(this.pool.stats);
  /** index per direction, when the capture's bytes can be read back from its file */
  private indexes: (SegmentIndex | null)[] = [];
  private readonly file = new CaptureFile();
  /** per direction ST_NONE, ST_CLAIMED or ST_HELD + k: a direction refused by the budget is not
   *  asked again until the connection is released */
  private state = new Uint8Array(64);
  /** per direction INLINE_SEGMENTS held segments of IW doubles (valid while ST_HELD + k), in
   *  chunks of HELD_CHUNK directions */
  private held: Float64Array[] = [];

  get stats(): RetentionStats {
    return this.pool.stats;
  }

  /** The capture whose frames come next: its file is opened (once, on the first need) to read
   *  first transmissions back when its frames carry file positions. */
  startCapture(path: string): void {
    this.file.use(path);
  }

  /** The capture's frames are done (its directions released): closes the file. */
  endCapture(): void {
    this.file.close();
  }

  /** Keeps the segment's payload for direction `d` and, when the tracker labelled the segment a
   *  retransmission, compares its bytes with what was retained: the difference, or null. */
  take(d: number, f: Frame, p: Packet, labels: number): PayloadDiff | null {
    if ((p.tcpFlags & TCP_SYN) !== 0) return null;
    if (f.caplen <= MIN_ETHERNET_FRAME && p.payloadCaptured <= MAX_PADDING_PAYLOAD) return null;
    // keep-alives and zero-window probes may carry a garbage byte: never compared
    const compare = (labels & L_RETRANSMISSION) !== 0 && (labels & (L_KEEP_ALIVE | L_ZERO_WINDOW_PROBE)) === 0;
    const len = Math.min(p.payloadCaptured, p.payloadLength);
    const pos = f.filePos;
    if (d >= this.state.length) this.grow(d);
    if (pos >= 0 && this.file.readable()) {
      const ix = d < this.indexes.length ? this.indexes[d] : null;
      if (ix !== null) return ix.take(p.seq, pos + p.payloadOffset, len, f.number, compare, f.buf, f.start + p.payloadOffset, this.pool.stats, this.indexPool, this.file);
      return this.takeHeld(d, f, p.seq, pos + p.payloadOffset, len, compare, f.start + p.payloadOffset);
    }
    let ring = d < this.rings.length ? this.rings[d] : null;
    if (ring === null) {
      if (this.state[d] !== ST_NONE) return null;
      this.state[d] = ST_CLAIMED;
      while (this.rings.length <= d) this.rings.push(null);
      ring = this.rings[d] = this.pool.get();
      if (ring === null) return null;
    }
    return ring.take(p.seq, f.buf, f.start + p.payloadOffset, len, f.number, compare, this.pool.stats, this.pool);
  }

  /** take() for direction d without an index: reserves its budget on the first segment, holds up
   *  to INLINE_SEGMENTS in-stream segments, and claims the index (replaying what it held) when
   *  more come or one is to be compared. */
  private takeHeld(d: number, f: Frame, seq: number, pos: number, len: number, compare: boolean, off: number): PayloadDiff | null {
    let st = this.state[d];
    if (st === ST_CLAIMED) return null;
    if (st === ST_NONE) {
      if (!this.indexPool.reserve()) {
        this.state[d] = ST_CLAIMED;
        return null;
      }
      st = ST_HELD;
    }
    // nothing to append (SegmentIndex.take returns at once): the reservation alone is recorded
    if (len <= 0) {
      this.state[d] = st;
      return null;
    }
    const k = st - ST_HELD;
    if (!compare && k < INLINE_SEGMENTS) {
      const c = d >> HELD_CHUNK_BITS;
      const h = c < this.held.length && this.held[c].length !== 0 ? this.held[c] : this.chunk(c);
      const i = ((d & (HELD_CHUNK - 1)) * INLINE_SEGMENTS + k) * IW;
      h[i] = seq;
      h[i + 1] = len;
      h[i + 2] = pos;
      h[i + 3] = f.number;
      this.state[d] = st + 1;
      return null;
    }
    const ix = this.indexPool.claimReserved();
    while (this.indexes.length <= d) this.indexes.push(null);
    this.indexes[d] = ix;
    this.state[d] = ST_CLAIMED;
    const stats = this.pool.stats;
    const h = this.held[d >> HELD_CHUNK_BITS];
    for (let j = 0; j < k; j++) {
      const i = ((d & (HELD_CHUNK - 1)) * INLINE_SEGMENTS + j) * IW;
      // not compared: the frame's bytes are not read (b and off stand in)
      ix.take(h[i], h[i + 2], h[i + 1], h[i + 3], false, f.buf, off, stats, this.indexPool, this.file);
    }
    return ix.take(seq, pos, len, f.number, compare, f.buf, off, stats, this.indexPool, this.file);
  }

  /** The connection of directions d and d + 1 ended: their rings and indexes go back to their
   *  pools, a held direction's reservation to the index budget. */
  release(d: number): void {
    const state = this.state;
    for (let i = d; i < d + 2; i++) {
      if (i >= state.length) return;
      const st = state[i];
      if (st === ST_NONE) continue;
      state[i] = ST_NONE;
      if (st !== ST_CLAIMED) {
        this.indexPool.unreserve();
        continue;
      }
      if (i < this.indexes.length) {
        const x = this.indexes[i];
        if (x !== null) {
          this.indexPool.release(x);
          this.indexes[i] = null;
          continue;
        }
      }
      if (i >= this.rings.length) continue;
      const r = this.rings[i];
      if (r !== null) this.pool.release(r);
      this.rings[i] = null;
    }
  }

  /** Room for direction d in the per-direction columns. */
  private grow(d: number): void {
    let n = this.state.length;
    while (n <= d) n *= 2;
    const t = new Uint8Array(n);
    t.set(this.state);
    this.state = t;
  }

  /** Chunk c of the held segments, made on its first need (an empty array stands for one not
   *  made yet). */
  private chunk(c: number): Float64Array {
    while (this.held.length <= c) this.held.push(new Float64Array(0));
    return (this.held[c] = new Float64Array(HELD_CHUNK * INLINE_SEGMENTS * IW));
  }
}
