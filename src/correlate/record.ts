// The per-packet record that the comparison keeps: numbers and hashes only, copied out of the
// decoded Packet while the frame is valid. Everything a match, a difference or a verdict needs is
// here; frame bytes are never retained.
import type { Frame } from '../capture/types.js';
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../wire/packet.js';
import { PREFIX_BYTES, hashBytes } from './hash.js';
import type { Flow } from './flows.js';

/** TCP flags that are part of a segment's identity. PSH, URG, ECE, CWR and NS are compared as
 *  fields instead: a middlebox that changes them changed the packet, it did not make a new one. */
export const KEY_FLAGS = TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK;
export const COMPARED_FLAGS = 0x1ff & ~KEY_FLAGS;
void TCP_URG;

export const ST_NEW = 0;
/** waiting in its flow's queue (flow not yet paired across captures) */
export const ST_WAITING = 1;
/** in the match index under its translated key */
export const ST_INDEXED = 2;
export const ST_MATCHED = 3;
export const ST_EVICTED = 4;

export class PktRec {
  side: 0 | 1 = 0;
  frame = 0;
  /** capture time, ns relative to the side's base second (exact while below 2^53) */
  t = 0;
  /** aligned time (ns, A's clock and base) fixed when the record was processed */
  ta = 0;
  flow!: Flow;
  /** direction in the flow's canonical order: 0 = from its lower endpoint */
  dir = 0;
  proto = 0;
  flags = 0;
  seq = 0;
  ack = 0;
  len = 0;
  win = 0;
  ipId = -1;
  ttl = -1;
  tos = 0;
  ipLen = 0;
  tcpHdrLen = 0;
  mss = -1;
  wscale = -1;
  sackPerm = false;
  hasTs = false;
  tsval = 0;
  tsecr = 0;
  sackCount = 0;
  sackL = 0;
  sackR = 0;
  icmpType = -1;
  icmpCode = -1;
  icmpSeq = -1;
  /** prefix hash (first PREFIX_BYTES of payload) and how many bytes it covers */
  dhash = 0;
  dcount = 0;
  /** hash over all captured payload bytes, and how many were captured */
  phash = 0;
  pcap = 0;

  // ---- matching state ----
  state = ST_NEW;
  /** translated identity (B's flow id, B's direction, B's sequence space) and its hash */
  kflow = 0;
  kdir = 0;
  kseq = 0;
  kack = 0;
  khash = 0;
  /** discovery key (translation-invariant): kind, two values and its hash; dkind 0 = none */
  dkind = 0;
  dk1 = 0;
  dk2 = 0;
  dkhash = 0;
  /** bucket chains of the match and discovery indexes */
  next: PktRec | null = null;
  dnext: PktRec | null = null;
  indexedDisc = false;
  /** a later copy of this segment's sequence range was sent from the same point (a retransmission) */
  rtx = false;

  /** Back to the state of a new record (the pool reuses records; extract() then sets what the
   *  packet has). Keeps `flow`, which extract always sets. */
  reset(): void {
    this.side = 0; this.frame = 0; this.t = 0; this.ta = 0; this.dir = 0; this.proto = 0;
    this.flags = 0; this.seq = 0; this.ack = 0; this.len = 0; this.win = 0; this.ipId = -1; this.ttl = -1;
    this.tos = 0; this.ipLen = 0; this.tcpHdrLen = 0; this.mss = -1; this.wscale = -1; this.sackPerm = false;
    this.hasTs = false; this.tsval = 0; this.tsecr = 0; this.sackCount = 0; this.sackL = 0; this.sackR = 0;
    this.icmpType = -1; this.icmpCode = -1; this.icmpSeq = -1; this.dhash = 0; this.dcount = 0; this.phash = 0;
    this.pcap = 0; this.state = ST_NEW; this.kflow = 0; this.kdir = 0; this.kseq = 0; this.kack = 0; this.khash = 0;
    this.dkind = 0; this.dk1 = 0; this.dk2 = 0; this.dkhash = 0; this.next = null; this.dnext = null;
    this.indexedDisc = false; this.rtx = false;
  }
}

