// A kept connection: the tracker's record, the per-connection facts, and its key segments as a run
// of rows in the trace's SegmentStore. `keySegments` builds the SegmentFact objects on first use
// and keeps them (a rule that reads them once will read them again, and object identity stays
// stable); connections no rule and no renderer asks about never get them.
//
// Everything a kept connection knows is a row of the trace's ConnFactTable: numbers in one
// Float64Array (the opener, state and end reason as codes, the addresses as indexes in a list of
// the distinct addresses), the history string and the few objects in arrays beside it. A KeptConnection is only the table
// and its row number (and its key segments once asked for); its fields are getters, and `health`,
// `connect`, `keepAlives`, `orig`, `resp` and the bigint times build a new value on every read (a
// rule reads them once per connection; short-lived objects cost the garbage collector nearly
// nothing, while objects of every kept connection that live as long as the trace are copied by
// young-generation collections and then promoted: with 100,000 connections that was a quarter of
// diagnose's time).

import type { ConnRecord, DirRecord } from '../tcp/tracker.js';
import { connState, OPENER_NAMES, type Conn, type ConnState, type Dir, type EndReason } from '../tcp/conn.js';
import { LABELS, type LabelName } from '../tcp/labels.js';
import { formatAddr } from '../wire/addr.js';
import { L3_IPV4 } from '../wire/packet.js';
import type { Builders } from './builders.js';
import type { SegmentStore } from './segment-store.js';
import type { ConnHealth, ConnectionFacts, SegmentFact } from './trace.js';

/** Fields of a row of ConnFactTable. */
const F_DATA0 = 0, F_DATA1 = 1, F_RETR0 = 2, F_RETR1 = 3, F_DUPS = 4, F_FIRST_DUP = 5, F_RTO_STALLS = 6, F_MAX_RTO_NS = 7,
  F_MAX_RTO_FRAME = 8, F_MAX_RTO_DIR = 9, F_ZW = 10, F_MAX_ZW_NS = 11, F_ZW_FRAME = 12, F_ZW_END_FRAME = 13, F_ZW_DIR = 14,
  F_SYN_FRAME = 15, F_SYN_REL = 16, F_SYNACK_FRAME = 17, F_SYNACK_REL = 18, F_KA_ZERO = 19, F_KA_ONE = 20, F_OMITTED = 21,
  // the tracker's record, the capture and the key-segment rows
  F_STREAM = 22, F_IPV = 23, F_ORIG_PORT = 24, F_RESP_PORT = 25, F_FIRST_FRAME = 26, F_LAST_FRAME = 27, F_HS_RTT = 28, F_REUSED = 29,
  F_CAPTURE = 30, F_ROW_START = 31, F_ROW_END = 32, F_FIRST_REL = 33, F_LAST_REL = 34,
  /** DirRecord fields (writeDir order, 6) of the originator, then of the responder */
  F_ORIG = 35, F_RESP = 41,
  /** the opener (index in OPENER_NAMES), Zeek state and end reason as codes (STATE_CODE,
   *  END_CODE), the addresses as indexes in the table's address list */
  F_OPENER = 47, F_STATE = 48, F_END = 49, F_ORIG_ADDR = 50, F_RESP_ADDR = 51,
  F_ACKED_UNSEEN = 52, F_FIRST_ACKED_UNSEEN = 53,
  /** the row's label counts: pairs (index in LABELS, count) at labelv[2 * F_LABEL_AT ..], F_LABEL_N of them */
  F_LABEL_AT = 54, F_LABEL_N = 55;
const FIELDS = 56;
/** codes of ConnState and EndReason in a row (a Record: a new state or reason must be given one) */
const STATE_CODE: Record<ConnState, number> = { S0: 0, S1: 1, SF: 2, REJ: 3, S2: 4, S3: 5, RSTO: 6, RSTR: 7, RSTOS0: 8, RSTRH: 9, SH: 10, SHR: 11, OTH: 12 };
const STATES = Object.keys(STATE_CODE) as ConnState[];
const END_CODE: Record<EndReason, number> = { closed: 0, idle: 1, evicted: 2, reused: 3, end: 4 };
const ENDS = Object.keys(END_CODE) as EndReason[];
const NO_VLANS: number[] = [];

