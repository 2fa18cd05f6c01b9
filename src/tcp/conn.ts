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

// Slots of the number slab (Float64Array) of a Conn: its own numbers, then one block per
// direction holding all of the direction's state but its ring of unacknowledged segments. The
// per-packet code (analyze.ts, tracker.ts) reads and writes these slots directly (n[o + D_x]);
// Conn and Dir expose them through accessors for everyone else.
const C_FIRST_TIME = 0;
const C_LAST_TIME = 1;
export const C_MRU_SYN_TIME = 2;
export const C_FIRST_RTT = 3;
const C_CLOSE_TIME = 4;
const C_A0 = 5;
const C_A1 = 6;
const C_A2 = 7;
const C_A3 = 8;
const C_B0 = 9;
const C_B1 = 10;
const C_B2 = 11;
const C_B3 = 12;
/** where each direction's block starts, from the Conn's first slot */
export const D0_SLOT = 13;
export const DIR_SLOTS = 27;
export const D1_SLOT = D0_SLOT + DIR_SLOTS;
/** The history letters (MAX_HISTORY bytes) in the slots from here, as bytes of the slab. */
const C_HISTORY = D1_SLOT + DIR_SLOTS;
/** Numbers per connection: 73 used, padded so that each connection starts a 64-byte line. */
export const SLAB_STRIDE = 80;
// A direction's block. Wireshark's per-flow analysis state first (the fields named after
// tcp_flow_t / tcp_analyze_seq_flow_info_t keep Wireshark's meaning, including its quirk that a
// next sequence number of 0 means "not known yet"), then statistics and history.
export const D_BASE_SEQ = 0;
/** last raw (unscaled) window; Wireshark starts at G_MAXUINT32 */
export const D_WINDOW = 1;
/** highest seq + len (+1 for SYN/FIN) seen; 0 = unknown */
export const D_NEXT_SEQ = 2;
export const D_NEXT_SEQ_TIME = 3;
export const D_MAX_SEQ_TO_BE_ACKED = 4;
export const D_LAST_ACK = 5;
export const D_LAST_ACK_TIME = 6;
/** last seq of each repeatable history event (s, h, f, r), to repeat letters on a new seq */
export const D_LAST_SYN_SEQ = 7;
export const D_LAST_SYNACK_SEQ = 8;
export const D_LAST_FIN_SEQ = 9;
export const D_LAST_RST_SEQ = 10;
export const D_IP_BYTES = 11;
export const D_PAYLOAD = 12;
/** 1 once the ISN is known (TCP_S_BASE_SEQ_SET), else 0 */
export const D_BASE_SET = 13;
/** WS_UNKNOWN, WS_NONE or a shift */
export const D_WIN_SCALE = 14;
export const D_NEXT_SEQ_FRAME = 15;
export const D_DUP_ACK_NUM = 16;
/** frame of the last segment that changed the ACK */
export const D_LAST_NON_DUP_ACK = 17;
/** labels of this direction's last segment */
export const D_LAST_SEGMENT_FLAGS = 18;
/** 1 while bytes in flight are valid, else 0 */
export const D_VALID_BIF = 19;
export const D_PKTS = 20;
export const D_RETRANSMISSIONS = 21;
/** SAW_* bits: what this direction was seen to send */
export const D_SAW = 22;
/** counts behind the logarithmic history letters (t, g, w) */
export const D_RETRANS_COUNT = 23;
export const D_GAP_COUNT = 24;
export const D_ZERO_WIN_COUNT = 25;
/** first SYN's MSS option, -1 when none */
export const D_MSS = 26;

export const SAW_SYN = 1; // SYN without ACK
export const SAW_SYNACK = 2;
export const SAW_FIN = 4;
export const SAW_RST = 8;
export const SAW_DATA = 16;
export const SAW_ACK = 32;

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
  SLAB_TEMPLATE[d + D_WIN_SCALE] = WS_UNKNOWN;
  SLAB_TEMPLATE[d + D_VALID_BIF] = 1;
  SLAB_TEMPLATE[d + D_MSS] = -1;
}

/**
 * The numbers of many connections in one Float64Array, SLAB_STRIDE per connection, indexed by
 * the tracker's slot: a connection's numbers, those of both its directions and its history
 * letters are one contiguous stretch of ten cache lines, with no typed-array object, Dir object
 * or separately allocated backing store of its own to reach first.
 */
export class ConnSlab {
  n: Float64Array;
  /** the same memory as bytes (the history letters) */
  b: Uint8Array;
  constructor(slots: number) {
    this.n = new Float64Array(slots * SLAB_STRIDE);
    this.b = new Uint8Array(this.n.buffer);
  }
  /** Room for `slots` connections, keeping the numbers; Conns must then rebind(). */
  grow(slots: number): void {
    const n = new Float64Array(slots * SLAB_STRIDE);
    n.set(this.n);
    this.n = n;
    this.b = new Uint8Array(n.buffer);
  }
}

