// Per-connection state: small and flat. A Conn holds two Dir records, one per direction of
// data (0 = sent by the originator, 1 = sent by the responder). The fields named after
// Wireshark's tcp_flow_t / tcp_analyze_seq_flow_info_t keep Wireshark's meaning, including its
// quirk that a next sequence number of 0 means "not known yet".

import { UnackedRing } from './unacked.js';

/** Window scale of a direction, as Wireshark keeps it: a shift 0..14, or one of these. */
export const WS_UNKNOWN = -1; // no SYN seen: the scale is not known
export const WS_NONE = -2; // the handshake shows that no scaling is used

/** Who opened the connection, and how we know. */
export const OPENER_SYN = 0; // the originator's SYN was seen
export const OPENER_SYNACK = 1; // only the responder's SYN-ACK was seen
export const OPENER_INFERRED = 2; // started mid-connection: guessed from the ports
export type OpenerName = 'syn' | 'synack' | 'inferred';
export const OPENER_NAMES: readonly OpenerName[] = ['syn', 'synack', 'inferred'];

/** History is kept to this many letters (a connection that keeps resetting with new sequence
 *  numbers could otherwise grow it without end). */
export const MAX_HISTORY = 48;

/** The `vlans` of every untagged connection (never mutated). */
const NO_VLANS: readonly number[] = Object.freeze([]);

/** Histories up to this many letters are cached by a numeric key: 7 bits per letter plus the
 *  length stay below 2^53. */
const HISTORY_CACHE_LETTERS = 7;
const HISTORY_CACHE_MAX = 4096;
const historyCache = new Map<number, string>();

// Slots of the number slab (Float64Array) of a Conn: its own numbers, then one block per direction.
const C_FIRST_TIME = 0;
const C_LAST_TIME = 1;
const C_MRU_SYN_TIME = 2;
const C_FIRST_RTT = 3;
const C_CLOSE_TIME = 4;
const C_A0 = 5;
const C_A1 = 6;
const C_A2 = 7;
const C_A3 = 8;
const C_B0 = 9;
const C_B1 = 10;
const C_B2 = 11;
const C_B3 = 12;
const D0_SLOT = 13;
const D1_SLOT = D0_SLOT + 13;
/** Numbers per connection: 39 used, padded so that each connection starts a 64-byte line. */
export const SLAB_STRIDE = 40;
const D_BASE_SEQ = 0;
const D_WINDOW = 1;
const D_NEXT_SEQ = 2;
const D_NEXT_SEQ_TIME = 3;
const D_MAX_SEQ_TO_BE_ACKED = 4;
const D_LAST_ACK = 5;
const D_LAST_ACK_TIME = 6;
const D_LAST_SYN_SEQ = 7;
const D_LAST_SYNACK_SEQ = 8;
const D_LAST_FIN_SEQ = 9;
const D_LAST_RST_SEQ = 10;
const D_IP_BYTES = 11;
const D_PAYLOAD = 12;

/** The numbers of a new Conn and its directions (copied by reset). */
const SLAB_TEMPLATE = new Float64Array(SLAB_STRIDE);
SLAB_TEMPLATE[C_MRU_SYN_TIME] = NaN;
for (const d of [D0_SLOT, D1_SLOT]) {
  SLAB_TEMPLATE[d + D_WINDOW] = 0xffffffff; // Wireshark starts at G_MAXUINT32
  SLAB_TEMPLATE[d + D_NEXT_SEQ_TIME] = NaN;
  SLAB_TEMPLATE[d + D_LAST_ACK_TIME] = NaN;
  SLAB_TEMPLATE[d + D_LAST_SYN_SEQ] = -1;
  SLAB_TEMPLATE[d + D_LAST_SYNACK_SEQ] = -1;
  SLAB_TEMPLATE[d + D_LAST_FIN_SEQ] = -1;
  SLAB_TEMPLATE[d + D_LAST_RST_SEQ] = -1;
}

