// What each capture saw of a paired TCP flow's sequence spaces, and what the receivers
// acknowledged: the evidence that tells a capture's own drops from the network's, and that finds
// data neither capture holds.
//
// Everything is in B's sequence space (the match key's kseq/kack, so A's records are already
// translated) and per data direction in B's numbering (kdir). Per direction and per point:
//  - `next`: the highest sequence number seen so far (end of a segment, SYN and FIN count one);
//  - holes: a segment starting beyond `next` means the point never saw [next, seq) at that time.
//    A hole is later filled (a retransmission, or the original arriving late after reordering)
//    or stays open (the capture dropped it, or the path lost it and the sender's copy went
//    through another point);
//  - retransmitted ranges: later segments overlapping what the point had already seen.
// Per direction, from either point: the highest ACK the receiver sent.
//
// Three judgements come from this (docs/compare.md, "Capture drops and data missing at both"):
//  - a segment seen only upstream whose range the receiver acknowledged, and that the sender never
//    sent again, reached the receiver: the downstream capture dropped it (not network loss);
//  - a segment seen only downstream whose range is a hole in the upstream point's view of the
//    sender's stream was sent through the upstream point: that capture dropped it (not injected);
//  - a range that is a hole at both points, and that the receiver acknowledges or the sender
//    re-sends, is missing at both: lost upstream of both points, or dropped by both captures.
//
// Bounds: per direction and point MAX_HOLES holes and MAX_RTX retransmitted ranges, per
// direction MAX_GAPS pending both-point gaps; the oldest goes first. A flow with more distinct
// trouble inside the matching window than that loses evidence, and its packets are judged as
// before (lost or injected), never the other way round.
import { seqGe, seqGt, seqLt } from '../bytes/seq.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../wire/packet.js';
import type { PktRec } from './record.js';

export const MAX_HOLES = 8;
export const MAX_RTX = 8;
export const MAX_GAPS = 8;
/** Without TCP timestamps, a segment filling a hole this long after the hole opened is taken as a
 *  retransmission, sooner as the original arriving late (reordering). Wireshark's default for the
 *  same question (tcp "out-of-order" vs "retransmission" when the RTT is unknown) is 3 ms. */
export const REORDER_NS = 3_000_000;

const FILL_NONE = 0;
const FILL_RETX = 1;
const FILL_LATE = 2;

interface Hole {
  lo: number;
  hi: number;
  /** the first segment after the hole at this point: its frame, aligned time and TSval */
  frame: number;
  t: number;
  hasTs: boolean;
  tsval: number;
  fill: number;
}

/** A range missing at both points, waiting for proof that it existed (an ACK or a re-send). */
export interface Gap {
  lo: number;
  hi: number;
  frameA: number;
  frameB: number;
  /** aligned times (ns, A's clock) of those frames */
  tA: number;
  tB: number;
  done: boolean;
  how: 'acknowledged' | 'retransmitted' | '';
}

class DirTrack {
  readonly started = [false, false];
  readonly next = [0, 0];
  readonly holes: Hole[][] = [[], []];
  /** flat [lo, hi, lo, hi, ...] */
  readonly rtx: number[][] = [[], []];
  ackSeen = false;
  ackMax = 0;
  readonly gaps: Gap[] = [];
}

/** Called when a gap is proven; k is the data direction in B's numbering. */
export type GapSink = (k: number, g: Gap) => void;

/** Sequence space a segment occupies: payload, plus one each for SYN and FIN. */
export function seqLen(r: PktRec): number {
  return r.len + (r.flags & TCP_SYN ? 1 : 0) + (r.flags & TCP_FIN ? 1 : 0);
}

const overlaps = (alo: number, ahi: number, blo: number, bhi: number): boolean => seqLt(alo, bhi) && seqLt(blo, ahi);

export class SeqTrack {
  private readonly d = [new DirTrack(), new DirTrack()];

  /** A record of the pair, match key set, in each point's own order. */
  observe(r: PktRec, sink: GapSink): void {
    const fl = r.flags;
    // a RST's sequence number carries no data and proves nothing about the stream
    if (fl & TCP_RST) return;
    const k = r.kdir;
    const s = r.side;
    const L = seqLen(r);
    const d = this.d[k];
    if (L === 0) {
      // a segment without data carries the sender's next sequence number (SND.NXT): one beyond
      // what this point saw means the sender sent data this point never saw
      if (!d.started[s]) {
        d.started[s] = true;
        d.next[s] = r.kseq;
      } else if (seqGt(r.kseq, d.next[s])) {
        this.hole(d, k, s, d.next[s], r.kseq, r, sink);
        d.next[s] = r.kseq;
      }
    } else {
      const lo = r.kseq;
      const hi = (lo + L) >>> 0;
      if (!d.started[s]) {
        d.started[s] = true;
        d.next[s] = hi;
      } else {
        const nx = d.next[s];
        if (seqGt(lo, nx)) {
          this.hole(d, k, s, nx, lo, r, sink);
          d.next[s] = hi;
        } else {
          if (seqLt(lo, nx)) this.resent(d, k, s, lo, seqLt(hi, nx) ? hi : nx, r, sink);
          if (seqGt(hi, nx)) d.next[s] = hi;
        }
      }
    }
    if (fl & TCP_ACK) {
      const d = this.d[1 - k];
      if (!d.ackSeen || seqGt(r.kack, d.ackMax)) {
        d.ackSeen = true;
        d.ackMax = r.kack;
        for (const g of d.gaps) {
          if (!g.done && seqGe(r.kack, g.hi)) this.prove(1 - k, d, g, 'acknowledged', sink);
        }
      }
    }
  }

