// A kept connection: the tracker's record, the per-connection facts, and its key segments as a run
// of rows in the trace's SegmentStore. `keySegments` builds the SegmentFact objects on first use
// and keeps them (a rule that reads them once will read them again, and object identity stays
// stable); connections no rule and no renderer asks about never get them.
//
// Everything a kept connection knows is a row of the trace's ConnFactTable: 288 bytes of numbers,
// 11 doubles (times, byte counts) and 50 32-bit integers (frames, counts, ports; the opener, state
// and end reason as codes, an IPv4 address as its number, an IPv6 one as its index in a list; what
// the connection screen reads of its key-segment rows and FACT_* bits), the history string and the
// few objects in arrays beside it (56 doubles, 448 bytes, before: the narrower row is 17 MB less
// peak memory on incident D's 100,000 connections; the CPU time of writing it was the same). A
// KeptConnection is only the table
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
import { L3_IPV4, L3_IPV6 } from '../wire/packet.js';
import { FW_DIR_FIELDS, FW_FIRST_FRAME, FW_FULL, FW_RTT_MAX, FW_RTT_MAX_FRAME, FW_RTT_N, FW_RTT_SUM, type Builders } from './builders.js';
import type { SegmentStore } from './segment-store.js';
import type { AckStallFacts, ConnHealth, ConnectionFacts, FullWindowFacts, OddResetTtl, SegmentFact } from './trace.js';

/** Fields of a row of ConnFactTable. A row is ROW_BYTES of its chunk's buffer, read through two
 *  views of it: first the wide fields, WIDE doubles (times in ns, which are NaN when not exact,
 *  and the byte counts, which pass 2^32 on a long connection), then the narrow fields, NARROW
 *  32-bit integers (frames, counts, ports, codes, row numbers: 196 bytes where doubles took 392).
 *  A narrow field whose value is not an integer of Int32's range (a frame past 2^31 - 1 in a
 *  capture of more frames than that, a count as large) is never cut: its slot holds ESCAPED and
 *  the value is kept in the table's `escaped` map (key row * NARROW + field); `num` reads it back. */
// wide fields
const W_MAX_RTO_NS = 0, W_MAX_ZW_NS = 1, W_SYN_REL = 2, W_SYNACK_REL = 3, W_HS_RTT = 4, W_FIRST_REL = 5, W_LAST_REL = 6,
  /** ipBytes, payload of the originator, then of the responder */
  W_ORIG_BYTES = 7, W_RESP_BYTES = 9;
const WIDE = 11;
// narrow fields
const F_DATA0 = 0, F_DATA1 = 1, F_RETR0 = 2, F_RETR1 = 3, F_DUPS = 4, F_FIRST_DUP = 5, F_RTO_STALLS = 6, F_MAX_RTO_FRAME = 7,
  F_MAX_RTO_DIR = 8, F_ZW = 9, F_ZW_FRAME = 10, F_ZW_END_FRAME = 11, F_ZW_DIR = 12, F_SYN_FRAME = 13, F_SYNACK_FRAME = 14,
  F_KA_ZERO = 15, F_KA_ONE = 16, F_OMITTED = 17,
  // the tracker's record, the capture and the key-segment rows
  F_STREAM = 18, F_IPV = 19, F_ORIG_PORT = 20, F_RESP_PORT = 21, F_FIRST_FRAME = 22, F_LAST_FRAME = 23, F_REUSED = 24,
  F_CAPTURE = 25, F_ROW_START = 26, F_ROW_END = 27,
  /** DirRecord's narrow fields (pkts, retransmissions, mss, windowScale) of the originator, then of the responder */
  F_ORIG = 28, F_RESP = 32,
  /** the opener (index in OPENER_NAMES), Zeek state and end reason as codes (STATE_CODE,
   *  END_CODE), the addresses: an IPv4 address as its number (text on first read), an IPv6 one as
   *  its index in the table's address list */
  F_OPENER = 36, F_STATE = 37, F_END = 38, F_ORIG_ADDR = 39, F_RESP_ADDR = 40,
  F_ACKED_UNSEEN = 41, F_FIRST_ACKED_UNSEEN = 42,
  /** the row's label counts: pairs (index in LABELS, count) at labelv[2 * F_LABEL_AT ..], F_LABEL_N of them */
  F_LABEL_AT = 43, F_LABEL_N = 44,
  /** what the connection screen (views.ts) reads of the key-segment rows, taken from them as they
   *  were moved into the store (setScreen): the SCREEN_* bits, the first RST row (-1: none), the
   *  frames of the first and last rows (-1: no rows) */
  F_SCREEN = 45, F_FIRST_RST = 46, F_FIRST_ROW_FRAME = 47, F_LAST_ROW_FRAME = 48,
  /** the FACT_* bits of the connection (keep-alives, a reset in the history, a health counter) */
  F_FACTS = 49;
