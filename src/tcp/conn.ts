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

/** Why a connection left the table. */
export type EndReason = 'closed' | 'idle' | 'evicted' | 'reused' | 'end';

export class Dir {
  // ---- Wireshark's per-flow analysis state ----
  baseSet = false; // TCP_S_BASE_SEQ_SET
  baseSeq = 0;
  winScale = WS_UNKNOWN;
  /** last raw (unscaled) window; Wireshark starts at G_MAXUINT32 */
  window = 0xffffffff;
  nextSeq = 0; // highest seq + len (+1 for SYN/FIN) seen; 0 = unknown
  nextSeqTime = NaN;
  nextSeqFrame = 0;
  maxSeqToBeAcked = 0;
  lastAck = 0;
  lastAckTime = NaN;
  dupAckNum = 0;
  lastNonDupAck = 0; // frame
  lastSegmentFlags = 0; // labels of this direction's last segment
  validBif = true;
  unacked = new UnackedRing();

  // ---- statistics and history ----
  pkts = 0;
  ipBytes = 0;
  payload = 0;
  retransmissions = 0;
  sawSyn = false; // SYN without ACK
  sawSynAck = false;
  sawFin = false;
  sawRst = false;
  sawData = false;
  sawAck = false;
  /** last seq of each repeatable history event (s, h, f, r), to repeat letters on a new seq */
  lastSynSeq = -1;
  lastSynAckSeq = -1;
  lastFinSeq = -1;
  lastRstSeq = -1;
  /** counts behind the logarithmic history letters (t, g, w) */
  retransCount = 0;
  gapCount = 0;
  zeroWinCount = 0;
  /** first SYN's MSS option, -1 when none */
  mss = -1;

  /** Back to the state of a new Dir (a recycled connection); the ring keeps no arrays. */
  reset(): void {
    this.baseSet = false;
    this.baseSeq = 0;
    this.winScale = WS_UNKNOWN;
    this.window = 0xffffffff;
    this.nextSeq = 0;
    this.nextSeqTime = NaN;
    this.nextSeqFrame = 0;
    this.maxSeqToBeAcked = 0;
    this.lastAck = 0;
    this.lastAckTime = NaN;
    this.dupAckNum = 0;
    this.lastNonDupAck = 0;
    this.lastSegmentFlags = 0;
    this.validBif = true;
    this.unacked.clear();
    this.pkts = 0;
    this.ipBytes = 0;
    this.payload = 0;
    this.retransmissions = 0;
    this.sawSyn = false;
    this.sawSynAck = false;
    this.sawFin = false;
    this.sawRst = false;
    this.sawData = false;
    this.sawAck = false;
    this.lastSynSeq = -1;
    this.lastSynAckSeq = -1;
    this.lastFinSeq = -1;
    this.lastRstSeq = -1;
    this.retransCount = 0;
    this.gapCount = 0;
    this.zeroWinCount = 0;
    this.mss = -1;
  }
}

export class Conn {
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
  a0 = 0; a1 = 0; a2 = 0; a3 = 0; aPort = 0;
  b0 = 0; b1 = 0; b2 = 0; b3 = 0; bPort = 0;
  opener = OPENER_INFERRED;
  d0 = new Dir();
  d1 = new Dir();

  /** times in ns relative to the tracker's time base */
  firstTime = 0;
  lastTime = 0;
  firstFrame = 0;
  lastFrame = 0;
  /** most recent SYN (without ACK) time, NaN when none (Wireshark ts_mru_syn) */
  mruSynTime = NaN;
  /** SYN to first pure ACK (Wireshark ts_first_rtt, "iRTT"); 0 = not known */
  firstRtt = 0;
  /** Zeek-style history letters (bounded, see MAX_HISTORY) as character codes: a string per
   *  letter would be garbage for every connection */
  readonly historyCodes = new Uint8Array(MAX_HISTORY);
  historyLen = 0;
  reusedPorts = false;
  /** set when RST seen or both FINs seen; ns relative */
  closed = false;
  closeTime = 0;

  // ---- table links (intrusive: no per-packet allocation) ----
  hash = 0;
  chainNext: Conn | null = null;
  lruPrev: Conn | null = null;
  lruNext: Conn | null = null;
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
    this.stream = 0;
    this.l3 = 0;
    this.vlanKey = 0;
    this.vlan0 = -1;
    this.vlan1 = -1;
    this.vlans = NO_VLANS;
    this.a0 = 0; this.a1 = 0; this.a2 = 0; this.a3 = 0; this.aPort = 0;
    this.b0 = 0; this.b1 = 0; this.b2 = 0; this.b3 = 0; this.bPort = 0;
    this.opener = OPENER_INFERRED;
    this.d0.reset();
    this.d1.reset();
    this.firstTime = 0;
    this.lastTime = 0;
    this.firstFrame = 0;
    this.lastFrame = 0;
    this.mruSynTime = NaN;
    this.firstRtt = 0;
    this.historyLen = 0;
    this.reusedPorts = false;
    this.closed = false;
    this.closeTime = 0;
    this.hash = 0;
    this.chainNext = null;
    this.lruPrev = null;
    this.lruNext = null;
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
