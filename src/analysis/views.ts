// Derived views over the analysed trace that several rules share: connections grouped by their
// 4-tuple (the tracker starts a new connection for every SYN with a new ISN, so a reconnect burst
// from one source port is several connections on one tuple), SYN attempts with their ISNs across
// those connections, and per-connection exchanges. Pure functions of the trace; results are
// memoised per trace object (the trace is never mutated after analyse() returns).

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../wire/packet.js';
import type { Exchange } from '../protocols/types.js';
import type { AnalysedTrace, ConnHealth, ConnectionFacts, SegmentFact } from './trace.js';
import type { SegmentStore } from './segment-store.js';
import { FACT_HEALTH, FACT_HISTORY_RESET, FACT_KEEPALIVE, healthShown, historyReset, type ScreenColumns } from './kept.js';

/** Connections on one (capture, originator, responder) tuple, with their key segments as rows of
 *  trace.segments: walks read the columns (a capture of 100,000 connections has 800,000 key
 *  segments; objects for all of them cost more than the rules), `segmentAt` and `segs` build
 *  SegmentFact objects for what a rule keeps. */
export class TupleGroup {
  /** connections on the tuple in order of first frame */
  readonly conns: ConnectionFacts[] = [];
  private rowList: number[] | null = null;
  private all: SegmentFact[] | null = null;

  constructor(
    readonly store: SegmentStore, readonly capture: number, readonly client: string, readonly clientPort: number,
    readonly server: string, readonly serverPort: number,
  ) {}

  /** rows of trace.segments of those connections' key segments, in frame order (built on first
   *  use: tcp/challenge-ack-on-syn reads only the connections) */
  get rows(): number[] {
    if (this.rowList !== null) return this.rowList;
    const store = this.store;
    // each connection's rows are in frame order: sorted only when connections overlap
    let sorted = true;
    let lastFrame = -1;
    const rows: number[] = [];
    for (const c of this.conns) {
      for (let r = c.keyRowStart; r < c.keyRowEnd; r++) {
        const f = store.frameAt(r);
        if (f < lastFrame) sorted = false;
        lastFrame = f;
        rows.push(r);
      }
    }
    if (!sorted) rows.sort((a, b) => store.frameAt(a) - store.frameAt(b));
    return (this.rowList = rows);
  }

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
  const out = groupConnections(trace, trace.connections);
  tupleCache.set(trace, out);
  return out;
}

/** The 4-tuple of a connection as one exact number, its addresses left out (compared within the
 *  few groups sharing it): ports below 2^16, captures far below 2^21. */
const tupleKey = (c: ConnectionFacts): number => (c.capture * 65536 + c.origPort) * 65536 + c.respPort;

/** Tuple groups of `conns` (every connection of each group they touch must be among them for
 *  the groups to be whole), sorted as tupleGroups sorts them. */
