// Derived views over the analysed trace that several rules share: connections grouped by their
// 4-tuple (the tracker starts a new connection for every SYN with a new ISN, so a reconnect burst
// from one source port is several connections on one tuple), SYN attempts with their ISNs across
// those connections, and per-connection exchanges. Pure functions of the trace; results are
// memoised per trace object (the trace is never mutated after analyse() returns).

import { TCP_ACK, TCP_RST, TCP_SYN } from '../wire/packet.js';
import type { Exchange } from '../protocols/types.js';
import type { AnalysedTrace, ConnHealth, ConnectionFacts, SegmentFact } from './trace.js';
import type { SegmentStore } from './segment-store.js';

/** Connections on one (capture, originator, responder) tuple, with their key segments as rows of
 *  trace.segments: walks read the columns (a capture of 100,000 connections has 800,000 key
 *  segments; objects for all of them cost more than the rules), `segmentAt` and `segs` build
 *  SegmentFact objects for what a rule keeps. */
export class TupleGroup {
  /** connections on the tuple in order of first frame */
  readonly conns: ConnectionFacts[] = [];
  /** rows of trace.segments of those connections' key segments, in frame order */
  readonly rows: number[] = [];
  private all: SegmentFact[] | null = null;

  constructor(
    readonly store: SegmentStore, readonly capture: number, readonly client: string, readonly clientPort: number,
    readonly server: string, readonly serverPort: number,
  ) {}

  /** rows[i] as a new SegmentFact (its time from the capture's base, which every connection of
   *  the group shares) */
  segmentAt(i: number): SegmentFact {
    return this.store.fact(this.rows[i], this.conns[0].baseNs);
  }

  /** every kept segment of the connections, in frame order (built on first use) */
  get segs(): SegmentFact[] {
    if (this.all === null) this.all = this.rows.map((_, i) => this.segmentAt(i));
    return this.all;
  }
}

const tupleCache = new WeakMap<AnalysedTrace, TupleGroup[]>();

/** Connections grouped by (capture, originator, responder) endpoints, in order of first frame.
 *  Orientation is the tracker's (originator = the side whose SYN was seen). */
export function tupleGroups(trace: AnalysedTrace): TupleGroup[] {
  const hit = tupleCache.get(trace);
  if (hit) return hit;
  // keyed by the numbers (capture, ports), then the addresses compared within the few groups
  // sharing them: no key string per connection
  const map = new Map<number, TupleGroup | TupleGroup[]>();
  const out: TupleGroup[] = [];
  const same = (g: TupleGroup, c: ConnectionFacts): boolean => g.client === c.origAddr && g.server === c.respAddr;
  for (const c of trace.connections) {
    const k = (c.capture * 65536 + c.origPort) * 65536 + c.respPort;
    const hit = map.get(k);
    let g = hit === undefined ? undefined : Array.isArray(hit) ? hit.find((x) => same(x, c)) : same(hit, c) ? hit : undefined;
    if (!g) {
      g = new TupleGroup(trace.segments, c.capture, c.origAddr, c.origPort, c.respAddr, c.respPort);
      out.push(g);
      if (hit === undefined) map.set(k, g);
      else if (Array.isArray(hit)) hit.push(g);
      else map.set(k, [hit, g]);
    }
    g.conns.push(c);
  }
  const store = trace.segments;
  for (const g of out) {
    g.conns.sort((a, b) => a.firstFrame - b.firstFrame);
    // each connection's rows are in frame order: sorted only when connections overlap
    let sorted = true;
    let lastFrame = -1;
    const rows = g.rows;
    for (const c of g.conns) {
      for (let r = c.keyRowStart; r < c.keyRowEnd; r++) {
        const f = store.frameAt(r);
        if (f < lastFrame) sorted = false;
        lastFrame = f;
        rows.push(r);
      }
    }
    if (!sorted) rows.sort((a, b) => store.frameAt(a) - store.frameAt(b));
  }
  out.sort((a, b) => a.capture - b.capture || a.conns[0].firstFrame - b.conns[0].firstFrame);
  tupleCache.set(trace, out);
  return out;
}