const NARROW = 50;
/** bytes of a row (a multiple of 8, so that every row's doubles are aligned) */
const ROW_BYTES = 8 * Math.ceil((8 * WIDE + 4 * NARROW) / 8);
const ROW_DOUBLES = ROW_BYTES / 8;
const ROW_INTS = ROW_BYTES / 4;
/** Bits of a row's F_FACTS (ConnectionScreen.facts, views.ts): numbers of the connection itself
 *  that a rule screens on. */
/** TCP keep-alives were seen (tcp/keepalive) */
export const FACT_KEEPALIVE = 1;
/** a reset in the history letters ('R' or 'r': the report's reset count) */
export const FACT_HISTORY_RESET = 2;
/** a non-zero health counter (healthShown: the health rules) */
export const FACT_HEALTH = 4;

/** FACT_HISTORY_RESET of a history string */
export function historyReset(h: string): number {
  return h.includes('R') || h.includes('r') ? FACT_HISTORY_RESET : 0;
}

/** historyText's keys: 7 bits per letter; the first FIRST_LETTERS letters make one key, the
 *  length and the other letters (up to 7 more) the other, each below 2^53 (14 * 2^49) */
const FIRST_LETTERS = 7;
const LONG_HISTORY_LETTERS = 14;
/** distinct long histories kept at once (the cache starts over when full): captures have a few
 *  dozen; one with connections that all differ must not grow it without end */
const LONG_HISTORY_CACHE_MAX = 4096;
/** a narrow slot whose value is in the escaped map (Int32's minimum: no field holds it) */
const ESCAPED = -0x80000000;
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

/** Where row k's doubles start in its chunk's Float64Array. */
function woff(k: number): number {
  return (k & CHUNK_MASK) * ROW_DOUBLES;
}
/** Where row k's narrow fields start in its chunk's Int32Array. */
function noff(k: number): number {
  return (k & CHUNK_MASK) * ROW_INTS + 2 * WIDE;
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
  /** FACT_* bits: keep-alives seen, a reset in the history, healthShown(connection) */
  facts: Uint8Array;
  /** last time - first time, ns; NaN when a time is not exact as a double (then read the getters) */
  durationNs: Float64Array;
  /** what views.ts rowBits finds in each connection's key-segment rows, as the fact table took it
   *  when the rows were moved into the store: the SCREEN_* bits (without the ICMP part), the first
   *  RST row (-1: none), the frames of the first and last rows (-1: none). null when the columns
   *  were read through the getters (the connection screen then walks the rows). */
  rows: { bits: Uint8Array; firstRst: Int32Array; firstRowFrame: Float64Array; lastRowFrame: Float64Array } | null;
}

/** Rows the screen's running columns hold at first; they double when full. */
const INITIAL_SCREEN_ROWS = 1024;

/** The columns of ScreenColumns for the rows sealed so far (ConnFactTable.seal), `cap` rows each. */
class ScreenCopy {
  readonly rowStart: Float64Array;
  readonly rowEnd: Float64Array;
  readonly capture: Float64Array;
  readonly origPort: Float64Array;
  readonly respPort: Float64Array;
  readonly setupNs: Float64Array;
  readonly facts: Uint8Array;
  readonly durationNs: Float64Array;
  readonly bits: Uint8Array;
  readonly firstRst: Int32Array;
  readonly firstRowFrame: Float64Array;
  readonly lastRowFrame: Float64Array;

  constructor(readonly cap: number, from?: ScreenCopy) {
    this.rowStart = new Float64Array(cap);
    this.rowEnd = new Float64Array(cap);
    this.capture = new Float64Array(cap);
    this.origPort = new Float64Array(cap);
    this.respPort = new Float64Array(cap);
    this.setupNs = new Float64Array(cap);
    this.facts = new Uint8Array(cap);
    this.durationNs = new Float64Array(cap);
    this.bits = new Uint8Array(cap);
    this.firstRst = new Int32Array(cap);
    this.firstRowFrame = new Float64Array(cap);
    this.lastRowFrame = new Float64Array(cap);
    if (from === undefined) return;
    this.rowStart.set(from.rowStart);
    this.rowEnd.set(from.rowEnd);
    this.capture.set(from.capture);
    this.origPort.set(from.origPort);
    this.respPort.set(from.respPort);
    this.setupNs.set(from.setupNs);
    this.facts.set(from.facts);
    this.durationNs.set(from.durationNs);
    this.bits.set(from.bits);
    this.firstRst.set(from.firstRst);
    this.firstRowFrame.set(from.firstRowFrame);
    this.lastRowFrame.set(from.lastRowFrame);
  }

