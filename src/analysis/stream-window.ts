// The retained range of one direction's byte stream, shared by the two ways of retaining payload
// (payload-ring.ts copies the bytes, segment-index.ts indexes their file positions): `top` is the
// sequence number after the highest byte seen and [top - size, top) the retained range. Where a
// new segment falls against that range decides whether it is compared and what is appended; both
// retainers must decide it the same way (segment-index.test.ts runs both on the same segments).

import { seqAdd, seqDiff, seqGt } from '../bytes/seq.js';
import type { RetentionStats } from './payload-ring.js';

/** place(): the segment is older than anything retained (nothing to compare or append). */
export const PLACE_OLD = -1;
/** place(): nothing to compare (no overlap, or not asked to); bytes beyond the top are appended. */
export const PLACE_APPEND = 0;
/** place(): compare [overlapFrom, overlapTo) with the retained bytes, then append. */
export const PLACE_COMPARE = 1;

export abstract class StreamWindow {
  top = 0;
  size = 0;
  started = false;
  /** the overlap to compare, set when place() returns PLACE_COMPARE */
  overlapFrom = 0;
  overlapTo = 0;

  /** A gap ahead (capture loss or reordering): nothing retained connects to what follows. */
  protected abstract dropAll(): void;

  /**
   * Places the segment [seq, seq + len) (len > 0) against the retained range. `compare` says
   * whether the tracker called it a retransmission; a compared segment that reaches below the
   * range, or lies wholly below it, is counted as not compared.
   */
  protected place(seq: number, len: number, compare: boolean, stats: RetentionStats): number {
    if (!this.started) {
      this.started = true;
      this.top = seq;
      this.size = 0;
    }
    const end = seqAdd(seq, len);
    const lowest = seqAdd(this.top, -this.size);
    if (seqDiff(seq, this.top) > 0) {
      this.top = seq;
      this.size = 0;
      this.dropAll();
      return PLACE_APPEND;
    }
    if (seqDiff(end, lowest) <= 0) {
      if (compare) stats.notCompared++;
      return PLACE_OLD;
    }
    if (!compare || !seqGt(this.top, seq)) return PLACE_APPEND;
    this.overlapFrom = seqDiff(seq, lowest) >= 0 ? seq : lowest;
    this.overlapTo = seqGt(end, this.top) ? this.top : end;
    if (seqDiff(this.overlapFrom, seq) > 0) stats.notCompared++;
    return PLACE_COMPARE;
  }

  /** Bytes at the start of [seq, end) already retained (below the top): what append skips. */
  protected skipOf(seq: number): number {
    return seqDiff(this.top, seq) > 0 ? seqDiff(this.top, seq) : 0;
  }
}
