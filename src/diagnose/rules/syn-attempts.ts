// Connection attempts on one 4-tuple, across the connections the tracker split them into (a new
// ISN starts a new connection): the SYNs with their ISNs, bursts of SYNs with different ISNs,
// SYN-ACKs that acknowledge a superseded ISN, the client's RSTs, ICMP errors quoting the tuple,
// and whether a handshake finally completed. Shared by tcp/syn-burst, tcp/synack-for-old-isn,
// icmp/unreachable-for-tcp and tcp/handshake-failed (INCIDENTS.md B). Not a rule.

import type { AnalysedTrace, IcmpErrorFact, SegmentFact } from '../../analysis/trace.js';
import { isSynAckFlags, isSynFlags, tupleGroups, type TupleGroup } from '../../analysis/views.js';
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

export interface AttemptSet {
  g: TupleGroup;
  syns: SegmentFact[];
  bursts: Burst[];
  /** SYN-ACKs whose ack - 1 is not the ISN of the newest SYN sent before them */
  staleSynAcks: { s: SegmentFact; ackedIsn: number; newestIsn: number; answers: SegmentFact | null; newest: SegmentFact }[];
  synAcks: SegmentFact[];
  /** client RSTs sent before the handshake completed */
  clientRsts: SegmentFact[];
  icmp: IcmpErrorFact[];
  /** the client's ACK that completed a handshake after the first burst, or null */
  completedAck: SegmentFact | null;
}

const cache = new WeakMap<AnalysedTrace, AttemptSet[]>();

export function synAttempts(trace: AnalysedTrace): AttemptSet[] {
  const hit = cache.get(trace);
  if (hit) return hit;
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
  for (const g of tupleGroups(trace)) {
    // walks over the group's rows (columns, no objects); SegmentFacts only for what is kept
    const rows = g.rows;
    const syns: SegmentFact[] = [];
    for (let i = 0; i < rows.length; i++) if (st.dirAt(rows[i]) === 0 && isSynFlags(st.flagsAt(rows[i]))) syns.push(g.segmentAt(i));
    if (syns.length === 0) continue;
    const set: AttemptSet = { g, syns, bursts: [], staleSynAcks: [], synAcks: [], clientRsts: [], icmp: [], completedAck: null };
    for (const c of g.conns) set.icmp.push(...(icmpBy.get(`${c.capture}|${c.stream}`) ?? []));
    set.icmp.sort((a, b) => a.frame - b.frame);
    // bursts: consecutive SYNs with new ISNs within the window of the burst's first SYN, with no
    // answer or reset between them (after an answer the client's next SYN is a new attempt).
    // One walk over the group's segments in frame order: `other` says whether any segment that is
    // not a client SYN came since the previous client SYN. Times compare as relative ns (exact
    // integers: the same differences as the absolute bigint times).
    let cur: Burst | null = null;
    let curRel = 0;
    let other = false;
    let k = 0; // the next client SYN's index in syns
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!(st.dirAt(r) === 0 && isSynFlags(st.flagsAt(r)))) {
        other = true;
        continue;
      }
      const s = syns[k++];
      const between = cur !== null && other;
      other = false;
      if (cur && !between && st.relAt(r) - curRel <= windowNs) {
        if (!cur.isns.includes(s.seq)) {
          cur.syns.push(s);
          cur.isns.push(s.seq);
        }
        continue;
      }
      if (cur && cur.isns.length >= 2) set.bursts.push(cur);
      cur = { syns: [s], isns: [s.seq] };
      curRel = st.relAt(r);
    }
    if (cur && cur.isns.length >= 2) set.bursts.push(cur);
    // answers: each SYN-ACK against the newest SYN sent before it (and, for a stale one, the
    // newest earlier SYN with the ISN it acknowledges), in one walk
    let completing: Map<number, number[]> | null = null;
    const newestWithIsn = new Map<number, SegmentFact>();
    let newest: SegmentFact | undefined;
    let established = false;
    k = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const dir = st.dirAt(r);
      const flags = st.flagsAt(r);
      if (dir === 0 && isSynFlags(flags)) {
        newest = syns[k++];
        newestWithIsn.set(newest.seq, newest);
      }
      if (dir === 1 && isSynAckFlags(flags)) {
        const s = g.segmentAt(i);
        set.synAcks.push(s);
        if (!newest) continue;
        const acked = (s.ack - 1) >>> 0;
        if (acked !== newest.seq) {
          const answers = newestWithIsn.get(acked) ?? null;
          set.staleSynAcks.push({ s, ackedIsn: acked, newestIsn: newest.seq, answers, newest });
        } else if (!established) {
          // the client's first ACK (no SYN, no RST) after this SYN-ACK acknowledging it completes the handshake
          const want = (s.seq + 1) >>> 0;
          let ack = nearbyPureAck(st, rows, i, want);
          if (ack === NOT_NEARBY) ack = firstAfter((completing ??= pureAcksByAck(st, rows)).get(want), i);
          if (ack >= 0) {
            established = true;
            if (!set.completedAck) set.completedAck = g.segmentAt(ack);
          }
        }
      } else if (dir === 0 && (flags & TCP_RST) !== 0 && !established) set.clientRsts.push(g.segmentAt(i));
    }
    out.push(set);
  }
  cache.set(trace, out);
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