  /** The same columns with twice the rows. */
  grown(): ScreenCopy {
    return new ScreenCopy(2 * this.cap, this);
  }
}

export class ConnFactTable {
  length = 0;
  /** rows in chunks of CHUNK_ROWS rows (no copy when the table grows): each chunk's buffer seen
   *  as doubles (the wide fields) and as 32-bit integers (the narrow ones) */
  private readonly wides: Float64Array[] = [];
  private readonly narrows: Int32Array[] = [];
  /** narrow fields whose value did not fit (ESCAPED in the row), by row * NARROW + field */
  private readonly escaped = new Map<number, number>();
  /** the screen's numbers of rows [0, sealed), copied as each row was sealed (screenColumns) */
  private screen = new ScreenCopy(INITIAL_SCREEN_ROWS);
  private sealed = 0;
  /** histories of FIRST_LETTERS + 1 to LONG_HISTORY_LETTERS letters (historyText), and how many */
  private readonly longHistories = new Map<number, Map<number, string>>();
  private longHistoryCount = 0;
  /** per row: the history letters (shared strings: the tracker caches the usual ones) */
  private readonly history: string[] = [];
  /** per row: VLAN ids (one shared empty list for the usual none) */
  private readonly vlans: number[][] = [];
  /** the label counts of every row that has any, as pairs (index in LABELS, count): numbers, not
   *  an object per connection that lives as long as the trace (nearly every connection of
   *  incident D has one, reused_ports); a row's pairs are in LABELS order */
  private labelv = new Float64Array(2 * INITIAL_LABEL_PAIRS);
  private labelPairs = 0;
  /** facts only a few connections have (a sender that filled the window, a RST with another TTL
   *  than its sender's, waits for delayed ACKs), by row: an object each, kept as long as the trace */
  private readonly fullWindowOf = new Map<number, FullWindowFacts>();
  private readonly oddResetOf = new Map<number, OddResetTtl>();
  /** row -> its delayed-ACK stalls (few rows: an object each) */
  private readonly stallsOf = new Map<number, AckStallFacts>();
  /** per capture: the absolute time of its first frame (rows hold times relative to it) */
  private readonly bases: bigint[] = [];
  /** per capture: its tracker's clock, and the ns from the first frame to the tracker's base */
  private readonly clockOf: TrackerClock[] = [];
  private readonly clockOffset: number[] = [];
  /** first/last times (key 2 * row + 0/1) that a relative number cannot hold exactly */
  private readonly inexact = new Map<number, bigint>();
  /** IPv6 addresses seen, each formatted and kept once (a capture's connections share a few
   *  hosts): their index in addrList, by text. An IPv4 address is its number in the row. */
  private readonly addrs = new Map<string, number>();
  private readonly addrList: string[] = [];
  /** IPv4 addresses as text, each formatted on its first read (a rule or an output asking): a
   *  capture of 20,000 clients formatted and looked up 20,000 addresses at the connections' ends
   *  (20-40 ms of short-20000c's profile) that the terminal report never shows */
  private readonly v4Text = new Map<number, string>();

  constructor(readonly store: SegmentStore) {}