/** Free records for reuse. The matching window holds hundreds of thousands of records that each
 *  live about `windowNs`: long enough to be promoted to V8's old generation, so allocating one per
 *  packet made a third of the run garbage collection. Records leaving the window come back here
 *  and the next packets reuse them, so the steady state allocates no records at all. Bounded:
 *  at most `max` free records are kept (the rest are left to the collector). */
export class RecordPool {
  private readonly free: PktRec[] = [];
  reused = 0;
  created = 0;
  constructor(readonly max: number) {}
  take(): PktRec {
    const r = this.free.pop();
    if (r !== undefined) {
      this.reused++;
      return r;
    }
    this.created++;
    return new PktRec();
  }
  give(r: PktRec): void {
    if (this.free.length >= this.max) return;
    r.reset();
    this.free.push(r);
  }
}

/** Why a frame was not compared (counted per capture, never logged per packet). */
export type SkipReason = 'not_ip' | 'undecodable' | 'fragment' | 'other_protocol';

/** Copies what the comparison needs out of a decoded packet. Returns null when the frame is not a
 *  TCP, UDP or ICMP packet that can be compared, with the reason in `why`. */
export function extract(frame: Frame, pkt: Packet, side: 0 | 1, t: number, why: { reason: SkipReason | null }, pool: RecordPool | null = null): PktRec | null {
  if (pkt.l3 === 0) {
    why.reason = 'not_ip';
    return null;
  }
  if (pkt.fragment !== 0) {
    why.reason = 'fragment';
    return null;
  }
  const proto = pkt.proto;
  if (proto === PROTO_TCP) {
    if (!pkt.tcpValid) {
      why.reason = 'undecodable';
      return null;
    }
  } else if (proto === PROTO_UDP || proto === PROTO_ICMP || proto === PROTO_ICMPV6) {
    if (pkt.issue !== null && pkt.issueKind !== 'truncated') {
      why.reason = 'undecodable';
      return null;
    }
    if (proto !== PROTO_UDP && pkt.icmpType < 0) {
      why.reason = 'undecodable';
      return null;
    }
  } else {
    why.reason = 'other_protocol';
    return null;
  }
  const r = pool !== null ? pool.take() : new PktRec();
  r.side = side;
  r.frame = frame.number;
  r.t = t;
  r.proto = proto;
  r.ipId = pkt.ipId;
  r.ttl = pkt.ttl;
  r.tos = pkt.tos;
  r.ipLen = pkt.ipTotalLength - pkt.ipHeaderLength;
  r.len = pkt.payloadLength;
  if (proto === PROTO_TCP) {
    r.flags = pkt.tcpFlags;
    r.seq = pkt.seq;
    r.ack = pkt.ack;
    r.win = pkt.window;
    r.tcpHdrLen = pkt.tcpHeaderLength;
    r.mss = pkt.mss;
    r.wscale = pkt.wscale;
    r.sackPerm = pkt.sackPermitted;
    r.hasTs = pkt.hasTimestamp;
    r.tsval = pkt.tsVal;
    r.tsecr = pkt.tsEcr;
    r.sackCount = pkt.sackCount;
    if (pkt.sackCount > 0) {
      r.sackL = pkt.sack[0];
      r.sackR = pkt.sack[1];
    }
  } else if (proto !== PROTO_UDP) {
    r.icmpType = pkt.icmpType;
    r.icmpCode = pkt.icmpCode;
    r.icmpSeq = pkt.icmpSeq;
  }
  const cap = pkt.payloadCaptured;
  if (cap > 0) {
    const b = frame.data;
    const dn = cap < PREFIX_BYTES ? cap : PREFIX_BYTES;
    r.dhash = hashBytes(b, pkt.payloadOffset, dn);
    r.dcount = dn;
    r.phash = cap === dn ? r.dhash : hashBytes(b, pkt.payloadOffset, cap);
    r.pcap = cap;
  }
  return r;
}