/** Why a connection left the table. */
export type EndReason = 'closed' | 'idle' | 'evicted' | 'reused' | 'end';

/** One direction of a connection: a view of its block of the slab (see D_*), plus its ring. */
export class Dir {
  private n: Float64Array;
  private readonly o: number;
  /** the segments this direction sent that the other has not acknowledged (also Conn.u0/u1) */
  readonly unacked: UnackedRing;

  constructor(n: Float64Array, o: number, ring: UnackedRing) {
    this.n = n;
    this.o = o;
    this.unacked = ring;
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
  get baseSet(): boolean { return this.n[this.o + D_BASE_SET] !== 0; }
  set baseSet(v: boolean) { this.n[this.o + D_BASE_SET] = v ? 1 : 0; }
  get winScale(): number { return this.n[this.o + D_WIN_SCALE]; }
  set winScale(v: number) { this.n[this.o + D_WIN_SCALE] = v; }
  get nextSeqFrame(): number { return this.n[this.o + D_NEXT_SEQ_FRAME]; }
  set nextSeqFrame(v: number) { this.n[this.o + D_NEXT_SEQ_FRAME] = v; }
  get dupAckNum(): number { return this.n[this.o + D_DUP_ACK_NUM]; }
  set dupAckNum(v: number) { this.n[this.o + D_DUP_ACK_NUM] = v; }
  get lastNonDupAck(): number { return this.n[this.o + D_LAST_NON_DUP_ACK]; }
  set lastNonDupAck(v: number) { this.n[this.o + D_LAST_NON_DUP_ACK] = v; }
  get lastSegmentFlags(): number { return this.n[this.o + D_LAST_SEGMENT_FLAGS]; }
  set lastSegmentFlags(v: number) { this.n[this.o + D_LAST_SEGMENT_FLAGS] = v; }
  get validBif(): boolean { return this.n[this.o + D_VALID_BIF] !== 0; }
  set validBif(v: boolean) { this.n[this.o + D_VALID_BIF] = v ? 1 : 0; }
  get pkts(): number { return this.n[this.o + D_PKTS]; }
  set pkts(v: number) { this.n[this.o + D_PKTS] = v; }
  get retransmissions(): number { return this.n[this.o + D_RETRANSMISSIONS]; }
  set retransmissions(v: number) { this.n[this.o + D_RETRANSMISSIONS] = v; }
  get retransCount(): number { return this.n[this.o + D_RETRANS_COUNT]; }
  set retransCount(v: number) { this.n[this.o + D_RETRANS_COUNT] = v; }
  get gapCount(): number { return this.n[this.o + D_GAP_COUNT]; }
  set gapCount(v: number) { this.n[this.o + D_GAP_COUNT] = v; }
  get zeroWinCount(): number { return this.n[this.o + D_ZERO_WIN_COUNT]; }
  set zeroWinCount(v: number) { this.n[this.o + D_ZERO_WIN_COUNT] = v; }
  get mss(): number { return this.n[this.o + D_MSS]; }
  set mss(v: number) { this.n[this.o + D_MSS] = v; }
  get sawSyn(): boolean { return this.saw(SAW_SYN); }
  set sawSyn(v: boolean) { this.setSaw(SAW_SYN, v); }
  get sawSynAck(): boolean { return this.saw(SAW_SYNACK); }
  set sawSynAck(v: boolean) { this.setSaw(SAW_SYNACK, v); }
  get sawFin(): boolean { return this.saw(SAW_FIN); }
  set sawFin(v: boolean) { this.setSaw(SAW_FIN, v); }
  get sawRst(): boolean { return this.saw(SAW_RST); }
  set sawRst(v: boolean) { this.setSaw(SAW_RST, v); }
  get sawData(): boolean { return this.saw(SAW_DATA); }
  set sawData(v: boolean) { this.setSaw(SAW_DATA, v); }
  get sawAck(): boolean { return this.saw(SAW_ACK); }
  set sawAck(v: boolean) { this.setSaw(SAW_ACK, v); }

  private saw(bit: number): boolean {
    return (this.n[this.o + D_SAW] & bit) !== 0;
  }

  private setSaw(bit: number, v: boolean): void {
    const i = this.o + D_SAW;
    this.n[i] = v ? this.n[i] | bit : this.n[i] & ~bit;
  }

  /** The slab moved (it grew). */
  rebind(n: Float64Array): void {
    this.n = n;
  }

  /** where this direction's block starts in the slab */
  get offset(): number { return this.o; }

  /** Back to the state of a new Dir (a recycled connection); the ring keeps no arrays. */
  reset(): void {
    this.n.set(SLAB_TEMPLATE.subarray(D0_SLOT, D0_SLOT + DIR_SLOTS), this.o);
    this.unacked.clear();
  }
}

export class Conn {
  /** the slab holding this connection's numbers (its own unless a tracker's), and where */
  private readonly slab: ConnSlab;
  /** the slab's array and this connection's first slot in it (for the per-packet code of
   *  src/tcp, which indexes it with C_* and D_*; others use the accessors) */
  n: Float64Array;
  readonly o: number;
  readonly d0: Dir;
  readonly d1: Dir;
  /** the unacknowledged-segment rings of d0 and d1, reachable without touching the Dirs */
  readonly u0 = new UnackedRing();
  readonly u1 = new UnackedRing();

