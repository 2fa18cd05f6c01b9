// Connection tracking for TCP: finds (or creates) the connection of every decoded TCP packet,
// runs Wireshark's per-segment analysis on it and returns one reused SegmentResult. Memory grows
// only with the connections open at the same time: the table is bounded (LRU eviction), idle
// connections are evicted, closed ones are released after a grace period for late packets, and
// every connection leaving the table is reported once through onEnd (then dropped).
//
// Cost per packet is a hash, a probe of a flat open-addressing table and a few list links;
// nothing is allocated. Every connection in the table has a slot: the table, the LRU list and
// the closed queue hold slot numbers in typed arrays, so walking them never touches a Conn that
// is not the one wanted (with 65,536 closed connections waiting out their grace period, those
// Conns are cold: a pointer-linked table touched a few of them on every packet). A Conn that
// leaves the table stays with its slot and is reused by a later connection, so short
// connections produce no garbage for the collector: never keep a Conn past onEnd/onEndConn.
//
// Differences from tshark, on purpose (docs/tcp-parity.md): the key includes the VLAN tag stack
// (pkt.vlanKey), so the same flow captured on several VLANs is several connections, not one
// with retransmissions; and a connection released from the table (closed past its grace period,
// idle, evicted) is a new connection if packets come back for it.