/**
 * The numbers of many connections in one Float64Array, SLAB_STRIDE per connection, indexed by
 * the tracker's slot: a connection's numbers are one contiguous stretch of five cache lines,
 * with no typed-array object and separately allocated backing store of its own to reach first
 * (with ~70,000 connections waiting out their grace period these were cold misses per packet).
 */
export class ConnSlab {
  n: Float64Array;
  constructor(slots: number) {
    this.n = new Float64Array(slots * SLAB_STRIDE);
  }
  /** Room for `slots` connections, keeping the numbers; Conns must then rebind(). */
  grow(slots: number): void {
    const n = new Float64Array(slots * SLAB_STRIDE);
    n.set(this.n);
    this.n = n;
  }
}

/** Why a connection left the table. */
export type EndReason = 'closed' | 'idle' | 'evicted' | 'reused' | 'end';

export class Dir {
  /** The connection's number slab and this direction's first slot in it: the numbers that may
   *  exceed V8's small integers (sequence numbers, times, byte counts) live there, unboxed and
   *  together, instead of one heap box per field (half of a Conn's memory, and cache misses). */
  private n: Float64Array;
  private readonly o: number;

  constructor(n: Float64Array, o: number) {
    this.n = n;
    this.o = o;
    this.resetNumbers();
  }

  private resetNumbers(): void {
    const n = this.n;
    const o = this.o;
    n[o + D_BASE_SEQ] = 0;
    n[o + D_WINDOW] = 0xffffffff;
    n[o + D_NEXT_SEQ] = 0;
    n[o + D_NEXT_SEQ_TIME] = NaN;
    n[o + D_MAX_SEQ_TO_BE_ACKED] = 0;
    n[o + D_LAST_ACK] = 0;
    n[o + D_LAST_ACK_TIME] = NaN;
    n[o + D_LAST_SYN_SEQ] = -1;
    n[o + D_LAST_SYNACK_SEQ] = -1;
    n[o + D_LAST_FIN_SEQ] = -1;
    n[o + D_LAST_RST_SEQ] = -1;
    n[o + D_IP_BYTES] = 0;
    n[o + D_PAYLOAD] = 0;
  }

  get baseSeq(): number { return this.n[this.o + D_BASE_SEQ]; }
  set baseSeq(v: number) { this.n[this.o + D_BASE_SEQ] = v; }
  get window(): number { return this.n[this.o + D_WINDOW]; }
  set window(v: number) { this.n[this.o + D_WINDOW] = v; }
  get nextSeq(): number { return this.n[this.o + D_NEXT_SEQ]; }
  set nextSeq(v: number) { this.n[this.o + D_NEXT_SEQ] = v; }
  get nextSeqTime(): number { return this.n[this.o + D_NEXT_SEQ_TIME]; }
  set nextSeqTime(v: number) { this.n[this.o + D_NEXT_SEQ_TIME] = v; }
  get maxSeqToBeAcked(): number { return this.n[this.o + D_MAX_SEQ_TO_BE_ACKED]; }
  set maxSeqToBeAcked(v: number) { this.n[this.o + D_MAX_SEQ_TO_BE_ACKED] = v; }
  get lastAck(): number { return this.n[this.o + D_LAST_ACK]; }
  set lastAck(v: number) { this.n[this.o + D_LAST_ACK] = v; }
  get lastAckTime(): number { return this.n[this.o + D_LAST_ACK_TIME]; }
  set lastAckTime(v: number) { this.n[this.o + D_LAST_ACK_TIME] = v; }
  get lastSynSeq(): number { return this.n[this.o + D_LAST_SYN_SEQ]; }
  set lastSynSeq(v: number) { this.n[this.o + D_LAST_SYN_SEQ] = v; }
  get lastSynAckSeq(): number { return this.n[this.o + D_LAST_SYNACK_SEQ]; }
  set lastSynAckSeq(v: number) { this.n[this.o + D_LAST_SYNACK_SEQ] = v; }
  get lastFinSeq(): number { return this.n[this.o + D_LAST_FIN_SEQ]; }
  set lastFinSeq(v: number) { this.n[this.o + D_LAST_FIN_SEQ] = v; }
  get lastRstSeq(): number { return this.n[this.o + D_LAST_RST_SEQ]; }
  set lastRstSeq(v: number) { this.n[this.o + D_LAST_RST_SEQ] = v; }
  get ipBytes(): number { return this.n[this.o + D_IP_BYTES]; }
  set ipBytes(v: number) { this.n[this.o + D_IP_BYTES] = v; }
  get payload(): number { return this.n[this.o + D_PAYLOAD]; }
  set payload(v: number) { this.n[this.o + D_PAYLOAD] = v; }