/** The tracker's clock: its relative times (ns, as on a Conn) as absolute ns (TcpTracker.absNs). */
export interface TrackerClock {
  absNs(rel: number): bigint;
}
/** rows per chunk of the table (a power of two: row k is in chunk k >> CHUNK_SHIFT) */
const CHUNK_SHIFT = 11;
const CHUNK_MASK = (1 << CHUNK_SHIFT) - 1;
const NO_KEEP_ALIVES = Object.freeze({ zeroByte: 0, oneByte: 0 });
const NO_LABELS: Partial<Record<LabelName, number>> = Object.freeze({});
/** Label-count pairs the table starts with room for (they double when full). */
const INITIAL_LABEL_PAIRS = 1024;

/** Numeric facts of every kept connection of a trace, a row of FIELDS numbers each (bounded by
 *  the kept connections, trace.ts). */
/** Offset of row k's fields in its chunk. */
function off(k: number): number {
  return (k & CHUNK_MASK) * FIELDS;
}

function writeDir(v: Float64Array, at: number, d: Dir): void {
  v[at] = d.pkts;
  v[at + 1] = d.ipBytes;
  v[at + 2] = d.payload;
  v[at + 3] = d.retransmissions;
  v[at + 4] = d.mss;
  v[at + 5] = d.winScale;
}

/** ConnFactTable.screenColumns: per row k (= index in AnalysedTrace.connections, see
 *  AnalysedTrace.connectionFacts), the numbers of these ConnectionFacts fields. */
export interface ScreenColumns {
  /** rows */
  n: number;
  rowStart: Float64Array;
  rowEnd: Float64Array;
  capture: Float64Array;
  origPort: Float64Array;
  respPort: Float64Array;
  /** setupNs; NaN when the connection has no handshake (setupNs null) */
  setupNs: Float64Array;
  /** keepAlives.zeroByte + keepAlives.oneByte */
  keepAlives: Float64Array;
  /** 1 when healthShown(connection) */
  health: Uint8Array;
  /** last time - first time, ns; NaN when a time is not exact as a double (then read the getters) */
  durationNs: Float64Array;
}

export class ConnFactTable {
  length = 0;
  /** rows in chunks of CHUNK_ROWS (no copy when the table grows) */
  private readonly chunks: Float64Array[] = [];
  /** per row: the history letters (shared strings: the tracker caches the usual ones) */
  private readonly history: string[] = [];
  /** per row: VLAN ids (one shared empty list for the usual none) */
  private readonly vlans: number[][] = [];
  /** the label counts of every row that has any, as pairs (index in LABELS, count): numbers, not
   *  an object per connection that lives as long as the trace (nearly every connection of
   *  incident D has one, reused_ports); a row's pairs are in LABELS order */
  private labelv = new Float64Array(2 * INITIAL_LABEL_PAIRS);
  private labelPairs = 0;
  /** per capture: the absolute time of its first frame (rows hold times relative to it) */
  private readonly bases: bigint[] = [];
  /** per capture: its tracker's clock, and the ns from the first frame to the tracker's base */
  private readonly clockOf: TrackerClock[] = [];
  private readonly clockOffset: number[] = [];
  /** first/last times (key 2 * row + 0/1) that a relative number cannot hold exactly */
  private readonly inexact = new Map<number, bigint>();
  /** addresses seen, each formatted and kept once (a capture's connections share a few hosts):
   *  their index in addrList, by number for IPv4, by text for others */
  private readonly v4 = new Map<number, number>();
  private readonly addrs = new Map<string, number>();
  private readonly addrList: string[] = [];

  constructor(readonly store: SegmentStore) {}