  private hole(d: DirTrack, k: number, s: number, lo: number, hi: number, r: PktRec, sink: GapSink): void {
    const h: Hole = { lo, hi, frame: r.frame, t: r.ta, hasTs: r.hasTs, tsval: r.tsval, fill: FILL_NONE };
    const own = d.holes[s];
    if (own.length >= MAX_HOLES) own.shift();
    own.push(h);
    // the same range missing at the other point too: a gap in both captures
    for (const o of d.holes[1 - s]) {
      if (o.fill === FILL_LATE || !overlaps(lo, hi, o.lo, o.hi)) continue;
      const glo = seqGt(o.lo, lo) ? o.lo : lo;
      const ghi = seqLt(o.hi, hi) ? o.hi : hi;
      const g: Gap = {
        lo: glo, hi: ghi, frameA: s === 0 ? h.frame : o.frame, frameB: s === 1 ? h.frame : o.frame,
        tA: s === 0 ? h.t : o.t, tB: s === 1 ? h.t : o.t, done: false, how: '',
      };
      if (d.gaps.length >= MAX_GAPS) d.gaps.shift();
      d.gaps.push(g);
      if (o.fill === FILL_RETX) this.prove(k, d, g, 'retransmitted', sink);
      else if (d.ackSeen && seqGe(d.ackMax, ghi)) this.prove(k, d, g, 'acknowledged', sink);
    }
  }

  /** [lo, hi) seen again at point s: a retransmission, or a late original filling a hole. */
  private resent(d: DirTrack, k: number, s: number, lo: number, hi: number, r: PktRec, sink: GapSink): void {
    const ring = d.rtx[s];
    if (ring.length >= 2 * MAX_RTX) ring.splice(0, 2);
    ring.push(lo, hi);
    for (const h of d.holes[s]) {
      if (h.fill !== FILL_NONE || !overlaps(lo, hi, h.lo, h.hi)) continue;
      // a re-send carries a newer TSval than the segment that opened the hole; a late original
      // an older or equal one (RFC 7323 section 3); without timestamps, time decides
      const retx = r.hasTs && h.hasTs ? seqGt(r.tsval, h.tsval) : r.ta - h.t > REORDER_NS;
      h.fill = retx ? FILL_RETX : FILL_LATE;
      for (const g of d.gaps) {
        if (g.done || !overlaps(lo, hi, g.lo, g.hi)) continue;
        if (retx) this.prove(k, d, g, 'retransmitted', sink);
        else g.done = true; // the original came late: nothing was missing
      }
    }
  }

  private prove(k: number, _d: DirTrack, g: Gap, how: 'acknowledged' | 'retransmitted', sink: GapSink): void {
    g.done = true;
    g.how = how;
    sink(k, g);
  }

  /** A segment seen at its upstream point s only: did the receiver get it all the same? True when
   *  the receiver acknowledged its whole range and the sender never sent any of it again (so the
   *  copy the receiver acknowledged is this one, and the downstream capture dropped it). */
  deliveredUnseen(r: PktRec): boolean {
    if (r.flags & TCP_RST) return false;
    const L = seqLen(r);
    if (L === 0 || r.rtx) return false;
    const d = this.d[r.kdir];
    const hi = (r.kseq + L) >>> 0;
    if (!d.ackSeen || !seqGe(d.ackMax, hi)) return false;
    const ring = d.rtx[r.side];
    for (let i = 0; i < ring.length; i += 2) if (overlaps(r.kseq, hi, ring[i], ring[i + 1])) return false;
    return true;
  }

  /** A segment seen at its downstream point only: was it sent through upstream point u? True when
   *  u's view of the sender's stream skipped exactly this range (a hole covering it), so the
   *  sender's stream went on past it at u: u's capture dropped it. */
  skippedAt(r: PktRec, u: number): boolean {
    if (r.flags & TCP_RST) return false;
    const L = seqLen(r);
    if (L === 0) return false;
    const hi = (r.kseq + L) >>> 0;
    for (const h of this.d[r.kdir].holes[u]) if (seqGe(r.kseq, h.lo) && seqGe(h.hi, hi)) return true;
    return false;
  }
}