  /** The row of a connection the tracker released (its live Conn, valid during the call only,
   *  with times relative to the tracker's time base): the capture (with the time of its first
   *  frame) and its key segments, rows [rowStart, rowEnd) of the store. The facts of the analysis
   *  are written with setFacts (zero until then), what the screen reads of the rows with
   *  setScreen (until then: none, as for no rows). */
  addConn(c: Conn, reason: EndReason, tracker: TrackerClock, capture: number, baseNs: bigint, rowStart: number, rowEnd: number): number {
    const k = this.add();
    const w = this.wides[k >> CHUNK_SHIFT];
    const x = this.narrows[k >> CHUNK_SHIFT];
    const o = woff(k);
    const p = noff(k);
    this.put(x, p, k, F_STREAM, c.stream);
    const v6 = c.l3 === L3_IPV6;
    x[p + F_IPV] = v6 ? 6 : 4;
    x[p + F_ORIG_PORT] = c.aPort;
    x[p + F_RESP_PORT] = c.bPort;
    this.put(x, p, k, F_FIRST_FRAME, c.firstFrame);
    this.put(x, p, k, F_LAST_FRAME, c.lastFrame);
    w[o + W_HS_RTT] = c.firstRtt > 0 ? c.firstRtt : -1;
    x[p + F_REUSED] = c.reusedPorts ? 1 : 0;
    this.put(x, p, k, F_CAPTURE, capture);
    this.put(x, p, k, F_ROW_START, rowStart);
    this.put(x, p, k, F_ROW_END, rowEnd);
    if (this.bases[capture] !== baseNs || this.clockOf[capture] !== tracker) this.setClock(capture, baseNs, tracker);
    w[o + W_FIRST_REL] = this.relOf(k, 0, c.firstTime, tracker, capture, baseNs);
    w[o + W_LAST_REL] = this.relOf(k, 1, c.lastTime, tracker, capture, baseNs);
    this.writeDir(w, o + W_ORIG_BYTES, x, p, k, F_ORIG, c.d0);
    this.writeDir(w, o + W_RESP_BYTES, x, p, k, F_RESP, c.d1);
    // IPv4: the address itself (as an Int32: 128.0.0.0 is ESCAPED, put keeps it aside); IPv6: its index in addrList
    this.put(x, p, k, F_ORIG_ADDR, v6 ? this.addr6(c.a0, c.a1, c.a2, c.a3) : c.a0 | 0);
    this.put(x, p, k, F_RESP_ADDR, v6 ? this.addr6(c.b0, c.b1, c.b2, c.b3) : c.b0 | 0);
    x[p + F_OPENER] = c.opener;
    x[p + F_STATE] = STATE_CODE[connState(c)];
    x[p + F_END] = END_CODE[reason];
    x[p + F_FIRST_RST] = x[p + F_FIRST_ROW_FRAME] = x[p + F_LAST_ROW_FRAME] = -1;
    const history = this.historyText(c);
    x[p + F_FACTS] = historyReset(history);
    this.history[k] = history;
    this.vlans[k] = c.vlans.length === 0 ? NO_VLANS : c.vlans.slice();
    return k;
  }

  /** The connection's history letters as a string, shared by the connections with the same
   *  letters: the tracker caches histories of up to 7 letters (Conn.history), and the ones of 8 to
   *  LONG_HISTORY_LETTERS are cached here by two numbers (the first 7 letters; the length and the
   *  rest). A capture of short connections has thousands of 'ShADadFf' (8 letters): without this
   *  each was a typed-array view, a spread call and a string of its own that lived as long as the
   *  trace. */
  private historyText(c: Conn): string {
    const n = c.historyLen;
    if (n <= FIRST_LETTERS || n > LONG_HISTORY_LETTERS) return c.history;
    const codes = c.historyBytes;
    const h = c.historyStart;
    let head = 0;
    for (let i = 0; i < FIRST_LETTERS; i++) head = head * 128 + codes[h + i];
    let tail = n;
    for (let i = FIRST_LETTERS; i < n; i++) tail = tail * 128 + codes[h + i];
    let byTail = this.longHistories.get(head);
    let s = byTail?.get(tail);
    if (s !== undefined) return s;
    s = c.history;
    if (this.longHistoryCount >= LONG_HISTORY_CACHE_MAX) {
      this.longHistories.clear();
      this.longHistoryCount = 0;
      byTail = undefined;
    }
    if (byTail === undefined) this.longHistories.set(head, (byTail = new Map()));
    byTail.set(tail, s);
    this.longHistoryCount++;
    return s;
  }

  /** Narrow field f of the row whose fields start at x[p] (row k): x, or ESCAPED and x aside when
   *  x is not an Int32 (never cut). */
  private put(x: Int32Array, p: number, k: number, f: number, v: number): void {
    if ((v | 0) === v && v !== ESCAPED) x[p + f] = v;
    else {
      x[p + f] = ESCAPED;
      this.escaped.set(k * NARROW + f, v);
    }
  }

  private writeDir(w: Float64Array, o: number, x: Int32Array, p: number, k: number, f: number, d: Dir): void {
    w[o] = d.ipBytes;
    w[o + 1] = d.payload;
    this.put(x, p, k, f, d.pkts);
    this.put(x, p, k, f + 1, d.retransmissions);
    this.put(x, p, k, f + 2, d.mss);
    this.put(x, p, k, f + 3, d.winScale);
  }