  // ---- Wireshark's per-flow analysis state ----
  baseSet = false; // TCP_S_BASE_SEQ_SET
  // baseSeq: in the slab
  winScale = WS_UNKNOWN;
  /** last raw (unscaled) window; Wireshark starts at G_MAXUINT32 */
  // window: in the slab
  // nextSeq: in the slab; highest seq + len (+1 for SYN/FIN) seen; 0 = unknown
  // nextSeqTime: in the slab
  nextSeqFrame = 0;
  // maxSeqToBeAcked: in the slab
  // lastAck: in the slab
  // lastAckTime: in the slab
  dupAckNum = 0;
  lastNonDupAck = 0; // frame
  lastSegmentFlags = 0; // labels of this direction's last segment
  validBif = true;
  unacked = new UnackedRing();

  // ---- statistics and history ----
  pkts = 0;
  // ipBytes: in the slab
  // payload: in the slab
  retransmissions = 0;
  sawSyn = false; // SYN without ACK
  sawSynAck = false;
  sawFin = false;
  sawRst = false;
  sawData = false;
  sawAck = false;
  /** last seq of each repeatable history event (s, h, f, r), to repeat letters on a new seq */
  // lastSynSeq: in the slab
  // lastSynAckSeq: in the slab
  // lastFinSeq: in the slab
  // lastRstSeq: in the slab
  /** counts behind the logarithmic history letters (t, g, w) */
  retransCount = 0;
  gapCount = 0;
  zeroWinCount = 0;
  /** first SYN's MSS option, -1 when none */
  mss = -1;

  /** The slab moved (it grew). */
  rebind(n: Float64Array): void {
    this.n = n;
  }

  /** Back to the state of a new Dir (a recycled connection); the ring keeps no arrays. */
  reset(): void {
    this.resetNumbers();
    this.resetFields();
  }

  /** reset() but for the numbers in the slab (Conn.reset copies them for both directions). */
  resetFields(): void {
    this.baseSet = false;
    this.winScale = WS_UNKNOWN;
    this.nextSeqFrame = 0;
    this.dupAckNum = 0;
    this.lastNonDupAck = 0;
    this.lastSegmentFlags = 0;
    this.validBif = true;
    this.unacked.clear();
    this.pkts = 0;
    this.retransmissions = 0;
    this.sawSyn = false;
    this.sawSynAck = false;
    this.sawFin = false;
    this.sawRst = false;
    this.sawData = false;
    this.sawAck = false;
    this.retransCount = 0;
    this.gapCount = 0;
    this.zeroWinCount = 0;
    this.mss = -1;
  }
}

export class Conn {
  /** the slab holding this connection's numbers (its own unless a tracker's), and where */
  private readonly slab: ConnSlab;
  private n: Float64Array;
  private readonly o: number;
  readonly d0: Dir;
  readonly d1: Dir;

  /** A connection whose numbers are at `home` in a tracker's slab; alone, it has a slab of its own. */
  constructor(slab: ConnSlab = new ConnSlab(1), home = 0) {
    this.slab = slab;
    this.n = slab.n;
    this.o = home * SLAB_STRIDE;
    this.n.set(SLAB_TEMPLATE, this.o);
    this.d0 = new Dir(this.n, this.o + D0_SLOT);
    this.d1 = new Dir(this.n, this.o + D1_SLOT);
  }