  /** The row of a connection the tracker released (its live Conn, valid during the call only,
   *  with times relative to the tracker's time base): the capture (with the time of its first
   *  frame) and its key segments, rows [rowStart, rowEnd) of the store. The facts of the analysis
   *  are written with setFacts (zero until then). */
  addConn(c: Conn, reason: EndReason, tracker: TrackerClock, capture: number, baseNs: bigint, rowStart: number, rowEnd: number): number {
    const k = this.add();
    const v = this.c(k);
    const o = off(k);
    v[o + F_STREAM] = c.stream;
    v[o + F_IPV] = c.l3 === 6 ? 6 : 4;
    v[o + F_ORIG_PORT] = c.aPort;
    v[o + F_RESP_PORT] = c.bPort;
    v[o + F_FIRST_FRAME] = c.firstFrame;
    v[o + F_LAST_FRAME] = c.lastFrame;
    v[o + F_HS_RTT] = c.firstRtt > 0 ? c.firstRtt : -1;
    v[o + F_REUSED] = c.reusedPorts ? 1 : 0;
    v[o + F_CAPTURE] = capture;
    v[o + F_ROW_START] = rowStart;
    v[o + F_ROW_END] = rowEnd;
    if (this.bases[capture] !== baseNs || this.clockOf[capture] !== tracker) this.setClock(capture, baseNs, tracker);
    v[o + F_FIRST_REL] = this.relOf(k, 0, c.firstTime, tracker, capture, baseNs);
    v[o + F_LAST_REL] = this.relOf(k, 1, c.lastTime, tracker, capture, baseNs);
    writeDir(v, o + F_ORIG, c.d0);
    writeDir(v, o + F_RESP, c.d1);
    v[o + F_ORIG_ADDR] = this.addr(c.l3, c.a0, c.a1, c.a2, c.a3);
    v[o + F_RESP_ADDR] = this.addr(c.l3, c.b0, c.b1, c.b2, c.b3);
    v[o + F_OPENER] = c.opener;
    v[o + F_STATE] = STATE_CODE[connState(c)];
    v[o + F_END] = END_CODE[reason];
    this.history[k] = c.history;
    this.vlans[k] = c.vlans.length === 0 ? NO_VLANS : c.vlans.slice();
    return k;
  }

  /** Row k's label counts: `counts[at + i]` for the i-th of LABELS (a block of the analysis'
   *  LabelPool); the non-zero ones are kept. */
  setLabels(k: number, counts: Float64Array, at: number): void {
    const v = this.c(k);
    const o = off(k);
    v[o + F_LABEL_AT] = this.labelPairs;
    let n = 0;
    for (let i = 0; i < LABELS.length; i++) {
      const x = counts[at + i];
      if (x === 0) continue;
      if (2 * this.labelPairs + 2 > this.labelv.length) {
        const w = new Float64Array(this.labelv.length * 2);
        w.set(this.labelv);
        this.labelv = w;
      }
      this.labelv[2 * this.labelPairs] = i;
      this.labelv[2 * this.labelPairs + 1] = x;
      this.labelPairs++;
      n++;
    }
    v[o + F_LABEL_N] = n;
  }

  num(k: number, f: number): number {
    return this.c(k)[off(k) + f];
  }
  /** the address of field f (F_ORIG_ADDR, F_RESP_ADDR) of row k */
  addrOf(k: number, f: number): string {
    return this.addrList[this.c(k)[off(k) + f]];
  }
  historyOf(k: number): string {
    return this.history[k];
  }
  opener(k: number): ConnRecord['opener'] {
    return OPENER_NAMES[this.c(k)[off(k) + F_OPENER]];
  }
  state(k: number): ConnState {
    return STATES[this.c(k)[off(k) + F_STATE]];
  }
  endReason(k: number): EndReason {
    return ENDS[this.c(k)[off(k) + F_END]];
  }
  vlansOf(k: number): number[] {
    return this.vlans[k];
  }
  /** a new object on every read (none for a row without labels: one shared empty object) */
  labelsOf(k: number): Partial<Record<LabelName, number>> {
    const v = this.c(k);
    const n = v[off(k) + F_LABEL_N];
    if (n === 0) return NO_LABELS;
    const out: Partial<Record<LabelName, number>> = {};
    for (let j = v[off(k) + F_LABEL_AT], end = j + n; j < end; j++) out[LABELS[this.labelv[2 * j]][1]] = this.labelv[2 * j + 1];
    return out;
  }
  baseOf(k: number): bigint {
    return this.bases[this.c(k)[off(k) + F_CAPTURE]];
  }
  /** first (which 0) or last (1) time of row k, absolute ns */
  time(k: number, which: 0 | 1): bigint {
    const rel = this.c(k)[off(k) + (which === 0 ? F_FIRST_REL : F_LAST_REL)];
    if (Number.isNaN(rel)) return this.inexact.get(2 * k + which)!;
    return this.baseOf(k) + BigInt(rel);
  }
  dir(k: number, which: 0 | 1): DirRecord {
    const v = this.c(k);
    const at = off(k) + (which === 0 ? F_ORIG : F_RESP);
    return { pkts: v[at], ipBytes: v[at + 1], payload: v[at + 2], retransmissions: v[at + 3], mss: v[at + 4], windowScale: v[at + 5] };
  }