function groupConnections(trace: AnalysedTrace, conns: readonly ConnectionFacts[]): TupleGroup[] {
  // keyed by the numbers (capture, ports), then the addresses compared within the few groups
  // sharing them: no key string per connection
  const map = new Map<number, TupleGroup | TupleGroup[]>();
  const out: TupleGroup[] = [];
  const same = (g: TupleGroup, c: ConnectionFacts): boolean => g.client === c.origAddr && g.server === c.respAddr;
  for (const c of conns) {
    const k = tupleKey(c);
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
  for (const g of out) g.conns.sort((a, b) => a.firstFrame - b.firstFrame);
  out.sort((a, b) => a.capture - b.capture || a.conns[0].firstFrame - b.conns[0].firstFrame);
  return out;
}

/** The tuple groups (whole, as tupleGroups has them, in its order) of the buckets `want` picks:
 *  a bucket is every connection of one (capture, ports) key (connectionScreen), so a picked bucket
 *  yields its groups complete; the connections of other buckets are never grouped. */
export function tupleGroupsWhere(trace: AnalysedTrace, want: (bits: number, ordered: boolean) => boolean): TupleGroup[] {
  const sc = connectionScreen(trace);
  const pick = new Uint8Array(sc.buckets);
  let any = false;
  for (let b = 0; b < sc.buckets; b++) {
    if (!want(sc.bucketBits[b], sc.bucketOrdered[b] === 1)) continue;
    pick[b] = 1;
    any = true;
  }
  if (!any) return [];
  // the members of the picked buckets, by their lists (no pass over every connection)
  const conns: ConnectionFacts[] = [];
  const all = trace.connections;
  for (let b = 0; b < sc.buckets; b++) {
    if (pick[b] === 0) continue;
    for (let i = sc.bucketFirst[b]; i >= 0; i = sc.bucketNext[i]) conns.push(all[i]);
  }
  return groupConnections(trace, conns);
}

// ------------------------------------------------------------------ the connection screen

/** Bits of ConnectionScreen.bits, each a fact of one connection's key-segment rows that some rule
 *  starts from; a connection without the bit cannot give that rule anything. */
/** a RST row (tcp/resets) */
export const SCREEN_RST = 1;
/** before the first RST row: a FIN, a segment with payload, a SYN or SYN-ACK (tcp/resets) */
export const SCREEN_FIN_BEFORE_RST = 2;
export const SCREEN_DATA_BEFORE_RST = 4;
export const SCREEN_SYN_BEFORE_RST = 8;
/** the originator's first SYN is first answered, before any SYN-ACK, by a bare ACK (no SYN, no
 *  RST) that does not acknowledge it (the connections tcp/challenge-ack-on-syn looks at) */
export const SCREEN_BARE_ACK = 16;
/** a SYN from the originator (the start of a connection attempt: syn-attempts.ts) */
export const SCREEN_CLIENT_SYN = 32;
/** a connection attempt that is not one plain handshake: its SYNs carry more than one ISN, a
 *  SYN-ACK comes before its first SYN or acknowledges another ISN, its last row is a SYN from the
 *  originator (so a SYN of the next connection on the tuple could follow it in a burst), it has a
 *  SYN but nothing from the responder, or an ICMP error quotes it. A tuple whose connections all lack this
 *  bit and follow each other without overlapping gives syn-attempts.ts nothing to report (no
 *  burst, no stale SYN-ACK, no ICMP error, answered). */
export const SCREEN_ATTEMPT = 64;

/** Bits of ConnectionScreen.facts: numbers of the connection itself (not its rows), kept in its
 *  fact row (kept.ts). */
export { FACT_HEALTH, FACT_HISTORY_RESET, FACT_KEEPALIVE };

export interface ConnectionScreen {
  /** per connection (index into trace.connections): SCREEN_* bits */
  bits: Uint8Array;
  /** per connection: FACT_* bits */
  facts: Uint8Array;
  /** per connection: the row (of trace.segments) of its first RST, -1 when none (rows stay below
   *  2^31: the kept connections times the key-segment bounds, trace.ts) */
  firstRst: Int32Array;
  /** per connection: its capture, its key-segment rows [rowStart, rowEnd), its server port and
   *  its set-up time (ConnectionFacts.setupNs; NaN for none): read once here (from the fact
   *  table when the trace has it), so that the rules read typed arrays instead of getters */
  capture: Float64Array;
  rowStart: Float64Array;
  rowEnd: Float64Array;
  respPort: Float64Array;
  setupNs: Float64Array;
  /** per connection: last time - first time, ns (NaN when not exact: read the getters) */
  durationNs: Float64Array;
  /** the connections with a non-zero health counter (connectionsWithHealth) */
  health: HealthEntry[];
  /** the connections (indexes, in trace order) with SCREEN_RST, and with FACT_KEEPALIVE; the
   *  number with FACT_HISTORY_RESET: the rules and the report read these short lists instead of
   *  each making a pass over every connection's bits (each pass over 100,000 entries costs 5-15 ms
   *  in a run of the command, most of it before the loop is optimised) */
  resets: number[];
  keepAlives: number[];
  historyResets: number;
  /** the connections (indexes, in trace order) with SCREEN_BARE_ACK */
  bareAcks: number[];
  /** per connection: the frames of its first and last key-segment rows (-1 when it has none) */
  firstRowFrame: Float64Array;
  lastRowFrame: Float64Array;
  /** per connection: its bucket, the connections sharing its (capture, ports) key */
  bucketOf: Int32Array;
  buckets: number;
  /** per bucket: its first connection; per connection: the next one of its bucket (-1: none),
   *  in trace order */
  bucketFirst: Int32Array;
  bucketNext: Int32Array;
  /** per bucket: the bits of its connections or-ed */
  bucketBits: Uint8Array;
  /** per bucket: 1 when its connections' rows, in trace order, follow each other without
   *  overlapping (each connection's last row is before the next one's first) */
  bucketOrdered: Uint8Array;
}

const screenCache = new WeakMap<AnalysedTrace, ConnectionScreen>();

/** One pass over every kept connection: its numbers read once into typed arrays, and a walk over
 *  its key-segment rows (columns, no objects) that marks what the rules start from (SCREEN_*);
 *  the connections are bucketed by (capture, ports), so that the rules walk or group only the
 *  connections that can give them something (on 100,000 connections, a handful). In a command
 *  that runs once, every separate pass over 100,000 connections costs its getters' unoptimised
 *  first calls too (a pass reading one getter: 7 ms cold, 2-3 ms warm). Memoised per trace. */
export function connectionScreen(trace: AnalysedTrace): ConnectionScreen {
  const hit = screenCache.get(trace);
  if (hit) return hit;
  const conns = trace.connections;
  const n = conns.length;
  const st = trace.segments;
  // the connections' numbers: from the fact table, which copied each row's as the analysis sealed
  // it (kept.ts screenColumns, no getter), or through the getters for a trace without the table
  // (hand-built ones)
  const table = trace.connectionFacts;
  const byTable = table !== undefined && table.length === n;
  const cols = byTable ? table.screenColumns() : columnsByGetters(conns);
  const { rowStart, rowEnd, capture, origPort, respPort, setupNs } = cols;
  // what the key-segment rows say: taken by the fact table as the rows were moved into the store
  // (hot then; a walk here reads 800,000 cold rows on incident D), or a walk over them
  const fromRows = cols.rows;
  let bits: Uint8Array;
  let firstRst: Int32Array;
  if (fromRows !== null) {
    // the table's own column (a view): copied when the ICMP part below may add to it
    bits = trace.icmpErrors.length > 0 ? fromRows.bits.slice() : fromRows.bits;
    firstRst = fromRows.firstRst;
  } else {
    bits = new Uint8Array(n);
    firstRst = new Int32Array(n);
    for (let i = 0; i < n; i++) bits[i] = rowBits(st, rowStart[i], rowEnd[i], firstRst, i);
  }
  const facts = cols.facts;
  const health: HealthEntry[] = [];
  // the health records of the few with a counter, after the loop (a branch the loop rarely takes
  // is one its optimised code is compiled without)
  const resets: number[] = [];
  const keepAlives: number[] = [];
  const bareAcks: number[] = [];
  let historyResets = 0;
  for (let i = 0; i < n; i++) {
    const f = facts[i];
    if (f === 0 && (bits[i] & (SCREEN_RST | SCREEN_BARE_ACK)) === 0) continue;
    if ((bits[i] & SCREEN_BARE_ACK) !== 0) bareAcks.push(i);
    if ((f & FACT_HEALTH) !== 0) health.push({ c: conns[i], h: conns[i].health });
    if ((f & FACT_KEEPALIVE) !== 0) keepAlives.push(i);
    if ((f & FACT_HISTORY_RESET) !== 0) historyResets++;
    if ((bits[i] & SCREEN_RST) !== 0) resets.push(i);
  }
  const bucketOf = new Int32Array(n);
  const buckets = bucketsOf(capture, origPort, respPort, bucketOf);
  const sc: ConnectionScreen = {
    bits, facts, firstRst, capture, rowStart, rowEnd, respPort, setupNs, durationNs: cols.durationNs, health, resets, keepAlives, bareAcks, historyResets, firstRowFrame: NO_FRAMES,
    lastRowFrame: NO_FRAMES, bucketOf, buckets, bucketFirst: NO_ROWS, bucketNext: NO_ROWS, bucketBits: NO_BUCKETS, bucketOrdered: NO_BUCKETS,
  };
  // connections an ICMP error quotes (rare)
  if (trace.icmpErrors.length > 0) {
    const icmp = new Set<number>();
    for (const e of trace.icmpErrors) if (e.stream !== null) icmp.add(e.capture * STREAMS_PER_CAPTURE + e.stream);
    if (icmp.size > 0) for (let i = 0; i < n; i++) if (icmp.has(conns[i].capture * STREAMS_PER_CAPTURE + conns[i].stream)) bits[i] |= SCREEN_ATTEMPT;
  }
  bucketed(sc, st, fromRows);
  screenCache.set(trace, sc);
  return sc;
}
const NO_BUCKETS = new Uint8Array(0);
const NO_FRAMES = new Float64Array(0);
const NO_ROWS = new Int32Array(0);

/** Numbers each connection's (capture, ports) key (bucketOf[i], in order of first sight) and
 *  returns how many there are. An open-addressing table in typed arrays: in a Map, 20,000
 *  distinct keys (each beyond a small integer, so a boxed number) took about 10 ms. The table has
 *  at least twice as many slots as connections (a power of two), so probes stay short; it lives
 *  only during the call. */
function bucketsOf(capture: Float64Array, origPort: Float64Array, respPort: Float64Array, bucketOf: Int32Array): number {
  const n = capture.length;
  let size = 16;
  while (size < 2 * n) size *= 2;
  const mask = size - 1;
  const slotCapture = new Int32Array(size).fill(-1); // -1: empty (captures are >= 0)
  const slotPorts = new Int32Array(size);
  const slotBucket = new Int32Array(size);
  let buckets = 0;
  for (let i = 0; i < n; i++) {
    const cap = capture[i];
    const ports = (origPort[i] << 16) | respPort[i];
    let h = Math.imul(ports ^ Math.imul(cap, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let at = h & mask;
    for (;;) {
      if (slotCapture[at] === -1) {
        slotCapture[at] = cap;
        slotPorts[at] = ports;
        slotBucket[at] = buckets;
        bucketOf[i] = buckets++;
        break;
      }
      if (slotCapture[at] === cap && slotPorts[at] === ports) {
        bucketOf[i] = slotBucket[at];
        break;
      }
      at = (at + 1) & mask;
    }
  }
  return buckets;
}

/** The fact table's screen columns (kept.ts ScreenColumns) read through the getters, for a trace
 *  without the table. */
function columnsByGetters(conns: readonly ConnectionFacts[]): ScreenColumns {
  const n = conns.length;
  const s: ScreenColumns = {
    n, rowStart: new Float64Array(n), rowEnd: new Float64Array(n), capture: new Float64Array(n), origPort: new Float64Array(n),
    respPort: new Float64Array(n), setupNs: new Float64Array(n), facts: new Uint8Array(n), durationNs: new Float64Array(n), rows: null,
  };
  for (let i = 0; i < n; i++) {
    const c = conns[i];
    s.durationNs[i] = Number(c.lastNs - c.firstNs);
    s.rowStart[i] = c.keyRowStart;
    s.rowEnd[i] = c.keyRowEnd;
    s.capture[i] = c.capture;
    s.origPort[i] = c.origPort;
    s.respPort[i] = c.respPort;
    const setup = c.setupNs;
    s.setupNs[i] = setup === null ? NaN : setup;
    const ka = c.keepAlives;
    s.facts[i] = (ka.zeroByte + ka.oneByte > 0 ? FACT_KEEPALIVE : 0) | historyReset(c.history) | (healthShown(c) ? FACT_HEALTH : 0);
  }
  return s;
}

/** The SCREEN_* bits of rows [start, end) of one connection (all but the ICMP part of
 *  SCREEN_ATTEMPT); its first RST row goes to firstRst[i] (-1: none). The analysis calls it on a
 *  connection's rows right after moving them into the store (analyse.ts toFacts) and keeps the
 *  result in the fact table; the connection screen calls it for a trace without the table. */
export function rowBits(st: SegmentStore, start: number, end: number, firstRst: Int32Array, i: number): number {
  let b = 0;
  let isn = -1; // the ISN of the originator's first SYN
  let lastWasSyn = false;
  let answered = false;
  let firstAnswer = true; // the first row from the responder after the first SYN is still to come
  let rst = -1; // the first RST row
  let before = 0; // the *_BEFORE_RST bits of the rows before it
  for (let r = start; r < end; r++) {
    const flags = st.flagsAt(r);
    if (rst < 0) {
      if ((flags & TCP_RST) !== 0) {
        rst = r;
        b |= SCREEN_RST | before;
      } else {
        if ((flags & TCP_FIN) !== 0) before |= SCREEN_FIN_BEFORE_RST;
        if ((flags & TCP_SYN) !== 0) before |= SCREEN_SYN_BEFORE_RST;
        if ((before & SCREEN_DATA_BEFORE_RST) === 0 && st.lenAt(r) > 0) before |= SCREEN_DATA_BEFORE_RST;
      }
    }
    // the direction matters for a SYN, and until the responder has been heard
    if ((flags & TCP_SYN) === 0 && answered && !firstAnswer) {
      lastWasSyn = false;
      continue;
    }
    const dir = st.dirAt(r);
    if (dir === 0 && isSynFlags(flags)) {
      const seq = st.seqAt(r);
      if (isn < 0) {
        isn = seq;
        b |= SCREEN_CLIENT_SYN;
      } else if (seq !== isn) b |= SCREEN_ATTEMPT;
      lastWasSyn = true;
      continue;
    }
    lastWasSyn = false;
    if (dir !== 1) continue;
    answered = true;
    const synAck = isSynAckFlags(flags);
    if (synAck && (isn < 0 || ((st.ackAt(r) - 1) >>> 0) !== isn)) b |= SCREEN_ATTEMPT;
    if (isn >= 0 && firstAnswer) {
      firstAnswer = false;
      if (!synAck && (flags & (TCP_SYN | TCP_RST | TCP_ACK)) === TCP_ACK && st.ackAt(r) !== ((isn + 1) >>> 0)) b |= SCREEN_BARE_ACK;
    }
  }
  if (isn >= 0 && (lastWasSyn || !answered)) b |= SCREEN_ATTEMPT;
  firstRst[i] = rst;
  return b;
}

/** Each bucket's bits or-ed, and whether its connections' rows follow each other in trace order;
 *  the frames of each connection's first and last rows from the fact table when it has them
 *  (`fromRows`), else from the store. */
function bucketed(sc: ConnectionScreen, st: SegmentStore, fromRows: ScreenColumns['rows']): void {
  const n = sc.bits.length;
  const bucketBits = new Uint8Array(sc.buckets);
  const bucketOrdered = new Uint8Array(sc.buckets).fill(1);
  const bucketLast = new Float64Array(sc.buckets).fill(-1);
  const firstRowFrame = fromRows !== null ? fromRows.firstRowFrame : new Float64Array(n).fill(-1);
  const lastRowFrame = fromRows !== null ? fromRows.lastRowFrame : new Float64Array(n).fill(-1);
  const bucketFirst = new Int32Array(sc.buckets).fill(-1);
  const bucketTail = new Int32Array(sc.buckets);
  const bucketNext = new Int32Array(n).fill(-1);
  const { bucketOf, bits, rowStart, rowEnd } = sc;
  for (let i = 0; i < n; i++) {
    const j = bucketOf[i];
    if (bucketFirst[j] < 0) bucketFirst[j] = i;
    else bucketNext[bucketTail[j]] = i;
    bucketTail[j] = i;
    bucketBits[j] |= bits[i];
    const start = rowStart[i];
    const end = rowEnd[i];
    if (end > start) {
      let first = firstRowFrame[i];
      let last = lastRowFrame[i];
      if (fromRows === null) {
        firstRowFrame[i] = first = st.frameAt(start);
        lastRowFrame[i] = last = st.frameAt(end - 1);
      }
      if (first <= bucketLast[j]) bucketOrdered[j] = 0;
      bucketLast[j] = last;
    }
  }
  sc.bucketFirst = bucketFirst;
  sc.bucketNext = bucketNext;
  sc.bucketBits = bucketBits;
  sc.bucketOrdered = bucketOrdered;
  sc.firstRowFrame = firstRowFrame;
  sc.lastRowFrame = lastRowFrame;
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
/** The connections with a retransmission, an RTO stall, a capture duplicate, a zero window or
 *  data acknowledged unseen (in trace order), for the rules that report on those counters
 *  (tcp/retransmissions, tcp/zero-window, tcp/zero-window-stall, capture/missing-segments): the
 *  screen's pass builds each health record once, instead of every such rule building one per
 *  connection (on 100,000 short connections nearly all are zero). */
export function connectionsWithHealth(trace: AnalysedTrace): HealthEntry[] {
  return connectionScreen(trace).health;
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
  return heartbeatKindOf(e, e.protocol);
}

/** heartbeatKind with the exchange's protocol already read */
function heartbeatKindOf(e: Exchange, protocol: Exchange['protocol']): HeartbeatKind | null {
  if (protocol === 'smb2') return e.command === 'ECHO' ? 'smb2-echo' : null;
  if (protocol !== 'rpc') return null;
  // NULL (procedure 0) of any program: the RPC ping
  const procedure = e.procedure;
  if (procedure === 0 && e.program >= 0) return 'rpc-null';
  // NFSv4 COMPOUND (program 100003 v4 procedure 1) carrying only RENEW (v4.0) or SEQUENCE (v4.1+)
  if (procedure === 1 && e.program === 100003 && e.version === 4) {
    const ops = e.args.ops;
    if (ops === 'RENEW') return 'nfs4-renew';
    if (ops === 'SEQUENCE') return 'nfs4-sequence';
  }
  return null;
}

// ------------------------------------------------------------------ the exchange screen

/** Bits of ExchangeScreen.bits. */
/** an ONC RPC exchange */
export const EXCHANGE_RPC = 1;
/** a heartbeat (heartbeatKind) */
export const EXCHANGE_HEARTBEAT = 2;
/** kind 'unanswered' */
export const EXCHANGE_UNANSWERED = 4;
/** kind 'pair' */
export const EXCHANGE_PAIR = 8;
/** a retransmission whose body differs from the original's (retransmit.body 'different') */
export const EXCHANGE_DIFFERENT_RETRANSMISSION = 16;
/** a pair whose status code is not 0 (not SUCCESS, NFS3_OK, STATUS_SUCCESS ...: an error, a
 *  refusal, or an intermediate status such as STATUS_MORE_PROCESSING_REQUIRED) */
export const EXCHANGE_PAIR_NOT_OK = 32;

export interface ExchangeScreen {
  /** per exchange (index into trace.exchanges): EXCHANGE_* bits */
  bits: Uint8Array;
  /** per exchange: its request and response frames (0 when not seen) */
  requestFrame: Float64Array;
  responseFrame: Float64Array;
  /** the protocols the exchanges speak, as the capture summary names them: an RPC exchange by
   *  its service ('NFSv3'), the others by their protocol upper-cased ('SMB2') */
  names: Set<string>;
}

const exchangeScreenCache = new WeakMap<AnalysedTrace, ExchangeScreen>();

/** One pass over every exchange reading the few fields the rules and the report screen them on
 *  (each a getter over the exchange's row: 150,000 exchanges read once here instead of once per
 *  rule). Memoised per trace. */
export function exchangeScreen(trace: AnalysedTrace): ExchangeScreen {
  const hit = exchangeScreenCache.get(trace);
  if (hit) return hit;
  const ex = trace.exchanges;
  const n = ex.length;
  const sc: ExchangeScreen = { bits: new Uint8Array(n), requestFrame: new Float64Array(n), responseFrame: new Float64Array(n), names: new Set() };
  const upper = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const e = ex[i];
    const protocol = e.protocol;
    let b = 0;
    if (protocol === 'rpc') {
      b |= EXCHANGE_RPC;
      sc.names.add(e.service);
    } else {
      // a handful of protocol names: each upper-cased once
      let u = upper.get(protocol);
      if (u === undefined) upper.set(protocol, (u = protocol.toUpperCase()));
      sc.names.add(u);
    }
    if (heartbeatKindOf(e, protocol) !== null) b |= EXCHANGE_HEARTBEAT;
    const kind = e.kind;
    if (kind === 'unanswered') b |= EXCHANGE_UNANSWERED;
    else if (kind === 'pair') b |= e.statusCode !== 0 ? EXCHANGE_PAIR | EXCHANGE_PAIR_NOT_OK : EXCHANGE_PAIR;
    const r = e.retransmit;
    if (r && r.body === 'different') b |= EXCHANGE_DIFFERENT_RETRANSMISSION;
    sc.bits[i] = b;
    sc.requestFrame[i] = e.requestFrame;
    sc.responseFrame[i] = e.responseFrame;
  }
  exchangeScreenCache.set(trace, sc);
  return sc;
}