export const isSynFlags = (flags: number): boolean => (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
export const isSynAckFlags = (flags: number): boolean => (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
export const isSyn = (s: SegmentFact): boolean => (s.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
export const isSynAck = (s: SegmentFact): boolean => (s.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
export const isRst = (s: SegmentFact): boolean => (s.flags & TCP_RST) !== 0;

/** A connection whose health counters are not all zero, with them (read once). */
export interface HealthEntry {
  c: ConnectionFacts;
  h: ConnHealth;
}
const healthCache = new WeakMap<AnalysedTrace, HealthEntry[]>();

/** The connections with a retransmission, an RTO stall, a capture duplicate or a zero window
 *  (in trace order), for the rules that report on those counters (tcp/retransmissions,
 *  tcp/zero-window, tcp/zero-window-stall): one pass over the connections builds each health
 *  record once, instead of every such rule building one per connection (on 100,000 short
 *  connections nearly all are zero). */
export function connectionsWithHealth(trace: AnalysedTrace): HealthEntry[] {
  const hit = healthCache.get(trace);
  if (hit) return hit;
  const out: HealthEntry[] = [];
  for (const c of trace.connections) {
    const h = c.health;
    if (h.retransmittedData[0] > 0 || h.retransmittedData[1] > 0 || h.rtoStalls > 0 || h.maxRtoStallNs > 0 || h.captureDuplicates > 0 || h.zeroWindows > 0) out.push({ c, h });
  }
  healthCache.set(trace, out);
  return out;
}

const connCache = new WeakMap<AnalysedTrace, Map<number, ConnectionFacts>>();
/** Stream numbers per capture stay below 2^32: (capture, stream) as one exact number. */
const STREAMS_PER_CAPTURE = 2 ** 32;

/** The kept connection of a capture's stream (the last one kept with that number), built once
 *  per trace on first use (rules that look up a few connections need not key all of them). */
export function connectionOf(trace: AnalysedTrace, capture: number, stream: number): ConnectionFacts | undefined {
  let m = connCache.get(trace);
  if (!m) {
    m = new Map();
    for (const c of trace.connections) m.set(c.capture * STREAMS_PER_CAPTURE + c.stream, c);
    connCache.set(trace, m);
  }
  return m.get(capture * STREAMS_PER_CAPTURE + stream);
}

/** Exchanges of one capture's connection. */
export function exchangesOf(trace: AnalysedTrace, capture: number, stream: number): readonly Exchange[] {
  return byConn(trace).get(capture * STREAMS_PER_CAPTURE + stream) ?? NO_EXCHANGES;
}

/** shared empty result (never pushed to) */
const NO_EXCHANGES: Exchange[] = [];
const exCache = new WeakMap<AnalysedTrace, Map<number, Exchange[]>>();
/** (capture, stream) as one exact number, as connectionOf keys it: no key string per exchange */
function byConn(trace: AnalysedTrace): Map<number, Exchange[]> {
  const hit = exCache.get(trace);
  if (hit) return hit;
  const m = new Map<number, Exchange[]>();
  trace.captures.forEach((cap, i) => {
    for (let j = cap.exchangeStart; j < cap.exchangeEnd; j++) {
      const e = trace.exchanges[j];
      const stream = e.stream;
      if (stream < 0) continue;
      const k = i * STREAMS_PER_CAPTURE + stream;
      let l = m.get(k);
      if (!l) m.set(k, (l = []));
      l.push(e);
    }
  });
  exCache.set(trace, m);
  return m;
}

/** Which capture an exchange index belongs to. */
export function captureOfExchange(trace: AnalysedTrace, index: number): number {
  for (let i = 0; i < trace.captures.length; i++) if (index >= trace.captures[i].exchangeStart && index < trace.captures[i].exchangeEnd) return i;
  return 0;
}

// ------------------------------------------------------------------ heartbeats

/** Messages whose only purpose is to show the peer is alive (INCIDENTS.md A). */
export type HeartbeatKind = 'smb2-echo' | 'nfs4-renew' | 'nfs4-sequence' | 'rpc-null';

export function heartbeatKind(e: Exchange): HeartbeatKind | null {
  if (e.protocol === 'smb2') return e.command === 'ECHO' ? 'smb2-echo' : null;
  if (e.protocol !== 'rpc') return null;
  // NULL (procedure 0) of any program: the RPC ping
  if (e.procedure === 0 && e.program >= 0) return 'rpc-null';
  // NFSv4 COMPOUND (program 100003 v4 procedure 1) carrying only RENEW (v4.0) or SEQUENCE (v4.1+)
  if (e.program === 100003 && e.version === 4 && e.procedure === 1) {
    const ops = e.args.ops;
    if (ops === 'RENEW') return 'nfs4-renew';
    if (ops === 'SEQUENCE') return 'nfs4-sequence';
  }
  return null;
}
