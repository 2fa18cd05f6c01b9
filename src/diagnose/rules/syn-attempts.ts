// Connection attempts on one 4-tuple, across the connections the tracker split them into (a new
// ISN starts a new connection): the SYNs with their ISNs, bursts of SYNs with different ISNs,
// SYN-ACKs that acknowledge a superseded ISN, the client's RSTs, ICMP errors quoting the tuple,
// and whether a handshake finally completed. Shared by tcp/syn-burst, tcp/synack-for-old-isn,
// icmp/unreachable-for-tcp and tcp/handshake-failed (INCIDENTS.md B). Not a rule.

import type { AnalysedTrace, IcmpErrorFact, SegmentFact } from '../../analysis/trace.js';
import { isSynAckFlags, isSynFlags, SCREEN_ATTEMPT, SCREEN_CLIENT_SYN, tupleGroupsWhere, type TupleGroup } from '../../analysis/views.js';
import type { SegmentStore } from '../../analysis/segment-store.js';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../wire/packet.js';

/** SYNs from one source port with different ISNs within this window are one burst: the seed's
 *  bursts span well under a millisecond, while a stack's own SYN retransmission waits its initial
 *  RTO (1 s, RFC 6298 2.1) and keeps the ISN; 5 ms leaves room for a slow, busy client. */
export const SYN_BURST_WINDOW_NS = 5_000_000n;

export interface Burst {
  syns: SegmentFact[];
  isns: number[];
}

/** A tuple's attempts. The walks read the segment columns and keep numbers; SegmentFact
 *  objects are built for bursts and stale SYN-ACKs (rare), and for the other lists only when a
 *  rule reads them (most tuples are one plain handshake that no rule reports, and an object per
 *  tuple that lives through all the rules is what garbage collection pays for). */
export class AttemptSet {
  bursts: Burst[] = NO_BURSTS;
  /** SYN-ACKs whose ack - 1 is not the ISN of the newest SYN sent before them */
  staleSynAcks: StaleSynAck[] = NO_STALE;
  icmp: IcmpErrorFact[] = NO_ICMP;
  /** index into g.rows of the client's ACK that completed the handshake (-1: none), and of the
   *  SYN-ACK after which client RSTs no longer count (rows.length: none) */
  completedAckRow = -1;
  establishedRow: number;
  private synFacts: SegmentFact[] | null = null;
  private synAckFacts: SegmentFact[] | null = null;
  private rstFacts: SegmentFact[] | null = null;
  private ackFact: SegmentFact | null = null;

  constructor(readonly g: TupleGroup) {
    this.establishedRow = g.rows.length;
  }

  /** the client's SYNs */
  get syns(): SegmentFact[] {
    return (this.synFacts ??= this.pick(this.g.rows.length, (dir, flags) => dir === 0 && isSynFlags(flags)));
  }
  /** the server's SYN-ACKs */
  get synAcks(): SegmentFact[] {
    return (this.synAckFacts ??= this.pick(this.g.rows.length, (dir, flags) => dir === 1 && isSynAckFlags(flags)));
  }
  /** client RSTs sent before the handshake completed */
  get clientRsts(): SegmentFact[] {
    return (this.rstFacts ??= this.pick(this.establishedRow, (dir, flags) => dir === 0 && (flags & TCP_RST) !== 0));
  }
  /** the client's ACK that completed a handshake after the first burst, or null */
  get completedAck(): SegmentFact | null {
    if (this.completedAckRow < 0) return null;
    return (this.ackFact ??= this.g.segmentAt(this.completedAckRow));
  }

  private pick(end: number, want: (dir: number, flags: number) => boolean): SegmentFact[] {
    const st = this.g.store;
    const rows = this.g.rows;
    const out: SegmentFact[] = [];
    for (let i = 0; i < end; i++) if (want(st.dirAt(rows[i]), st.flagsAt(rows[i]))) out.push(this.g.segmentAt(i));
    return out;
  }
}

type StaleSynAck = { s: SegmentFact; ackedIsn: number; newestIsn: number; answers: SegmentFact | null; newest: SegmentFact };
/** shared empty lists of the sets that have none (never pushed to: a set gets its own on its first) */
const NO_BURSTS: Burst[] = [];
const NO_STALE: StaleSynAck[] = [];
const NO_ICMP: IcmpErrorFact[] = [];