  /** The capture's first-frame time and the clock of its tracker, whose base (its first TCP
   *  frame) is `clockOffset` ns after it: NaN when that is not an exact number. */
  private setClock(capture: number, baseNs: bigint, tracker: TrackerClock): void {
    this.bases[capture] = baseNs;
    this.clockOf[capture] = tracker;
    const d = Number(tracker.absNs(0) - baseNs);
    this.clockOffset[capture] = Number.isSafeInteger(d) ? d : NaN;
  }

  /** A tracker time (ns since its base) as ns since the capture's first frame: the offset plus the
   *  time as the tracker rounds it (TcpTracker.absNs), in numbers while the sum is an exact
   *  integer; otherwise through the bigint absolute time (rel). */
  private relOf(k: number, which: 0 | 1, t: number, tracker: TrackerClock, capture: number, baseNs: bigint): number {
    const r = this.clockOffset[capture] + Math.round(t);
    if (Number.isSafeInteger(r)) return r;
    return this.rel(k, which, tracker.absNs(t), baseNs);
  }

  /** ns - base as an exact number, or NaN with ns kept aside */
  private rel(k: number, which: 0 | 1, ns: bigint, base: bigint): number {
    const d = ns - base;
    const n = Number(d);
    if (Number.isSafeInteger(n)) return n;
    this.inexact.set(2 * k + which, ns);
    return NaN;
  }

  /** The address's index in addrList, where it is formatted once (a capture's connections share
   *  a few hosts): IPv4 addresses are looked up by their number, IPv6 ones by their text. */
  private addr(l3: number, w0: number, w1: number, w2: number, w3: number): number {
    if (l3 === L3_IPV4) {
      const key = w0 | 0; // a small integer for the map, not a heap number
      const hit = this.v4.get(key);
      if (hit !== undefined) return hit;
      const i = this.addrList.push(formatAddr(l3, [w0])) - 1;
      this.v4.set(key, i);
      return i;
    }
    const a = formatAddr(l3, [w0, w1, w2, w3]);
    const hit = this.addrs.get(a);
    if (hit !== undefined) return hit;
    const i = this.addrList.push(a) - 1;
    this.addrs.set(a, i);
    return i;
  }

  /** A new row, all zero. */
  private add(): number {
    const k = this.length++;
    if ((k & CHUNK_MASK) === 0) this.chunks.push(new Float64Array((CHUNK_MASK + 1) * FIELDS));
    return k;
  }

  /** the chunk of row k (its fields start at off(k)) */
  private c(k: number): Float64Array {
    return this.chunks[k >> CHUNK_SHIFT];
  }

  /** Writes row k's analysis facts from builder slot b (builders.ts): the health counters (with
   *  the longest zero-window episode as analyse.ts closed it), the handshake, the keep-alives and
   *  the segments the key-segment bounds left out. */
  setFacts(k: number, B: Builders, b: number, maxZwNs: number, zwFrame: number, zwEndFrame: number, zwDir: number, omitted: number): void {
    const v = this.c(k);
    const o = off(k);
    v[o + F_DATA0] = B.dataSegments[2 * b];
    v[o + F_DATA1] = B.dataSegments[2 * b + 1];
    v[o + F_RETR0] = B.retransmittedData[2 * b];
    v[o + F_RETR1] = B.retransmittedData[2 * b + 1];
    v[o + F_DUPS] = B.captureDuplicates[b];
    v[o + F_FIRST_DUP] = B.firstDuplicateFrame[b];
    v[o + F_ACKED_UNSEEN] = B.ackedUnseen[b];
    v[o + F_FIRST_ACKED_UNSEEN] = B.firstAckedUnseenFrame[b];
    v[o + F_RTO_STALLS] = B.rtoStalls[b];
    v[o + F_MAX_RTO_NS] = B.maxRtoStallNs[b];
    v[o + F_MAX_RTO_FRAME] = B.maxRtoStallFrame[b];
    v[o + F_MAX_RTO_DIR] = B.maxRtoStallDir[b];
    v[o + F_ZW] = B.zeroWindows[b];
    v[o + F_MAX_ZW_NS] = maxZwNs;
    v[o + F_ZW_FRAME] = zwFrame;
    v[o + F_ZW_END_FRAME] = zwEndFrame;
    v[o + F_ZW_DIR] = zwDir;
    v[o + F_SYN_FRAME] = B.synFrame[b];
    v[o + F_SYN_REL] = B.synRel[b];
    v[o + F_SYNACK_FRAME] = B.synAckFrame[b];
    v[o + F_SYNACK_REL] = B.synAckRel[b];
    v[o + F_KA_ZERO] = B.zeroByteKa[b];
    v[o + F_KA_ONE] = B.oneByteKa[b];
    v[o + F_OMITTED] = omitted;
  }