  /** A connection whose numbers are at `home` in a tracker's slab; alone, it has a slab of its own. */
  constructor(slab: ConnSlab = new ConnSlab(1), home = 0) {
    this.slab = slab;
    this.n = slab.n;
    this.historyBytes = slab.b;
    this.o = home * SLAB_STRIDE;
    this.historyStart = (this.o + C_HISTORY) * Float64Array.BYTES_PER_ELEMENT;
    this.n.set(SLAB_TEMPLATE, this.o);
    this.d0 = new Dir(this.n, this.o + D0_SLOT, this.u0);
    this.d1 = new Dir(this.n, this.o + D1_SLOT, this.u1);
  }

  /** After the tracker's slab grew: read the new array. */
  rebind(): void {
    this.n = this.slab.n;
    this.historyBytes = this.slab.b;
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
  /** Zeek-style history letters (bounded, see MAX_HISTORY) as character codes, in the slab: a
   *  string per letter would be garbage for every connection. historyLen letters from
   *  historyBytes[historyStart] (the slab's bytes, shared by all Conns of a tracker). */
  historyBytes: Uint8Array;
  readonly historyStart: number;
  historyLen = 0;

  /** The history letters' storage (a view made per call: not for the per-packet path). */
  get historyCodes(): Uint8Array {
    return this.historyBytes.subarray(this.historyStart, this.historyStart + MAX_HISTORY);
  }
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
    const codes = this.historyBytes;
    const h = this.historyStart;
    if (n > HISTORY_CACHE_LETTERS) return String.fromCharCode(...codes.subarray(h, h + n));
    let key = n;
    for (let i = 0; i < n; i++) key = key * 128 + codes[h + i];
    let s = historyCache.get(key);
    if (s === undefined) {
      s = String.fromCharCode(...codes.subarray(h, h + n));
      if (historyCache.size >= HISTORY_CACHE_MAX) historyCache.clear();
      historyCache.set(key, s);
    }
    return s;
  }

  /** Reads a number from each of the objects a release reads besides the slab (the Conn and
   *  both rings) and returns their sum: called ahead of the release (see TcpTracker.warm), these
   *  loads are independent and overlap, where the release would wait for one miss after another. */
  warm(): number {
    return this.stream + this.u0.count + this.u1.count;
  }

  /** Appends a history letter (its character code), up to MAX_HISTORY. */
  addHistory(code: number): void {
    if (this.historyLen < MAX_HISTORY) this.historyBytes[this.historyStart + this.historyLen++] = code;
  }

  hasHistory(code: number): boolean {
    const b = this.historyBytes;
    const h = this.historyStart;
    for (let i = 0; i < this.historyLen; i++) if (b[h + i] === code) return true;
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
    this.u0.clear();
    this.u1.clear();
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
  // the directions' SAW_* bits, from the slab (no Dir object to reach: flows calls this at the
  // release of a connection that is cold by then)
  const os = c.n[c.o + D0_SLOT + D_SAW];
  const rs = c.n[c.o + D1_SLOT + D_SAW];
  const oSyn = (os & SAW_SYN) !== 0;
  const oFin = (os & SAW_FIN) !== 0;
  const oRst = (os & SAW_RST) !== 0;
  const rSynAck = (rs & SAW_SYNACK) !== 0;
  const rFin = (rs & SAW_FIN) !== 0;
  const rRst = (rs & SAW_RST) !== 0;
  if (oSyn && !rSynAck) {
    if (oRst) return 'RSTOS0';
    if (rRst) return 'REJ';
    if (oFin) return 'SH';
    return c.n[c.o + D1_SLOT + D_PKTS] > 0 ? 'OTH' : 'S0';
  }
  if (!oSyn && rSynAck) {
    if (rRst) return 'RSTRH';
    if (rFin) return 'SHR';
  }
  if (!oSyn && !rSynAck) {
    // Mid-connection start: Zeek calls this OTH; keep the teardown visible when seen.
    if (oRst) return 'RSTO';
    if (rRst) return 'RSTR';
    if (oFin && rFin) return 'SF';
    return 'OTH';
  }
  if (oRst) return 'RSTO';
  if (rRst) return 'RSTR';
  if (oFin && rFin) return 'SF';
  if (oFin) return 'S2';
  if (rFin) return 'S3';
  return 'S1';
}