  /** After the tracker's slab grew: read the new array. */
  rebind(): void {
    this.n = this.slab.n;
    this.d0.rebind(this.n);
    this.d1.rebind(this.n);
  }

  get firstTime(): number { return this.n[this.o + C_FIRST_TIME]; }
  set firstTime(v: number) { this.n[this.o + C_FIRST_TIME] = v; }
  get lastTime(): number { return this.n[this.o + C_LAST_TIME]; }
  set lastTime(v: number) { this.n[this.o + C_LAST_TIME] = v; }
  get mruSynTime(): number { return this.n[this.o + C_MRU_SYN_TIME]; }
  set mruSynTime(v: number) { this.n[this.o + C_MRU_SYN_TIME] = v; }
  get firstRtt(): number { return this.n[this.o + C_FIRST_RTT]; }
  set firstRtt(v: number) { this.n[this.o + C_FIRST_RTT] = v; }
  get closeTime(): number { return this.n[this.o + C_CLOSE_TIME]; }
  set closeTime(v: number) { this.n[this.o + C_CLOSE_TIME] = v; }
  get a0(): number { return this.n[this.o + C_A0]; }
  set a0(v: number) { this.n[this.o + C_A0] = v; }
  get a1(): number { return this.n[this.o + C_A1]; }
  set a1(v: number) { this.n[this.o + C_A1] = v; }
  get a2(): number { return this.n[this.o + C_A2]; }
  set a2(v: number) { this.n[this.o + C_A2] = v; }
  get a3(): number { return this.n[this.o + C_A3]; }
  set a3(v: number) { this.n[this.o + C_A3] = v; }
  get b0(): number { return this.n[this.o + C_B0]; }
  set b0(v: number) { this.n[this.o + C_B0] = v; }
  get b1(): number { return this.n[this.o + C_B1]; }
  set b1(v: number) { this.n[this.o + C_B1] = v; }
  get b2(): number { return this.n[this.o + C_B2]; }
  set b2(v: number) { this.n[this.o + C_B2] = v; }
  get b3(): number { return this.n[this.o + C_B3]; }
  set b3(v: number) { this.n[this.o + C_B3] = v; }

  /** tcp.stream-like index, in order of first appearance */
  stream = 0;
  l3 = 0;
  /** the VLAN tag stack key of the first packet (pkt.vlanKey; 0 = untagged) */
  vlanKey = 0;
  /** per direction: the vlanKey its packets carry, -1 until it sends (VLAN_ANY) */
  vlan0 = -1;
  vlan1 = -1;
  /** the VLAN IDs of the first packet, outermost first (shared empty array when untagged) */
  vlans: readonly number[] = NO_VLANS;
  /** the originator's (side 0) address words and port, then the responder's */
  // a0..a3 (in the slab)
  aPort = 0;
  // b0..b3 (in the slab)
  bPort = 0;
  opener = OPENER_INFERRED;

  /** times in ns relative to the tracker's time base */
  // firstTime: in the slab
  // lastTime: in the slab
  firstFrame = 0;
  lastFrame = 0;
  /** most recent SYN (without ACK) time, NaN when none (Wireshark ts_mru_syn) */
  // mruSynTime: in the slab
  /** SYN to first pure ACK (Wireshark ts_first_rtt, "iRTT"); 0 = not known */
  // firstRtt: in the slab
  /** Zeek-style history letters (bounded, see MAX_HISTORY) as character codes: a string per
   *  letter would be garbage for every connection */
  readonly historyCodes = new Uint8Array(MAX_HISTORY);
  historyLen = 0;
  reusedPorts = false;
  /** set when RST seen or both FINs seen; ns relative */
  closed = false;
  // closeTime: in the slab