  /** What the connection screen reads of row k's key-segment rows (views.ts rowBits over them,
   *  taken as they were moved into the store): the SCREEN_* bits, the first RST row (-1: none)
   *  and the frames of the first and last rows. */
  setScreen(k: number, bits: number, firstRst: number, firstRowFrame: number, lastRowFrame: number): void {
    const x = this.narrows[k >> CHUNK_SHIFT];
    const p = noff(k);
    x[p + F_SCREEN] = bits;
    this.put(x, p, k, F_FIRST_RST, firstRst);
    this.put(x, p, k, F_FIRST_ROW_FRAME, firstRowFrame);
    this.put(x, p, k, F_LAST_ROW_FRAME, lastRowFrame);
  }

  /** Row k's label counts: `counts[at + i]` for the i-th of LABELS (a block of the analysis'
   *  label pool, builders.ts); the non-zero ones are kept. */
  setLabels(k: number, counts: Float64Array, at: number): void {
    const x = this.narrows[k >> CHUNK_SHIFT];
    const p = noff(k);
    this.put(x, p, k, F_LABEL_AT, this.labelPairs);
    let n = 0;
    for (let i = 0; i < LABELS.length; i++) {
      const v = counts[at + i];
      if (v === 0) continue;
      if (2 * this.labelPairs + 2 > this.labelv.length) {
        const grown = new Float64Array(this.labelv.length * 2);
        grown.set(this.labelv);
        this.labelv = grown;
      }
      this.labelv[2 * this.labelPairs] = i;
      this.labelv[2 * this.labelPairs + 1] = v;
      this.labelPairs++;
      n++;
    }
    x[p + F_LABEL_N] = n;
  }

  /** Row k's full-window facts from a block of the analysis' fullWindowPool (`v[at..]`, per
   *  direction FW_DIR_FIELDS numbers): those of the direction with the most window_full segments
   *  (the originator's on a tie). */
  setFullWindow(k: number, v: Float64Array, at: number): void {
    const dir = v[at + FW_DIR_FIELDS + FW_FULL] > v[at + FW_FULL] ? 1 : 0;
    const d = at + dir * FW_DIR_FIELDS;
    if (v[d + FW_FULL] === 0) return;
    const n = v[d + FW_RTT_N];
    this.fullWindowOf.set(k, {
      dir, fullSegments: v[d + FW_FULL], firstFullFrame: v[d + FW_FIRST_FRAME], rttSamples: n, rttMeanNs: n > 0 ? v[d + FW_RTT_SUM] / n : 0,
      rttMaxNs: v[d + FW_RTT_MAX], rttMaxFrame: v[d + FW_RTT_MAX_FRAME],
    });
  }

  /** Row k's delayed-ACK stalls (AckStallFacts), from builder slot b. */
  setStalls(k: number, B: Builders, b: number): void {
    this.stallsOf.set(k, {
      dir: B.stallDir[b] as 0 | 1, stalls: B.stallN[b], totalNs: B.stallNs[b], maxNs: B.stallMaxNs[b], releasedBytes: B.stallBytes[b],
      dataFrame: B.stallDataFrame[b], ackFrame: B.stallAckFrame[b], releaseFrame: B.stallReleaseFrame[b],
    });
  }

  /** row k's delayed-ACK stalls (the same object on every read), null when none */
  stalls(k: number): AckStallFacts | null {
    return this.stallsOf.get(k) ?? null;
  }

  /** Rows with delayed-ACK stalls. */
  get stalledRows(): number {
    return this.stallsOf.size;
  }

  /** Rows that have an odd-TTL reset (a rule over them can skip a trace that has none). */
  get oddResets(): number {
    return this.oddResetOf.size;
  }

  /** Row k's odd-TTL reset. */
  setOddReset(k: number, dir: 0 | 1, frame: number, ttl: number, senderTtl: number): void {
    this.oddResetOf.set(k, { dir, frame, ttl, senderTtl });
  }

  /** row k's odd-TTL reset (the same object on every read), null when none */
  oddReset(k: number): OddResetTtl | null {
    return this.oddResetOf.get(k) ?? null;
  }

  /** row k's full-window facts (the same object on every read), null when no sender filled the window */
  fullWindow(k: number): FullWindowFacts | null {
    return this.fullWindowOf.get(k) ?? null;
  }