const cache = new WeakMap<AnalysedTrace, AttemptSet[]>();

/** The attempt sets of the tuples that can give a rule something: those with a burst, a stale
 *  SYN-ACK, an ICMP error or no answer are all among them (in tupleGroups' order); a set with
 *  none of those may be too. */
export function synAttempts(trace: AnalysedTrace): AttemptSet[] {
  const hit = cache.get(trace);
  if (hit) return hit;
  // only the tuples the connection screen cannot clear (views.ts SCREEN_ATTEMPT): a tuple whose
  // connections are each one plain answered handshake, one after the other, has no burst, no
  // stale SYN-ACK and no ICMP error, so no rule reads its set (on 100,000 connections, nearly all)
  const out = attemptSets(trace, tupleGroupsWhere(trace, (bits, ordered) => (bits & SCREEN_ATTEMPT) !== 0 || ((bits & SCREEN_CLIENT_SYN) !== 0 && !ordered)));
  cache.set(trace, out);
  return out;
}

/** The attempt set of each group with a SYN from its client (exported for the screen's test). */
export function attemptSets(trace: AnalysedTrace, groups: readonly TupleGroup[]): AttemptSet[] {
  // ICMP errors by the connection they quote
  const icmpBy = new Map<string, IcmpErrorFact[]>();
  for (const e of trace.icmpErrors) {
    if (e.stream === null) continue;
    const k = `${e.capture}|${e.stream}`;
    let l = icmpBy.get(k);
    if (!l) icmpBy.set(k, (l = []));
    l.push(e);
  }
  const out: AttemptSet[] = [];
  const st = trace.segments;
  const windowNs = Number(SYN_BURST_WINDOW_NS);
  for (const g of groups) {
    // walks over the group's rows (columns, no objects)
    const rows = g.rows;
    let first = -1;
    for (let i = 0; i < rows.length && first < 0; i++) if (st.dirAt(rows[i]) === 0 && isSynFlags(st.flagsAt(rows[i]))) first = i;
    if (first < 0) continue;
    const set = new AttemptSet(g);
    if (icmpBy.size > 0) {
      const icmp: IcmpErrorFact[] = [];
      for (const c of g.conns) icmp.push(...(icmpBy.get(`${c.capture}|${c.stream}`) ?? []));
      if (icmp.length > 0) set.icmp = icmp.sort((a, b) => a.frame - b.frame);
    }
    // bursts: consecutive SYNs with new ISNs within the window of the burst's first SYN, with no
    // answer or reset between them (after an answer the client's next SYN is a new attempt).
    // One walk over the group's segments in frame order: `other` says whether any segment that is
    // not a client SYN came since the previous client SYN. Times compare as relative ns (exact
    // integers: the same differences as the absolute bigint times). A burst's objects are built
    // when a second ISN joins its first SYN.
    let curFirst = -1; // index of the current burst's first SYN
    let cur: Burst | null = null;
    let curRel = 0;
    let other = false;
    for (let i = first; i < rows.length; i++) {
      const r = rows[i];
      if (!(st.dirAt(r) === 0 && isSynFlags(st.flagsAt(r)))) {
        other = true;
        continue;
      }
      const between = curFirst >= 0 && other;
      other = false;
      if (curFirst >= 0 && !between && st.relAt(r) - curRel <= windowNs) {
        const seq = st.seqAt(r);
        if (cur === null) {
          if (seq !== st.seqAt(rows[curFirst])) cur = { syns: [g.segmentAt(curFirst), g.segmentAt(i)], isns: [st.seqAt(rows[curFirst]), seq] };
        } else if (!cur.isns.includes(seq)) {
          cur.syns.push(g.segmentAt(i));
          cur.isns.push(seq);
        }
        continue;
      }
      if (cur) (set.bursts === NO_BURSTS ? (set.bursts = []) : set.bursts).push(cur);
      cur = null;
      curFirst = i;
      curRel = st.relAt(r);
    }
    if (cur) (set.bursts === NO_BURSTS ? (set.bursts = []) : set.bursts).push(cur);
    // answers: each SYN-ACK against the newest SYN sent before it (and, for a stale one, the
    // newest earlier SYN with the ISN it acknowledges), in one walk
    let completing: Map<number, number[]> | null = null;
    let newest = -1; // index into rows of the newest client SYN so far
    let established = false;
    for (let i = first; i < rows.length; i++) {
      const r = rows[i];
      const dir = st.dirAt(r);
      const flags = st.flagsAt(r);
      if (dir === 0 && isSynFlags(flags)) newest = i;
      if (dir !== 1 || !isSynAckFlags(flags)) continue;
      const acked = (st.ackAt(r) - 1) >>> 0;
      const newestIsn = st.seqAt(rows[newest]);
      if (acked !== newestIsn) {
        // the newest earlier client SYN with the acknowledged ISN
        let answers: SegmentFact | null = null;
        for (let j = newest - 1; j >= 0; j--) {
          if (st.dirAt(rows[j]) === 0 && isSynFlags(st.flagsAt(rows[j])) && st.seqAt(rows[j]) === acked) {
            answers = g.segmentAt(j);
            break;
          }
        }
        (set.staleSynAcks === NO_STALE ? (set.staleSynAcks = []) : set.staleSynAcks)
          .push({ s: g.segmentAt(i), ackedIsn: acked, newestIsn, answers, newest: g.segmentAt(newest) });
      } else if (!established) {
        // the client's first ACK (no SYN, no RST) after this SYN-ACK acknowledging it completes the handshake
        const want = (st.seqAt(r) + 1) >>> 0;
        let ack = nearbyPureAck(st, rows, i, want);
        if (ack === NOT_NEARBY) ack = firstAfter((completing ??= pureAcksByAck(st, rows)).get(want), i);
        if (ack >= 0) {
          established = true;
          // client RSTs count up to this SYN-ACK (the walk's order: a RST row after it is not counted)
          set.establishedRow = i + 1;
          if (set.completedAckRow < 0) set.completedAckRow = ack;
        }
      }
    }
    out.push(set);
  }
  return out;
}