  health(k: number): ConnHealth {
    const v = this.c(k);
    const o = off(k);
    return {
      dataSegments: [v[o + F_DATA0], v[o + F_DATA1]], retransmittedData: [v[o + F_RETR0], v[o + F_RETR1]], captureDuplicates: v[o + F_DUPS],
      firstDuplicateFrame: v[o + F_FIRST_DUP], ackedUnseen: v[o + F_ACKED_UNSEEN], firstAckedUnseenFrame: v[o + F_FIRST_ACKED_UNSEEN], rtoStalls: v[o + F_RTO_STALLS], maxRtoStallNs: v[o + F_MAX_RTO_NS], maxRtoStallFrame: v[o + F_MAX_RTO_FRAME],
      maxRtoStallDir: v[o + F_MAX_RTO_DIR] as 0 | 1, zeroWindows: v[o + F_ZW], maxZeroWindowNs: v[o + F_MAX_ZW_NS], zeroWindowFrame: v[o + F_ZW_FRAME],
      zeroWindowEndFrame: v[o + F_ZW_END_FRAME], zeroWindowDir: v[o + F_ZW_DIR] as 0 | 1,
    };
  }

  /** Columns of the fields a screen over every connection reads, row k at index k, filled in one
   *  pass over the rows (no getter per connection: a pass over 100,000 connections through the
   *  getters runs mostly before the loop is optimised). A new set on every call. */
  screenColumns(): ScreenColumns {
    const n = this.length;
    const s: ScreenColumns = {
      n, rowStart: new Float64Array(n), rowEnd: new Float64Array(n), capture: new Float64Array(n), origPort: new Float64Array(n),
      respPort: new Float64Array(n), setupNs: new Float64Array(n), keepAlives: new Float64Array(n), health: new Uint8Array(n),
      durationNs: new Float64Array(n),
    };
    for (let k = 0; k < n; k++) {
      const v = this.c(k);
      const o = off(k);
      s.durationNs[k] = v[o + F_LAST_REL] - v[o + F_FIRST_REL];
      s.rowStart[k] = v[o + F_ROW_START];
      s.rowEnd[k] = v[o + F_ROW_END];
      s.capture[k] = v[o + F_CAPTURE];
      s.origPort[k] = v[o + F_ORIG_PORT];
      s.respPort[k] = v[o + F_RESP_PORT];
      s.setupNs[k] = v[o + F_SYNACK_FRAME] === 0 ? NaN : v[o + F_SYNACK_REL] - v[o + F_SYN_REL];
      s.keepAlives[k] = v[o + F_KA_ZERO] + v[o + F_KA_ONE];
      s.health[k] = this.hasHealth(k) ? 1 : 0;
    }
    return s;
  }

  /** Whether any of the health counters a rule reports is non-zero (see healthShown). */
  hasHealth(k: number): boolean {
    const v = this.c(k);
    const o = off(k);
    return v[o + F_RETR0] !== 0 || v[o + F_RETR1] !== 0 || v[o + F_RTO_STALLS] !== 0 || v[o + F_MAX_RTO_NS] !== 0 || v[o + F_DUPS] !== 0
      || v[o + F_ZW] !== 0 || v[o + F_ACKED_UNSEEN] !== 0;
  }

  connect(k: number, baseNs: bigint): ConnectionFacts['connect'] {
    const v = this.c(k);
    const o = off(k);
    const synAckFrame = v[o + F_SYNACK_FRAME];
    if (synAckFrame === 0) return null;
    return {
      synFrame: v[o + F_SYN_FRAME], synNs: baseNs + BigInt(v[o + F_SYN_REL]), synAckFrame, synAckNs: baseNs + BigInt(v[o + F_SYNACK_REL]),
      setupNs: v[o + F_SYNACK_REL] - v[o + F_SYN_REL],
    };
  }

  /** connect.setupNs without building the object; null when there is no handshake */
  setupNs(k: number): number | null {
    const v = this.c(k);
    const o = off(k);
    return v[o + F_SYNACK_FRAME] === 0 ? null : v[o + F_SYNACK_REL] - v[o + F_SYN_REL];
  }