import type { Frame } from '../capture/types.js';
import type { Packet } from '../wire/packet.js';
import { PROTO_TCP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../wire/packet.js';
import { NS_PER_S, formatEpoch, formatEpochPair } from '../bytes/time.js';
import { analyzeSegment, noteWindowScale, type SegmentFacts } from './analyze.js';
import {
  C_FIRST_RTT, C_MRU_SYN_TIME, Conn, ConnSlab, SLAB_STRIDE, D0_SLOT, D1_SLOT, D_BASE_SEQ, D_BASE_SET, D_GAP_COUNT,
  D_IP_BYTES, D_LAST_FIN_SEQ, D_LAST_RST_SEQ, D_LAST_SYNACK_SEQ, D_LAST_SYN_SEQ, D_MSS, D_PAYLOAD, D_PKTS,
  D_RETRANSMISSIONS, D_RETRANS_COUNT, D_SAW, D_ZERO_WIN_COUNT, Dir, OPENER_INFERRED, OPENER_NAMES,
  OPENER_SYN, OPENER_SYNACK, SAW_ACK, SAW_DATA, SAW_FIN, SAW_RST, SAW_SYN, SAW_SYNACK, connState,
  type ConnState, type EndReason, type OpenerName,
} from './conn.js';
import { flowHash, keyMatches } from './flowkey.js';
import { formatAddr } from '../wire/addr.js';
import { L_LOST_SEGMENT, L_RETRANSMISSION, L_REUSED_PORTS, L_ZERO_WINDOW } from './labels.js';

/** Default bound on connections in the table (open, or closed within their grace period). */
export const DEFAULT_MAX_CONNECTIONS = 1_000_000;
/** Default idle timeout: longer than the 2-hour default TCP keep-alive interval of Linux and
 *  Windows, so that a connection kept alive by keep-alives stays one connection. */
export const DEFAULT_IDLE_TIMEOUT_NS = 3 * 3600 * 1e9;
/** A closed connection (RST, or FIN both ways) stays findable this long for late packets (final
 *  ACK, retransmitted FIN): 2 x MSL as in Linux TIME_WAIT, 60 s, doubled for slow peers. */
export const DEFAULT_CLOSED_GRACE_NS = 120 * 1e9;
/** At most this many closed connections are kept waiting for late packets; beyond it the oldest
 *  closed one is released early (a burst of short connections must not pile up). */
export const DEFAULT_MAX_CLOSED = 65_536;
/** Positions of the open-addressing table to start with (a power of two); it doubles whenever it
 *  would be more than half full, so probes stay short. */
const INITIAL_TABLE = 2048;
/** Slots to start with; they double when all are in use. */
const INITIAL_SLOTS = 1024;
/** An empty position of the table, or the end of the LRU list. */
const NONE = -1;
/** At most this many released Conns wait on free slots for reuse (more would only hold memory
 *  after a peak). */
const FREE_MAX = 16_384;
/** History letters (Zeek's) as character codes; the responder's are the lower-case ones. */
const CH_UPPER_TO_LOWER = 0x20;
const CH_S = 'S'.charCodeAt(0); // SYN
const CH_H = 'H'.charCodeAt(0); // SYN-ACK
const CH_A = 'A'.charCodeAt(0); // pure ACK
const CH_D = 'D'.charCodeAt(0); // data
const CH_F = 'F'.charCodeAt(0); // FIN
const CH_R = 'R'.charCodeAt(0); // RST
const CH_T = 'T'.charCodeAt(0); // retransmissions (logarithmic)
const CH_G = 'G'.charCodeAt(0); // gaps (logarithmic)
const CH_W = 'W'.charCodeAt(0); // zero windows (logarithmic)
const CH_Q = 'Q'.charCodeAt(0); // SYN with FIN or RST
const CH_I = 'I'.charCodeAt(0); // FIN with RST
const NS_PER_S_NUM = 1e9;
/** |time| in ns below which base nanoseconds + time is exact in a double (2^53 - 1e9). */
const EXACT_NS_LIMIT = 2 ** 53 - 1e9;

export interface TrackerOptions {
  maxConnections?: number;
  idleTimeoutNs?: number;
  closedGraceNs?: number;
  maxClosed?: number;
  /** called once for every connection leaving the table, and for all remaining at finish() */
  onEnd?: (rec: ConnRecord) => void;
  /** the same, with the live Conn instead of a record (nothing allocated): valid during the call
   *  only, the Conn is reused afterwards. Called before onEnd when both are given. */
  onEndConn?: (c: Conn, reason: EndReason) => void;
}

/** The reused result of track(): valid until the next call. */
export interface SegmentResult extends SegmentFacts {
  conn: Conn;
  /** 0 = sent by the originator, 1 = by the responder */
  dir: number;
  stream: number;
  /** this packet created the connection */
  newConnection: boolean;
}

export interface DirRecord {
  pkts: number;
  ipBytes: number;
  payload: number;
  retransmissions: number;
  mss: number;
  windowScale: number;
}

/** A connection as reported when it leaves the table: plain data, absolute times as bigint ns. */
export interface ConnRecord {
  stream: number;
  ipVersion: 4 | 6;
  vlans: number[];
  origAddr: string;
  origPort: number;
  respAddr: string;
  respPort: number;
  opener: OpenerName;
  firstNs: bigint;
  lastNs: bigint;
  firstFrame: number;
  lastFrame: number;
  /** SYN to the first pure ACK after it (Wireshark's iRTT), ns; -1 when not seen */
  handshakeRttNs: number;
  history: string;
  state: ConnState;
  reusedPorts: boolean;
  orig: DirRecord;
  resp: DirRecord;
  endReason: EndReason;
}

export interface TrackerStats {
  created: number;
  open: number;
  peakOpen: number;
  /** ended because the table was full (least recently active first) */
  evictedFull: number;
  evictedIdle: number;
  /** closed connections released after their grace period or for the closed-count bound */
  releasedClosed: number;
  /** replaced by a new connection on the same ports (SYN with a new ISN) */
  reused: number;
  /** TCP packets not analysed: IP fragments */
  skippedFragments: number;
}

export class TcpTracker {
  readonly maxConnections: number;
  readonly idleTimeoutNs: number;
  readonly closedGraceNs: number;
  readonly maxClosed: number;
  private readonly onEnd: ((rec: ConnRecord) => void) | null;
  private readonly onEndConn: ((c: Conn, reason: EndReason) => void) | null;

  // ---- slots: the Conn of each, its LRU links and last packet time; free ones on a stack
  private conns: (Conn | null)[] = [];
  /** every slot's numbers (a Conn reads and writes its stretch of it) */
  private readonly slab = new ConnSlab(0);
  private lruPrev = new Int32Array(0);
  private lruNext = new Int32Array(0);
  /** last packet time per slot (the idle check reads the LRU head's without touching its Conn) */
  private slotTime = new Float64Array(0);
  private lruHead = NONE;
  private lruTail = NONE;
  private freeSlots = new Int32Array(0);
  private freeLen = 0;
  /** free slots that still hold a Conn for reuse (at most FREE_MAX) */
  private freeConns = 0;
  // ---- the table: linear probing over (hash, slot) pairs, length 2^k, at most half full.
  // Several connections can share a key (other VLAN tags, see lookup): the newest, the highest
  // stream number, is preferred, whatever their order in the table.
  // A position i is the pair tab[2i] (hash) and tab[2i + 1] (slot, NONE when empty): one cache
  // line per probe (two arrays cost two misses on a table of a few MB).
  private tab = emptyTable(INITIAL_TABLE);
  private tabMask = INITIAL_TABLE - 1;
  /** closed connections in the order they closed: a ring of (slot, stream number). An entry
   *  whose Conn left the table meanwhile (or was reused: another stream number) is stale and
   *  skipped; stale entries count towards maxClosed until they reach the head. */
  private closedSlots = new Int32Array(0);
  private closedStreams = new Float64Array(0);
  /** the closeTime of each entry's Conn, so that the check of the head touches no Conn */
  private closedTimes = new Float64Array(0);
  /** per slot: the stream number of its Conn while in the table, -1 otherwise (liveness of a
   *  closed-queue entry without reading the Conn, which is cold by then) */
  private slotStream = new Float64Array(0);
  /** per slot: its Conn's hash (warm() finds the table position without reading the Conn) */
  private slotHash = new Int32Array(0);
  private closedHead = 0;
  private closedLen = 0;
  private nextStream = 0;
  private baseSec = 0;
  private baseNsec = 0;
  private haveBase = false;
  /** where warm() keeps its sum (never read) */
  private warmSink = 0;
  /** the direction of the last successful find() */
  lastDir = 0;

  readonly stats: TrackerStats = {
    created: 0, open: 0, peakOpen: 0, evictedFull: 0, evictedIdle: 0, releasedClosed: 0, reused: 0,
    skippedFragments: 0,
  };

  private readonly res: SegmentResult = {
    conn: new Conn(), dir: 0, stream: 0, newConnection: false, labels: 0, dupAckNum: 0,
    dupAckFrame: 0, ackedFrame: 0, ackRttNs: -1, bytesInFlight: -1, keepAliveStyle: 0,
  };

  constructor(opts: TrackerOptions = {}) {
    this.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.idleTimeoutNs = opts.idleTimeoutNs ?? DEFAULT_IDLE_TIMEOUT_NS;
    this.closedGraceNs = opts.closedGraceNs ?? DEFAULT_CLOSED_GRACE_NS;
    this.maxClosed = opts.maxClosed ?? DEFAULT_MAX_CLOSED;
    this.onEnd = opts.onEnd ?? null;
    this.onEndConn = opts.onEndConn ?? null;
  }

  /** Absolute time (epoch ns) of a time relative to this tracker's base. */
  absNs(rel: number): bigint {
    return BigInt(this.baseSec) * NS_PER_S + BigInt(this.baseNsec) + BigInt(Math.round(rel));
  }

  /** formatEpoch(absNs(rel), digits) without bigints (exact: every number stays below 2^53). */
  epochString(rel: number, digits: number): string {
    // beyond 2^53 ns (104 days from the first packet) a double is no longer exact
    if (!this.epochParts(rel)) return formatEpoch(this.absNs(rel), digits);
    return formatEpochPair(this.epochSec, this.epochNsec, digits);
  }

  /** Seconds and nanoseconds of the last epochParts() call. */
  epochSec = 0;
  epochNsec = 0;

  /** The absolute time of `rel` as whole epoch seconds and nanoseconds in epochSec/epochNsec,
   *  for writers that print digits themselves; false (fields untouched) when the numbers would
   *  not be exact or the time is before 1970: use epochString then. */
  epochParts(rel: number): boolean {
    const r0 = Math.round(rel);
    if (!(Math.abs(r0) < EXACT_NS_LIMIT)) return false;
    const x = this.baseNsec + r0;
    let q = Math.floor(x / NS_PER_S_NUM);
    let r = x - q * NS_PER_S_NUM;
    if (r < 0) { q--; r += NS_PER_S_NUM; } else if (r >= NS_PER_S_NUM) { q++; r -= NS_PER_S_NUM; }
    const sec = this.baseSec + q;
    if (sec < 0) return false;
    this.epochSec = sec;
    this.epochNsec = r;
    return true;
  }

  /**
   * Analyses one decoded packet. Returns null when it is not an analysable TCP segment (not TCP,
   * header not decoded, an IP fragment). The result object is reused by the next call.
   */
  track(frame: Frame, pkt: Packet): SegmentResult | null {
    if (pkt.proto !== PROTO_TCP || !pkt.tcpValid || pkt.srcPort < 0) return null;
    if (pkt.fragment !== 0) {
      this.stats.skippedFragments++;
      return null;
    }
    if (!this.haveBase) {
      this.baseSec = frame.tsSec;
      this.baseNsec = frame.tsNsec;
      this.haveBase = true;
    }
    const now = (frame.tsSec - this.baseSec) * 1e9 + (frame.tsNsec - this.baseNsec);
    this.housekeep(now);

    const flags = pkt.tcpFlags;
    const seq = pkt.seq;
    const hash = flowHash(pkt.l3, pkt.src, pkt.dst, pkt.srcPort, pkt.dstPort);
    let c = this.lookup(hash, pkt.l3, pkt.src, pkt.dst, pkt.srcPort, pkt.dstPort, pkt.vlanKey);
    let dir = this.lastDir;
    const res = this.res;
    res.labels = 0;
    res.newConnection = false;
    if (c !== null) {
      const n = c.n;
      const f = c.o + (dir === 0 ? D0_SLOT : D1_SLOT);
      if (n[f + D_BASE_SET] !== 0 && seq !== n[f + D_BASE_SEQ] && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
        // reused_ports: a SYN with a new ISN on the ports of an existing connection starts a new
        // connection (Wireshark creates a new conversation, whatever the old one's state).
        this.stats.reused++;
        this.release(c, 'reused');
        c = null;
        res.labels = L_REUSED_PORTS;
      } else if (n[f + D_BASE_SET] !== 0 && seq !== n[f + D_BASE_SEQ] && (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
        // reused_ports on a SYN-ACK with a new ISN: flagged, the connection is kept, and the new
        // ISN becomes the direction's base (tshark 4.0 flags every switch between two ISNs).
        res.labels = L_REUSED_PORTS;
        n[f + D_BASE_SEQ] = seq;
      }
    }
    if (c === null) {
      c = this.create(pkt, frame.number, now, hash);
      dir = keyMatches(c, pkt.l3, pkt.src, pkt.dst, pkt.srcPort, pkt.dstPort);
      if (dir === 0) c.vlan0 = pkt.vlanKey;
      else c.vlan1 = pkt.vlanKey;
      res.newConnection = true;
    } else {
      this.touch(c.slot);
    }
    this.slotTime[c.slot] = now;
    if (res.labels & L_REUSED_PORTS) c.reusedPorts = true;
    c.lastTime = now;
    c.lastFrame = frame.number;

    analyzeSegment(c, dir, pkt, frame.number, res);

    const n = c.n;
    const o = c.o;
    const f = o + (dir === 0 ? D0_SLOT : D1_SLOT);
    if (flags & TCP_SYN) {
      if ((flags & TCP_ACK) === 0) n[o + C_MRU_SYN_TIME] = now;
      if (n[f + D_MSS] < 0 && pkt.mss >= 0) n[f + D_MSS] = pkt.mss;
      noteWindowScale(n, f, o + (dir === 0 ? D1_SLOT : D0_SLOT), flags, pkt.wscale);
    } else if (flags & TCP_ACK && n[o + C_FIRST_RTT] === 0 && n[o + C_MRU_SYN_TIME] === n[o + C_MRU_SYN_TIME]) {
      // Wireshark's iRTT: the first pure ACK after a SYN (either direction) ends the handshake.
      n[o + C_FIRST_RTT] = now - n[o + C_MRU_SYN_TIME];
    }

    this.account(c, f, dir, pkt, res.labels);

    res.conn = c;
    res.dir = dir;
    res.stream = c.stream;
    return res;
  }

  /**
   * The connection a header belongs to, in either direction (for ICMP errors that quote a TCP
   * header); lastDir tells the direction (0 = originator to responder). null when unknown.
   */
  find(l3: number, src: Uint32Array, dst: Uint32Array, sport: number, dport: number, vlanKey: number): Conn | null {
    const hash = flowHash(l3, src, dst, sport, dport);
    const c = this.lookup(hash, l3, src, dst, sport, dport, vlanKey);
    if (c !== null) return c;
    // an ICMP error may come back on another VLAN than the connection: any tag stack will do
    // (the newest connection with these addresses and ports)
    let best: Conn | null = null;
    const mask = this.tabMask;
    const tab = this.tab;
    for (let i = hash & mask; tab[2 * i + 1] !== NONE; i = (i + 1) & mask) {
      if (tab[2 * i] !== hash) continue;
      const p = this.conns[tab[2 * i + 1]]!;
      const d = keyMatches(p, l3, src, dst, sport, dport);
      if (d >= 0 && (best === null || p.stream > best.stream)) {
        best = p;
        this.lastDir = d;
      }
    }
    return best;
  }

  /**
   * The newest connection with these addresses and ports whose VLAN tags fit: a direction that
   * has sent must carry the same tag stack again; a direction that has not sent yet takes the
   * tag stack of the other one, or, when no connection fits that way, any tag stack (a capture
   * point that sees one direction tagged and the other untagged). Sets lastDir.
   */
  private lookup(hash: number, l3: number, src: Uint32Array, dst: Uint32Array, sport: number, dport: number, vlanKey: number): Conn | null {
    const mask = this.tabMask;
    const tab = this.tab;
    let fit: Conn | null = null;
    let fitDir = 0;
    let loose: Conn | null = null;
    let looseDir = 0;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = tab[2 * i + 1];
      if (s === NONE) break;
      if (tab[2 * i] !== hash) continue;
      const c = this.conns[s]!;
      const d = keyMatches(c, l3, src, dst, sport, dport);
      if (d < 0) continue;
      const mine = d === 0 ? c.vlan0 : c.vlan1;
      const other = d === 0 ? c.vlan1 : c.vlan0;
      if (mine === vlanKey || (mine === -1 && other === vlanKey)) {
        if (fit === null || c.stream > fit.stream) {
          fit = c;
          fitDir = d;
        }
      } else if (mine === -1 && (loose === null || c.stream > loose.stream)) {
        loose = c;
        looseDir = d;
      }
    }
    if (fit !== null) {
      if ((fitDir === 0 ? fit.vlan0 : fit.vlan1) === -1) this.setVlan(fit, fitDir, vlanKey);
      this.lastDir = fitDir;
      return fit;
    }
    if (loose !== null) this.setVlan(loose, looseDir, vlanKey);
    this.lastDir = looseDir;
    return loose;
  }

  private setVlan(c: Conn, d: number, vlanKey: number): void {
    if (d === 0) c.vlan0 = vlanKey;
    else c.vlan1 = vlanKey;
  }

  /** Ends every connection still in the table (reason 'end'), oldest activity first. */
  finish(): void {
    while (this.lruHead !== NONE) this.release(this.conns[this.lruHead]!, 'end');
    this.closedHead = 0;
    this.closedLen = 0;
  }

  /** Snapshot of a live connection as a record (allocates; not for every packet). */
  record(c: Conn, reason: EndReason): ConnRecord {
    return {
      stream: c.stream,
      ipVersion: c.l3 === 6 ? 6 : 4,
      vlans: c.vlans.slice(),
      origAddr: formatAddr(c.l3, [c.a0, c.a1, c.a2, c.a3]),
      origPort: c.aPort,
      respAddr: formatAddr(c.l3, [c.b0, c.b1, c.b2, c.b3]),
      respPort: c.bPort,
      opener: OPENER_NAMES[c.opener],
      firstNs: this.absNs(c.firstTime),
      lastNs: this.absNs(c.lastTime),
      firstFrame: c.firstFrame,
      lastFrame: c.lastFrame,
      handshakeRttNs: c.firstRtt > 0 ? c.firstRtt : -1,
      history: c.history,
      state: connState(c),
      reusedPorts: c.reusedPorts,
      orig: dirRecord(c.d0),
      resp: dirRecord(c.d1),
      endReason: reason,
    };
  }

  // ---------------------------------------------------------------- table

  private create(pkt: Packet, frameNo: number, now: number, hash: number): Conn {
    if (this.freeLen === 0) this.growSlots();
    const slot = this.freeSlots[--this.freeLen];
    let c = this.conns[slot];
    if (c !== null) {
      this.freeConns--;
    } else {
      c = new Conn(this.slab, slot);
      this.conns[slot] = c;
    }
    c.slot = slot;
    const flags = pkt.tcpFlags;
    // The originator: the SYN's sender, the SYN-ACK's receiver, or, mid-connection, the side
    // with the higher port (clients use ephemeral ports, services low ones).
    let senderIsOrig: boolean;
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      senderIsOrig = true;
      c.opener = OPENER_SYN;
    } else if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
      senderIsOrig = false;
      c.opener = OPENER_SYNACK;
    } else {
      senderIsOrig = pkt.srcPort >= pkt.dstPort;
      c.opener = OPENER_INFERRED;
    }
    const o = senderIsOrig ? pkt.src : pkt.dst;
    const r = senderIsOrig ? pkt.dst : pkt.src;
    c.a0 = o[0]; c.a1 = o[1]; c.a2 = o[2]; c.a3 = o[3];
    c.b0 = r[0]; c.b1 = r[1]; c.b2 = r[2]; c.b3 = r[3];
    c.aPort = senderIsOrig ? pkt.srcPort : pkt.dstPort;
    c.bPort = senderIsOrig ? pkt.dstPort : pkt.srcPort;
    c.l3 = pkt.l3;
    c.vlanKey = pkt.vlanKey;
    if (pkt.vlanDepth > 0) c.vlans = Array.from(pkt.vlans.subarray(0, pkt.vlanDepth));
    c.stream = this.nextStream++;
    this.slotStream[slot] = c.stream;
    this.slotHash[slot] = hash;
    c.firstTime = c.lastTime = now;
    c.firstFrame = c.lastFrame = frameNo;
    c.hash = hash;
    this.tabInsert(hash, slot);
    c.inTable = true;
    this.slotTime[slot] = now;
    this.lruAppend(slot);
    this.stats.created++;
    this.stats.open++;
    if (this.stats.open * 2 > this.tabMask + 1) this.growTable();
    if (this.stats.open > this.stats.peakOpen) this.stats.peakOpen = this.stats.open;
    if (this.stats.open > this.maxConnections && this.lruHead !== NONE && this.lruHead !== slot) {
      this.stats.evictedFull++;
      this.release(this.conns[this.lruHead]!, 'evicted');
    }
    return c;
  }

  private release(c: Conn, reason: EndReason): void {
    if (!c.inTable) return;
    c.inTable = false;
    const slot = c.slot;
    this.slotStream[slot] = NONE;
    this.tabRemove(c.hash, slot);
    // unlink from the LRU list
    const prev = this.lruPrev[slot];
    const next = this.lruNext[slot];
    if (prev !== NONE) this.lruNext[prev] = next;
    else this.lruHead = next;
    if (next !== NONE) this.lruPrev[next] = prev;
    else this.lruTail = prev;
    this.stats.open--;
    if (this.onEndConn !== null) this.onEndConn(c, reason);
    if (this.onEnd !== null) this.onEnd(this.record(c, reason));
    // the slot is free; its Conn is reset now (ring arrays return to their pool) and waits there
    // for reuse, unless enough do already
    c.reset();
    if (this.freeConns < FREE_MAX) this.freeConns++;
    else this.conns[slot] = null;
    this.freeSlots[this.freeLen++] = slot;
  }

  /** Doubles the slots (the first call makes INITIAL_SLOTS); the new ones go on the free stack. */
  private growSlots(): void {
    const old = this.lruPrev.length;
    const n = old === 0 ? INITIAL_SLOTS : old * 2;
    const prev = new Int32Array(n);
    prev.set(this.lruPrev);
    const next = new Int32Array(n);
    next.set(this.lruNext);
    const time = new Float64Array(n);
    time.set(this.slotTime);
    const stream = new Float64Array(n).fill(NONE);
    stream.set(this.slotStream);
    this.slotStream = stream;
    const hashes = new Int32Array(n);
    hashes.set(this.slotHash);
    this.slotHash = hashes;
    this.lruPrev = prev;
    this.lruNext = next;
    this.slotTime = time;
    this.slab.grow(n);
    for (let i = 0; i < old; i++) this.conns[i]?.rebind();
    for (let i = old; i < n; i++) this.conns.push(null);
    const free = new Int32Array(n);
    free.set(this.freeSlots.subarray(0, this.freeLen));
    // lowest slot on top, so slots fill in order
    for (let i = n - 1; i >= old; i--) free[this.freeLen++] = i;
    this.freeSlots = free;
  }

  /** Puts (hash, slot) at the first empty position from the hash's home. */
  private tabInsert(hash: number, slot: number): void {
    const mask = this.tabMask;
    const tab = this.tab;
    let i = hash & mask;
    while (tab[2 * i + 1] !== NONE) i = (i + 1) & mask;
    tab[2 * i] = hash;
    tab[2 * i + 1] = slot;
  }

  /** Removes a slot's entry and closes the hole by shifting later entries of the run back
   *  (backward-shift deletion: no tombstones, probes stay as short as after insertion). */
  private tabRemove(hash: number, slot: number): void {
    const mask = this.tabMask;
    const tab = this.tab;
    let i = hash & mask;
    while (tab[2 * i + 1] !== slot) {
      if (tab[2 * i + 1] === NONE) return; // not there (cannot happen for a Conn in the table)
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const s = tab[2 * j + 1];
      if (s === NONE) break;
      // the entry at j may move to the hole at i unless its home lies cyclically in (i, j]
      const home = tab[2 * j] & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        tab[2 * i] = tab[2 * j];
        tab[2 * i + 1] = s;
        i = j;
      }
    }
    tab[2 * i + 1] = NONE;
  }

  /** Doubles the table and re-inserts every entry. */
  private growTable(): void {
    const old = this.tab;
    const n = (this.tabMask + 1) * 2;
    this.tab = emptyTable(n);
    this.tabMask = n - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== NONE) this.tabInsert(old[i], old[i + 1]);
  }

  private lruAppend(slot: number): void {
    this.lruPrev[slot] = this.lruTail;
    this.lruNext[slot] = NONE;
    if (this.lruTail !== NONE) this.lruNext[this.lruTail] = slot;
    else this.lruHead = slot;
    this.lruTail = slot;
  }

  private touch(slot: number): void {
    if (this.lruTail === slot) return;
    const prev = this.lruPrev[slot];
    const next = this.lruNext[slot];
    if (prev !== NONE) this.lruNext[prev] = next;
    else this.lruHead = next;
    if (next !== NONE) this.lruPrev[next] = prev;
    this.lruAppend(slot);
  }

  private housekeep(now: number): void {
    // closed connections past their grace period, or too many of them
    while (this.closedLen > 0) {
      const i = this.closedHead;
      const slot = this.closedSlots[i];
      const live = this.slotStream[slot] === this.closedStreams[i];
      if (live && now - this.closedTimes[i] <= this.closedGraceNs && this.closedLen <= this.maxClosed) break;
      this.closedHead = (i + 1) & (this.closedSlots.length - 1);
      this.closedLen--;
      if (live) {
        this.stats.releasedClosed++;
        this.release(this.conns[slot]!, 'closed');
        // the next one to go is as cold (it closed ~65,536 connections ago): load its lines now,
        // together, so that its release a few packets later finds them in the cache
        if (this.closedLen > 0) this.warm(this.closedSlots[this.closedHead]);
      }
    }
    // idle connections (the LRU head is the least recently active)
    let h = this.lruHead;
    while (h !== NONE && now - this.slotTime[h] > this.idleTimeoutNs) {
      this.stats.evictedIdle++;
      this.release(this.conns[h]!, 'idle');
      h = this.lruHead;
    }
  }

  /** Loads what releasing a slot's Conn will read (see Conn.warm); the sum is kept so that the
   *  loads are not optimised away. Reads only: no effect on any result. The loads are ordered so
   *  that as many as possible are independent of each other (addresses computed from the slot
   *  alone: the slab, the per-slot arrays, the table position) and overlap; only the Conn's own
   *  objects wait for the Conn pointer, and the LRU neighbours (written by the unlinking) for
   *  the links. */
  private warm(slot: number): void {
    const n = this.slab.n;
    const o = slot * SLAB_STRIDE;
    // one number per 64-byte line of the slot's stretch (SLAB_STRIDE is 10 lines)
    let sum = n[o] + n[o + 8] + n[o + 16] + n[o + 24] + n[o + 32] + n[o + 40] + n[o + 48] + n[o + 56] + n[o + 64] +
      n[o + 72];
    const prev = this.lruPrev[slot];
    const next = this.lruNext[slot];
    sum += this.tab[2 * (this.slotHash[slot] & this.tabMask) + 1] + this.slotStream[slot];
    const c = this.conns[slot];
    if (c !== null) sum += c.warm();
    if (prev !== NONE) sum += this.lruNext[prev];
    if (next !== NONE) sum += this.lruPrev[next];
    this.warmSink += sum;
  }

  private markClosed(c: Conn, now: number): void {
    if (c.closed) return;
    c.closed = true;
    c.closeTime = now;
    let cap = this.closedSlots.length;
    if (this.closedLen === cap) {
      // grow the ring (a power of two), oldest first; it never holds more than maxClosed + 1
      const n = cap === 0 ? 64 : cap * 2;
      const slots = new Int32Array(n);
      const streams = new Float64Array(n);
      const times = new Float64Array(n);
      for (let k = 0; k < this.closedLen; k++) {
        const j = (this.closedHead + k) & (cap - 1);
        slots[k] = this.closedSlots[j];
        streams[k] = this.closedStreams[j];
        times[k] = this.closedTimes[j];
      }
      this.closedSlots = slots;
      this.closedStreams = streams;
      this.closedTimes = times;
      this.closedHead = 0;
      cap = n;
    }
    const i = (this.closedHead + this.closedLen) & (cap - 1);
    this.closedSlots[i] = c.slot;
    this.closedStreams[i] = c.stream;
    this.closedTimes[i] = now;
    this.closedLen++;
  }

  // ---------------------------------------------------------------- statistics and history

  /** Statistics and history of one segment of direction `dir`, whose block of the slab starts
   *  at `f` (its time is c.lastTime). */
  private account(c: Conn, f: number, dir: number, pkt: Packet, labels: number): void {
    const n = c.n;
    const seglen = pkt.payloadLength;
    const flags = pkt.tcpFlags;
    n[f + D_PKTS]++;
    n[f + D_IP_BYTES] += pkt.ipTotalLength;
    n[f + D_PAYLOAD] += seglen;
    const up = dir === 0;
    const seq = pkt.seq;
    let saw = n[f + D_SAW];
    if (flags & TCP_SYN) {
      if (flags & (TCP_FIN | TCP_RST)) this.once(c, up ? CH_Q : CH_Q | CH_UPPER_TO_LOWER);
      if (flags & TCP_ACK) {
        saw |= SAW_SYNACK;
        if (n[f + D_LAST_SYNACK_SEQ] !== seq) { n[f + D_LAST_SYNACK_SEQ] = seq; c.addHistory(up ? CH_H : CH_H | CH_UPPER_TO_LOWER); }
      } else {
        saw |= SAW_SYN;
        if (n[f + D_LAST_SYN_SEQ] !== seq) { n[f + D_LAST_SYN_SEQ] = seq; c.addHistory(up ? CH_S : CH_S | CH_UPPER_TO_LOWER); }
      }
    }
    if (seglen > 0) {
      if ((saw & SAW_DATA) === 0) { saw |= SAW_DATA; c.addHistory(up ? CH_D : CH_D | CH_UPPER_TO_LOWER); }
    } else if ((flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) === TCP_ACK && (saw & SAW_ACK) === 0) {
      saw |= SAW_ACK;
      c.addHistory(up ? CH_A : CH_A | CH_UPPER_TO_LOWER);
    }
    if ((flags & (TCP_FIN | TCP_RST | TCP_SYN)) === (TCP_FIN | TCP_RST)) this.once(c, up ? CH_I : CH_I | CH_UPPER_TO_LOWER);
    if (flags & TCP_FIN) {
      saw |= SAW_FIN;
      if (n[f + D_LAST_FIN_SEQ] !== seq) { n[f + D_LAST_FIN_SEQ] = seq; c.addHistory(up ? CH_F : CH_F | CH_UPPER_TO_LOWER); }
    }
    if (flags & TCP_RST) {
      saw |= SAW_RST;
      if (n[f + D_LAST_RST_SEQ] !== seq) { n[f + D_LAST_RST_SEQ] = seq; c.addHistory(up ? CH_R : CH_R | CH_UPPER_TO_LOWER); }
    }
    n[f + D_SAW] = saw;
    if (labels & L_RETRANSMISSION) {
      n[f + D_RETRANSMISSIONS]++;
      if (isLogStep(++n[f + D_RETRANS_COUNT])) c.addHistory(up ? CH_T : CH_T | CH_UPPER_TO_LOWER);
    }
    if (labels & L_LOST_SEGMENT && isLogStep(++n[f + D_GAP_COUNT])) c.addHistory(up ? CH_G : CH_G | CH_UPPER_TO_LOWER);
    if (labels & L_ZERO_WINDOW && isLogStep(++n[f + D_ZERO_WIN_COUNT])) c.addHistory(up ? CH_W : CH_W | CH_UPPER_TO_LOWER);
    if (flags & TCP_RST || (n[c.o + D0_SLOT + D_SAW] & n[c.o + D1_SLOT + D_SAW] & SAW_FIN) !== 0) this.markClosed(c, c.lastTime);
  }

  private once(c: Conn, code: number): void {
    if (!c.hasHistory(code)) c.addHistory(code);
  }
}

/** A table of n positions, all empty. */
function emptyTable(n: number): Int32Array {
  return new Int32Array(2 * n).fill(NONE);
}

/** Zeek records the t, g, w letters logarithmically: at the 1st, 10th, 100th... event. */
function isLogStep(n: number): boolean {
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}

function dirRecord(d: Dir): DirRecord {
  return {
    pkts: d.pkts, ipBytes: d.ipBytes, payload: d.payload, retransmissions: d.retransmissions,
    mss: d.mss, windowScale: d.winScale,
  };
}