/** Rows looked at after a SYN-ACK for the ACK completing it before the group's index of pure
 *  ACKs is built (the ACK normally follows within a few segments; the index serves groups where
 *  it does not, without a walk to the end for each SYN-ACK). */
const NEARBY_ROWS = 32;
const NOT_NEARBY = -2;

/** The first index after i of a client pure ACK acknowledging `ack` within NEARBY_ROWS rows;
 *  -1 when the rows end first, NOT_NEARBY when none is that close. */
function nearbyPureAck(st: SegmentStore, rows: readonly number[], i: number, ack: number): number {
  const end = Math.min(rows.length, i + 1 + NEARBY_ROWS);
  for (let j = i + 1; j < end; j++) {
    const r = rows[j];
    if (st.dirAt(r) === 0 && (st.flagsAt(r) & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_ACK && st.ackAt(r) === ack) return j;
  }
  return end === rows.length ? -1 : NOT_NEARBY;
}

/** Indexes (ascending) into `rows` of the client's pure ACKs (ACK without SYN and RST), by ack number. */
function pureAcksByAck(st: SegmentStore, rows: readonly number[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (st.dirAt(r) !== 0 || (st.flagsAt(r) & (TCP_SYN | TCP_ACK | TCP_RST)) !== TCP_ACK) continue;
    const a = st.ackAt(r);
    let l = m.get(a);
    if (!l) m.set(a, (l = []));
    l.push(i);
  }
  return m;
}

/** The first index in ascending `l` above `i`, or -1 (binary search). */
function firstAfter(l: number[] | undefined, i: number): number {
  if (!l) return -1;
  let lo = 0;
  let hi = l.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (l[mid] <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo < l.length ? l[lo] : -1;
}

/** The portmap GETPORT reply that told the client this server port (before `beforeFrame`). */
export function getportReplyFor(trace: AnalysedTrace, capture: number, server: string, port: number, beforeFrame: number): number {
  const cap = trace.captures[capture];
  let best = 0;
  for (let i = cap.exchangeStart; i < cap.exchangeEnd; i++) {
    const e = trace.exchanges[i];
    if (e.program !== 100000 || e.procedure !== 3 || e.responseFrame <= 0 || e.responseFrame >= beforeFrame) continue;
    if (e.server.addr !== server || e.args.port !== port) continue;
    if (e.responseFrame > best) best = e.responseFrame;
  }
  return best;
}