  keepAlives(k: number): { zeroByte: number; oneByte: number } {
    const zeroByte = this.c(k)[off(k) + F_KA_ZERO];
    const oneByte = this.c(k)[off(k) + F_KA_ONE];
    return zeroByte || oneByte ? { zeroByte, oneByte } : NO_KEEP_ALIVES;
  }

  omitted(k: number): number {
    return this.c(k)[off(k) + F_OMITTED];
  }
}

export class KeptConnection implements ConnectionFacts {
  private segs: SegmentFact[] | null = null;

  constructor(private readonly table: ConnFactTable, private readonly k: number) {}

  get stream(): number {
    return this.table.num(this.k, F_STREAM);
  }
  get ipVersion(): 4 | 6 {
    return this.table.num(this.k, F_IPV) as 4 | 6;
  }
  get vlans(): number[] {
    return this.table.vlansOf(this.k);
  }
  get origAddr(): string {
    return this.table.addrOf(this.k, F_ORIG_ADDR);
  }
  get origPort(): number {
    return this.table.num(this.k, F_ORIG_PORT);
  }
  get respAddr(): string {
    return this.table.addrOf(this.k, F_RESP_ADDR);
  }
  get respPort(): number {
    return this.table.num(this.k, F_RESP_PORT);
  }
  get opener(): ConnRecord['opener'] {
    return this.table.opener(this.k);
  }
  get firstNs(): bigint {
    return this.table.time(this.k, 0);
  }
  get lastNs(): bigint {
    return this.table.time(this.k, 1);
  }
  get firstFrame(): number {
    return this.table.num(this.k, F_FIRST_FRAME);
  }
  get lastFrame(): number {
    return this.table.num(this.k, F_LAST_FRAME);
  }
  get handshakeRttNs(): number {
    return this.table.num(this.k, F_HS_RTT);
  }
  get history(): string {
    return this.table.historyOf(this.k);
  }
  get state(): ConnRecord['state'] {
    return this.table.state(this.k);
  }
  get reusedPorts(): boolean {
    return this.table.num(this.k, F_REUSED) === 1;
  }
  /** a new object on every read */
  get orig(): DirRecord {
    return this.table.dir(this.k, 0);
  }
  /** a new object on every read */
  get resp(): DirRecord {
    return this.table.dir(this.k, 1);
  }
  get endReason(): ConnRecord['endReason'] {
    return this.table.endReason(this.k);
  }
  get capture(): number {
    return this.table.num(this.k, F_CAPTURE);
  }
  get baseNs(): bigint {
    return this.table.baseOf(this.k);
  }
  get keyRowStart(): number {
    return this.table.num(this.k, F_ROW_START);
  }
  get keyRowEnd(): number {
    return this.table.num(this.k, F_ROW_END);
  }
  /** a new object on every read (see the top of this file) */
  get labelCounts(): Partial<Record<LabelName, number>> {
    return this.table.labelsOf(this.k);
  }

  /** segments not kept because the connection had more than the key-segment bounds */
  get segmentsOmitted(): number {
    return this.table.omitted(this.k);
  }
  /** a new object on every read (see the top of this file) */
  get health(): ConnHealth {
    return this.table.health(this.k);
  }
  /** a new object on every read (see the top of this file) */
  get connect(): ConnectionFacts['connect'] {
    return this.table.connect(this.k, this.baseNs);
  }
  get setupNs(): number | null {
    return this.table.setupNs(this.k);
  }
  get keepAlives(): { zeroByte: number; oneByte: number } {
    return this.table.keepAlives(this.k);
  }

  /** healthShown(this.health), read from the row without building the health object */
  get hasHealth(): boolean {
    return this.table.hasHealth(this.k);
  }

  get keySegments(): SegmentFact[] {
    if (this.segs === null) this.segs = this.table.store.facts(this.keyRowStart, this.keyRowEnd, this.baseNs);
    return this.segs;
  }
}

/** Whether a connection has any of these health counters non-zero: retransmitted data (either
 *  direction), RTO stalls (or a longest stall), capture duplicates, zero windows, holes
 *  acknowledged unseen. A screen for the health rules: for a kept connection it reads the fact
 *  row and builds no object. */
export function healthShown(c: ConnectionFacts): boolean {
  if (c instanceof KeptConnection) return c.hasHealth;
  const h = c.health;
  return h.retransmittedData[0] !== 0 || h.retransmittedData[1] !== 0 || h.rtoStalls !== 0 || h.maxRtoStallNs !== 0 || h.captureDuplicates !== 0
    || h.zeroWindows !== 0 || h.ackedUnseen !== 0;
}