  /** narrow field f of row k */
  num(k: number, f: number): number {
    const v = this.narrows[k >> CHUNK_SHIFT][noff(k) + f];
    return v !== ESCAPED ? v : this.escaped.get(k * NARROW + f)!;
  }
  /** wide field f of row k */
  private wide(k: number, f: number): number {
    return this.wides[k >> CHUNK_SHIFT][woff(k) + f];
  }
  handshakeRtt(k: number): number {
    return this.wide(k, W_HS_RTT);
  }
  /** the address of field f (F_ORIG_ADDR, F_RESP_ADDR) of row k (one string per distinct address) */
  addrOf(k: number, f: number): string {
    const v = this.num(k, f);
    if (this.num(k, F_IPV) === 6) return this.addrList[v];
    let text = this.v4Text.get(v);
    if (text === undefined) this.v4Text.set(v, (text = formatAddr(L3_IPV4, [v >>> 0])));
    return text;
  }
  historyOf(k: number): string {
    return this.history[k];
  }
  opener(k: number): ConnRecord['opener'] {
    return OPENER_NAMES[this.num(k, F_OPENER)];
  }
  state(k: number): ConnState {
    return STATES[this.num(k, F_STATE)];
  }
  endReason(k: number): EndReason {
    return ENDS[this.num(k, F_END)];
  }
  vlansOf(k: number): number[] {
    return this.vlans[k];
  }
  /** a new object on every read (none for a row without labels: one shared empty object) */
  labelsOf(k: number): Partial<Record<LabelName, number>> {
    const n = this.num(k, F_LABEL_N);
    if (n === 0) return NO_LABELS;
    const out: Partial<Record<LabelName, number>> = {};
    for (let j = this.num(k, F_LABEL_AT), end = j + n; j < end; j++) out[LABELS[this.labelv[2 * j]][1]] = this.labelv[2 * j + 1];
    return out;
  }
  baseOf(k: number): bigint {
    return this.bases[this.num(k, F_CAPTURE)];
  }
  /** first (which 0) or last (1) time of row k, absolute ns */
  time(k: number, which: 0 | 1): bigint {
    const rel = this.wide(k, which === 0 ? W_FIRST_REL : W_LAST_REL);
    if (Number.isNaN(rel)) return this.inexact.get(2 * k + which)!;
    return this.baseOf(k) + BigInt(rel);
  }
  dir(k: number, which: 0 | 1): DirRecord {
    const o = which === 0 ? W_ORIG_BYTES : W_RESP_BYTES;
    const f = which === 0 ? F_ORIG : F_RESP;
    return {
      pkts: this.num(k, f), ipBytes: this.wide(k, o), payload: this.wide(k, o + 1), retransmissions: this.num(k, f + 1), mss: this.num(k, f + 2),
      windowScale: this.num(k, f + 3),
    };
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

  /** The IPv6 address's index in addrList, where it is formatted once. */
  private addr6(w0: number, w1: number, w2: number, w3: number): number {
    const a = formatAddr(L3_IPV6, [w0, w1, w2, w3]);
    const hit = this.addrs.get(a);
    if (hit !== undefined) return hit;
    const i = this.addrList.push(a) - 1;
    this.addrs.set(a, i);
    return i;
  }

  /** A new row, all zero. */
  private add(): number {
    const k = this.length++;
    if ((k & CHUNK_MASK) === 0) {
      const buf = new ArrayBuffer((CHUNK_MASK + 1) * ROW_BYTES);
      this.wides.push(new Float64Array(buf));
      this.narrows.push(new Int32Array(buf));
    }
    return k;
  }

  /** Writes row k's analysis facts from builder slot b (builders.ts): the health counters (with
   *  the longest zero-window episode as analyse.ts closed it), the handshake, the keep-alives and
   *  the segments the key-segment bounds left out. */
  setFacts(k: number, B: Builders, b: number, maxZwNs: number, zwFrame: number, zwEndFrame: number, zwDir: number, omitted: number): void {
    const w = this.wides[k >> CHUNK_SHIFT];
    const x = this.narrows[k >> CHUNK_SHIFT];
    const o = woff(k);
    const p = noff(k);
    this.put(x, p, k, F_DATA0, B.dataSegments[2 * b]);
    this.put(x, p, k, F_DATA1, B.dataSegments[2 * b + 1]);
    this.put(x, p, k, F_RETR0, B.retransmittedData[2 * b]);
    this.put(x, p, k, F_RETR1, B.retransmittedData[2 * b + 1]);
    this.put(x, p, k, F_DUPS, B.captureDuplicates[b]);
    this.put(x, p, k, F_FIRST_DUP, B.firstDuplicateFrame[b]);
    this.put(x, p, k, F_ACKED_UNSEEN, B.ackedUnseen[b]);
    this.put(x, p, k, F_FIRST_ACKED_UNSEEN, B.firstAckedUnseenFrame[b]);
    this.put(x, p, k, F_RTO_STALLS, B.rtoStalls[b]);
    w[o + W_MAX_RTO_NS] = B.maxRtoStallNs[b];
    this.put(x, p, k, F_MAX_RTO_FRAME, B.maxRtoStallFrame[b]);
    x[p + F_MAX_RTO_DIR] = B.maxRtoStallDir[b];
    this.put(x, p, k, F_ZW, B.zeroWindows[b]);
    w[o + W_MAX_ZW_NS] = maxZwNs;
    this.put(x, p, k, F_ZW_FRAME, zwFrame);
    this.put(x, p, k, F_ZW_END_FRAME, zwEndFrame);
    this.put(x, p, k, F_ZW_DIR, zwDir);
    this.put(x, p, k, F_SYN_FRAME, B.synFrame[b]);
    w[o + W_SYN_REL] = B.synRel[b];
    this.put(x, p, k, F_SYNACK_FRAME, B.synAckFrame[b]);
    w[o + W_SYNACK_REL] = B.synAckRel[b];
    this.put(x, p, k, F_KA_ZERO, B.zeroByteKa[b]);
    this.put(x, p, k, F_KA_ONE, B.oneByteKa[b]);
    this.put(x, p, k, F_OMITTED, omitted);
    x[p + F_FACTS] = (x[p + F_FACTS] & FACT_HISTORY_RESET) | (B.zeroByteKa[b] + B.oneByteKa[b] > 0 ? FACT_KEEPALIVE : 0) | (this.hasHealth(k) ? FACT_HEALTH : 0);
  }

  health(k: number): ConnHealth {
    const n = (f: number): number => this.num(k, f);
    return {
      dataSegments: [n(F_DATA0), n(F_DATA1)], retransmittedData: [n(F_RETR0), n(F_RETR1)], captureDuplicates: n(F_DUPS),
      firstDuplicateFrame: n(F_FIRST_DUP), ackedUnseen: n(F_ACKED_UNSEEN), firstAckedUnseenFrame: n(F_FIRST_ACKED_UNSEEN), rtoStalls: n(F_RTO_STALLS),
      maxRtoStallNs: this.wide(k, W_MAX_RTO_NS), maxRtoStallFrame: n(F_MAX_RTO_FRAME), maxRtoStallDir: n(F_MAX_RTO_DIR) as 0 | 1, zeroWindows: n(F_ZW),
      maxZeroWindowNs: this.wide(k, W_MAX_ZW_NS), zeroWindowFrame: n(F_ZW_FRAME), zeroWindowEndFrame: n(F_ZW_END_FRAME), zeroWindowDir: n(F_ZW_DIR) as 0 | 1,
    };
  }

  /** Columns of the fields a screen over every connection reads, row k at index k, without a
   *  getter per connection. They are filled as the rows are sealed (seal: the analysis seals each
   *  connection's row as the last step of writing it, in optimised code and with the row in
   *  cache), so a call only copies the rows not sealed yet. A pass over every row here, once a
   *  command, ran mostly before it was optimised: 14 ms for 20,000 rows, 25 ms for 100,000. The
   *  columns are views of the table's own (read them only; valid until more rows are added). */
  screenColumns(): ScreenColumns {
    const n = this.length;
    // the rows not sealed yet (written by hand, or a trace still being built); the columns are
    // views of the running ones, not copies (a caller must not write them)
    for (let k = this.sealed; k < n; k++) this.copyScreen(k);
    const sc = this.screen;
    const rowStart = sc.rowStart.subarray(0, n), rowEnd = sc.rowEnd.subarray(0, n), capture = sc.capture.subarray(0, n);
    const firstRst = sc.firstRst.subarray(0, n), firstRowFrame = sc.firstRowFrame.subarray(0, n), lastRowFrame = sc.lastRowFrame.subarray(0, n);
    // the fields above that can be ESCAPED (a capture beyond Int32's frames or rows): read again
    if (this.escaped.size > 0) {
      for (const key of this.escaped.keys()) {
        const k = Math.floor(key / NARROW);
        if (k >= n) continue;
        rowStart[k] = this.num(k, F_ROW_START);
        rowEnd[k] = this.num(k, F_ROW_END);
        capture[k] = this.num(k, F_CAPTURE);
        firstRst[k] = this.num(k, F_FIRST_RST);
        firstRowFrame[k] = this.num(k, F_FIRST_ROW_FRAME);
        lastRowFrame[k] = this.num(k, F_LAST_ROW_FRAME);
      }
    }
    return {
      n, rowStart, rowEnd, capture, origPort: sc.origPort.subarray(0, n), respPort: sc.respPort.subarray(0, n), setupNs: sc.setupNs.subarray(0, n),
      facts: sc.facts.subarray(0, n), durationNs: sc.durationNs.subarray(0, n), rows: { bits: sc.bits.subarray(0, n), firstRst, firstRowFrame, lastRowFrame },
    };
  }

  /** Row k is complete (analyse.ts calls this last for each connection, in row order, while the
   *  row is in cache): its screen numbers are copied now. A sealed row must not be written again;
   *  a row sealed out of order is copied by screenColumns instead. */
  seal(k: number): void {
    if (k === this.sealed) this.copyScreen(k);
  }

  /** Row k's screen numbers into the running columns (k = this.sealed). */
  private copyScreen(k: number): void {
    let sc = this.screen;
    if (k === sc.cap) sc = this.screen = sc.grown();
    const w = this.wides[k >> CHUNK_SHIFT];
    const x = this.narrows[k >> CHUNK_SHIFT];
    const o = woff(k);
    const p = noff(k);
    sc.durationNs[k] = w[o + W_LAST_REL] - w[o + W_FIRST_REL];
    sc.setupNs[k] = x[p + F_SYNACK_FRAME] === 0 ? NaN : w[o + W_SYNACK_REL] - w[o + W_SYN_REL];
    sc.origPort[k] = x[p + F_ORIG_PORT];
    sc.respPort[k] = x[p + F_RESP_PORT];
    sc.facts[k] = x[p + F_FACTS];
    sc.bits[k] = x[p + F_SCREEN];
    sc.rowStart[k] = x[p + F_ROW_START];
    sc.rowEnd[k] = x[p + F_ROW_END];
    sc.capture[k] = x[p + F_CAPTURE];
    sc.firstRst[k] = x[p + F_FIRST_RST];
    sc.firstRowFrame[k] = x[p + F_FIRST_ROW_FRAME];
    sc.lastRowFrame[k] = x[p + F_LAST_ROW_FRAME];
    this.sealed = k + 1;
  }

  /** Whether any of the health counters a rule reports is non-zero (see healthShown). An
   *  ESCAPED slot is never zero (0 fits), so the slots answer without the escaped map. */
  hasHealth(k: number): boolean {
    const x = this.narrows[k >> CHUNK_SHIFT];
    const p = noff(k);
    return x[p + F_RETR0] !== 0 || x[p + F_RETR1] !== 0 || x[p + F_RTO_STALLS] !== 0 || this.wides[k >> CHUNK_SHIFT][woff(k) + W_MAX_RTO_NS] !== 0
      || x[p + F_DUPS] !== 0 || x[p + F_ZW] !== 0 || x[p + F_ACKED_UNSEEN] !== 0;
  }

  connect(k: number, baseNs: bigint): ConnectionFacts['connect'] {
    const synAckFrame = this.num(k, F_SYNACK_FRAME);
    if (synAckFrame === 0) return null;
    const synRel = this.wide(k, W_SYN_REL);
    const synAckRel = this.wide(k, W_SYNACK_REL);
    return { synFrame: this.num(k, F_SYN_FRAME), synNs: baseNs + BigInt(synRel), synAckFrame, synAckNs: baseNs + BigInt(synAckRel), setupNs: synAckRel - synRel };
  }

  /** connect.setupNs without building the object; null when there is no handshake */
  setupNs(k: number): number | null {
    return this.num(k, F_SYNACK_FRAME) === 0 ? null : this.wide(k, W_SYNACK_REL) - this.wide(k, W_SYN_REL);
  }

  keepAlives(k: number): { zeroByte: number; oneByte: number } {
    const zeroByte = this.num(k, F_KA_ZERO);
    const oneByte = this.num(k, F_KA_ONE);
    return zeroByte || oneByte ? { zeroByte, oneByte } : NO_KEEP_ALIVES;
  }

  omitted(k: number): number {
    return this.num(k, F_OMITTED);
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
    return this.table.handshakeRtt(this.k);
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
  get fullWindow(): FullWindowFacts | null {
    return this.table.fullWindow(this.k);
  }
  get oddResetTtl(): OddResetTtl | null {
    return this.table.oddReset(this.k);
  }
  get ackStalls(): AckStallFacts | null {
    return this.table.stalls(this.k);
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