  // ---- the tracker's table (its links live in typed arrays indexed by the slot) ----
  hash = 0;
  /** index in the tracker's slot arrays while in the table, -1 otherwise */
  slot = -1;
  inTable = false;

  /** The history letters as a string (for reports, not per packet; the usual short histories
   *  come from a cache, as a million connections share a handful of them). */
  get history(): string {
    const n = this.historyLen;
    const codes = this.historyCodes;
    if (n > HISTORY_CACHE_LETTERS) return String.fromCharCode(...codes.subarray(0, n));
    let key = n;
    for (let i = 0; i < n; i++) key = key * 128 + codes[i];
    let s = historyCache.get(key);
    if (s === undefined) {
      s = String.fromCharCode(...codes.subarray(0, n));
      if (historyCache.size >= HISTORY_CACHE_MAX) historyCache.clear();
      historyCache.set(key, s);
    }
    return s;
  }

  /** Reads a number from each cache line a release reads (the slab's five, the Conn, both Dirs
   *  and rings, the history) and returns their sum: called ahead of the release, these loads are
   *  independent and overlap, where the release would wait for one miss after another. */
  warm(): number {
    const n = this.n;
    const o = this.o;
    return n[o] + n[o + 8] + n[o + 16] + n[o + 24] + n[o + 32] + this.stream + this.historyCodes[0] +
      this.d0.pkts + this.d1.pkts + this.d0.unacked.count + this.d1.unacked.count;
  }

  /** Appends a history letter (its character code), up to MAX_HISTORY. */
  addHistory(code: number): void {
    if (this.historyLen < MAX_HISTORY) this.historyCodes[this.historyLen++] = code;
  }

  hasHistory(code: number): boolean {
    for (let i = 0; i < this.historyLen; i++) if (this.historyCodes[i] === code) return true;
    return false;
  }

  /** Back to the state of a new Conn, for reuse from the tracker's free list. */
  reset(): void {
    // every number of the Conn and of both directions at once, from a new Conn's slab
    this.n.set(SLAB_TEMPLATE, this.o);
    this.stream = 0;
    this.l3 = 0;
    this.vlanKey = 0;
    this.vlan0 = -1;
    this.vlan1 = -1;
    this.vlans = NO_VLANS;
    this.aPort = 0;
    this.bPort = 0;
    this.opener = OPENER_INFERRED;
    this.d0.resetFields();
    this.d1.resetFields();
    this.firstFrame = 0;
    this.lastFrame = 0;
    this.historyLen = 0;
    this.reusedPorts = false;
    this.closed = false;
    this.hash = 0;
    this.slot = -1;
    this.inTable = false;
  }
}


export function dirOf(c: Conn, side: number): Dir {
  return side === 0 ? c.d0 : c.d1;
}

/** Zeek's conn_state, from what each side was seen to send. */
export type ConnState =
  | 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

export function connState(c: Conn): ConnState {
  const o = c.d0;
  const r = c.d1;
  if (o.sawSyn && !r.sawSynAck) {
    if (o.sawRst) return 'RSTOS0';
    if (r.sawRst) return 'REJ';
    if (o.sawFin) return 'SH';
    return r.pkts > 0 ? 'OTH' : 'S0';
  }
  if (!o.sawSyn && r.sawSynAck) {
    if (r.sawRst) return 'RSTRH';
    if (r.sawFin) return 'SHR';
  }
  if (!o.sawSyn && !r.sawSynAck) {
    // Mid-connection start: Zeek calls this OTH; keep the teardown visible when seen.
    if (o.sawRst) return 'RSTO';
    if (r.sawRst) return 'RSTR';
    if (o.sawFin && r.sawFin) return 'SF';
    return 'OTH';
  }
  if (o.sawRst) return 'RSTO';
  if (r.sawRst) return 'RSTR';
  if (o.sawFin && r.sawFin) return 'SF';
  if (o.sawFin) return 'S2';
  if (r.sawFin) return 'S3';
  return 'S1';
}
