// One streaming pass over each capture that builds the analysed trace: frames are decoded, TCP
// segments go through the connection tracker (Wireshark's labels), the byte streams through the
// protocol pass (SMB2, ONC RPC exchanges), ICMP errors are tied to the connection they quote,
// and each connection, when the tracker releases it, becomes plain ConnectionFacts with its key
// segments. Per-connection state lives only while the tracker holds the connection.

import { readCapture, type ReadOptions } from '../capture/open.js';
import { toNs } from '../bytes/time.js';
import { decodeFrame } from '../wire/decode.js';
import { formatAddr } from '../wire/addr.js';
import { L3_IPV4, newPacket, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet, type WireIssueCode } from '../wire/packet.js';
import { TcpTracker, type ConnRecord } from '../tcp/tracker.js';
import {
  LABELS, L_FAST_RETRANSMISSION, L_KEEP_ALIVE, L_RETRANSMISSION, L_WINDOW_UPDATE, L_ZERO_WINDOW, L_ZERO_WINDOW_PROBE, KA_ONE_BYTE,
  type LabelName,
} from '../tcp/labels.js';
import type { Frame } from '../capture/types.js';
import { ConnectLatencyTable } from './connect-latency.js';
import { RingPool, type PayloadRing } from './payload-ring.js';
import { SegmentStore, type SegmentRow } from './segment-store.js';
import { KeptConnection } from './kept.js';
import { ProtocolPass } from '../protocols/pass.js';
import type { Exchange } from '../protocols/types.js';
import {
  KEY_SEGMENTS_FIRST, KEY_SEGMENTS_LAST, KEY_SEGMENTS_MARKED, MAX_CONNECTIONS_KEPT, MAX_EXCHANGES_KEPT, MAX_ICMP_ERRORS_KEPT,
  MAX_TCP_DATA_DIFFS_KEPT, type AnalysedTrace, type CaptureEntry, type ConnHealth, type ConnectionFacts, type IcmpErrorFact,
} from './trace.js';

export interface AnalyseOptions {
  /** every exchange, also those beyond the kept bound (e.g. for a streaming SRT table) */
  onExchange?: (e: Exchange) => void;
  beforeRefill?: ReadOptions['beforeRefill'];
}

class ConnBuilder {
  first: SegmentRow[] = [];
  marked: SegmentRow[] = [];
  /** ring of the most recent segments, objects reused */
  last: SegmentRow[] = [];
  lastPos = 0;
  seen = 0;
  labelCounts = new Uint32Array(LABELS.length);
  zeroByteKa = 0;
  oneByteKa = 0;
  // ---- health (every segment, not only key ones)
  /** time of the last segment on the connection, either direction (relative ns) */
  lastRel = -1;
  health: ConnHealth = newHealth();
  /** per direction: start of the current zero-window episode (relative ns, -1 = none) and its frame */
  zwRel: [number, number] = [-1, -1];
  zwFrame: [number, number] = [0, 0];
  // ---- handshake: the originator's first SYN (ISN, time) and the SYN-ACK acknowledging it
  synSeq = -1;
  synRel = 0;
  synFrame = 0;
  synAckRel = 0;
  synAckFrame = 0;
  /** the last data segment per direction, to tell a capture duplicate from a retransmission */
  lastDataSeq: [number, number] = [-1, -1];
  lastDataLen: [number, number] = [0, 0];
  lastDataRel: [number, number] = [-1e18, -1e18];
  lastDataFlags: [number, number] = [-1, -1];
  lastDataIpId: [number, number] = [-1, -1];
  /** the handshake's round trip: the originator's latest SYN before the SYN-ACK, then its first
   *  ACK after the SYN-ACK (relative ns; rtt -1 until seen) */
  lastSynRel = 0;
  hsRtt = -1;
  /** retained payload per direction for retransmission comparison (null: none or budget spent) */
  rings: [PayloadRing | null, PayloadRing | null] = [null, null];
  ringTried: [boolean, boolean] = [false, false];
  /** row objects of a previous connection, reused for this one's key segments */
  spare: SegmentRow[] = [];

  /** Back to the state of a new builder, for the next connection (the health object went to
   *  the finished connection's facts: a new one). */
  reset(): void {
    for (const l of [this.first, this.marked, this.last]) {
      for (const r of l) this.spare.push(r);
      l.length = 0;
    }
    this.lastPos = 0;
    this.seen = 0;
    this.labelCounts.fill(0);
    this.zeroByteKa = 0;
    this.oneByteKa = 0;
    this.lastRel = -1;
    this.health = newHealth();
    this.zwRel[0] = this.zwRel[1] = -1;
    this.zwFrame[0] = this.zwFrame[1] = 0;
    this.synSeq = -1;
    this.synRel = 0;
    this.synFrame = 0;
    this.synAckRel = 0;
    this.synAckFrame = 0;
    this.lastDataSeq[0] = this.lastDataSeq[1] = -1;
    this.lastDataLen[0] = this.lastDataLen[1] = 0;
    this.lastDataRel[0] = this.lastDataRel[1] = -1e18;
    this.lastDataFlags[0] = this.lastDataFlags[1] = -1;
    this.lastDataIpId[0] = this.lastDataIpId[1] = -1;
    this.lastSynRel = 0;
    this.hsRtt = -1;
    this.rings[0] = this.rings[1] = null;
    this.ringTried[0] = this.ringTried[1] = false;
  }
}

/** Builders of ended connections kept for reuse (a capture of many short connections would
 *  otherwise allocate a dozen arrays and the segment rows per connection). */
const MAX_FREE_BUILDERS = 1024;

/** A retransmission of data after at least this much silence on the connection is an RTO stall:
 *  Linux's minimum retransmission timeout is 200 ms (TCP_RTO_MIN), RFC 6298's is 1 s, so a
 *  silence this long before a retransmission is the sender's timer, not fast recovery. */
export const RTO_STALL_MIN_NS = 200e6;
/** The same data segment again within 10 µs is the capture seeing one packet twice (a SPAN port
 *  copying both directions, two interfaces): no TCP retransmits that fast (fast retransmit waits
 *  for three duplicate ACKs, a round trip at least). */
export const DUPLICATE_WINDOW_NS = 10_000;
/** A data segment repeating the IPv4 ID, sequence number, length and flags of the previous data
 *  segment in its direction within the duplicate window is the same IP packet captured again (the
 *  capture saw it at several points, or a mirror copied it twice), not a retransmission:
 *  - the usual stacks (Linux, Windows, the BSDs) number every packet they send, so a retransmission
 *    carries a new IP ID; ID 0 is not trusted (stacks that do not number atomic datagrams,
 *    RFC 6864, send 0 every time);
 *  - the window bounds what an unusual stack or a wrapped 16-bit ID could fake: no TCP sender
 *    retransmits sooner than one round trip after the original (fast retransmit waits for the
 *    receiver's duplicate ACKs, a tail-loss probe for 2 x SRTT, the timer for RTO >= 200 ms). The
 *    round trip is the connection's handshake (the latest SYN to the originator's ACK of the
 *    SYN-ACK, as the capture point saw it), raised to DUPLICATE_IPID_MIN_WINDOW_NS (a capture
 *    point that sees every packet twice also stretches the handshake it measures; the corpus's
 *    repeats come up to 3.6 ms apart on a 2.2 ms handshake) and capped at RTO_STALL_MIN_NS. */
export const DUPLICATE_IPID_MIN_WINDOW_NS = 5e6;

/** Segments whose flags or labels make them evidence: kept beyond the first few. */
const MARK_FLAGS = TCP_SYN | TCP_FIN | TCP_RST;

export async function analyse(files: string[], opts: AnalyseOptions = {}): Promise<AnalysedTrace> {
  const pool = new RingPool();
  const trace: AnalysedTrace = {
    captures: [], connections: [], segments: new SegmentStore(), exchanges: [], icmpErrors: [], labelCounts: {}, tcpStats: [], protocolCounters: {},
    connectLatency: [], tcpDataDiffs: [], retention: pool.stats,
    dropped: { connections: 0, exchanges: 0, icmpErrors: 0, tcpDataDiffs: 0, connectLatencyPorts: 0 },
  };
  for (let i = 0; i < files.length; i++) await analyseOne(files[i], i, trace, opts, pool);
  return trace;
}

async function analyseOne(path: string, capture: number, trace: AnalysedTrace, opts: AnalyseOptions, pool: RingPool): Promise<void> {
  const pkt = newPacket();
  const latency = new ConnectLatencyTable(capture);
  const exchangeStart = trace.exchanges.length;
  const builders = new Map<number, ConnBuilder>();
  const free: ConnBuilder[] = [];
  let baseSec = -1;
  let baseNsec = 0;
  let baseNs = 0n;
  const protocols = { tcp: 0, udp: 0, icmp: 0, other: 0 };
  const wireIssues: Partial<Record<WireIssueCode, number>> = {};

  const pass = new ProtocolPass((e) => {
    opts.onExchange?.(e);
    if (trace.exchanges.length < MAX_EXCHANGES_KEPT) trace.exchanges.push(e);
    else trace.dropped.exchanges++;
  });

  const finishConn = (rec: ConnRecord): void => {
    pass.connectionEnded(rec.stream);
    const b = builders.get(rec.stream);
    builders.delete(rec.stream);
    if (b) {
      for (const r of b.rings) if (r) pool.release(r);
      if (b.synAckFrame > 0) latency.add(rec.respPort, b.synAckRel - b.synRel, b.synFrame);
    }
    let labelled = false;
    for (let i = 0; i < LABELS.length; i++) {
      const n = b ? b.labelCounts[i] : 0;
      if (n) {
        trace.labelCounts[LABELS[i][1]] = (trace.labelCounts[LABELS[i][1]] ?? 0) + n;
        labelled = true;
      }
    }
    const omitted = b ? b.seen - keptCount(b) : 0;
    const interesting = omitted > 0 || labelled || rec.state !== 'SF';
    if (trace.connections.length < MAX_CONNECTIONS_KEPT || (interesting && trace.connections.length < 2 * MAX_CONNECTIONS_KEPT)) {
      trace.connections.push(toFacts(rec, b, capture, baseNs, trace.segments));
    } else trace.dropped.connections++;
    if (b && free.length < MAX_FREE_BUILDERS) {
      b.reset();
      free.push(b);
    }
  };
  const tracker = new TcpTracker({ onEnd: finishConn });

  const summary = await readCapture(path, (f) => {
    if (baseSec < 0) {
      baseSec = f.tsSec;
      baseNsec = f.tsNsec;
      baseNs = toNs(baseSec, baseNsec);
    }
    decodeFrame(f, pkt);
    if (pkt.issue !== null) wireIssues[pkt.issue] = (wireIssues[pkt.issue] ?? 0) + 1;
    const rel = (f.tsSec - baseSec) * 1e9 + (f.tsNsec - baseNsec);
    if (pkt.proto === PROTO_TCP) {
      protocols.tcp++;
      const r = tracker.track(f, pkt);
      if (r === null) return;
      let b = builders.get(r.stream);
      if (b === undefined) {
        b = free.pop() ?? new ConnBuilder();
        builders.set(r.stream, b);
      }
      recordSegment(b, f.number, rel, r.dir as 0 | 1, pkt, r.labels, r.keepAliveStyle);
      noteHealth(b, f.number, rel, r.dir as 0 | 1, pkt, r.labels);
      if (pkt.payloadCaptured > 0) retain(b, f, pkt, r.dir as 0 | 1, r.labels, r.stream, capture, baseNs + BigInt(rel), trace, pool);
      pass.tcp(f, pkt, r);
      return;
    }
    if (pkt.proto === PROTO_UDP) protocols.udp++;
    else if (pkt.proto === PROTO_ICMP || pkt.proto === PROTO_ICMPV6) {
      protocols.icmp++;
      if (pkt.quoted.present) noteIcmpError(trace, tracker, pkt, capture, f.number, toNs(f.tsSec, f.tsNsec));
    } else protocols.other++;
    pass.packet(f, pkt);
  }, { beforeRefill: opts.beforeRefill });
  tracker.finish();
  pass.finish();
  trace.tcpStats.push({ ...tracker.stats });
  trace.connectLatency.push(...latency.facts());
  trace.dropped.connectLatencyPorts += latency.droppedPorts;
  for (const [k, v] of Object.entries(pass.counters)) trace.protocolCounters[k] = (trace.protocolCounters[k] ?? 0) + v;
  const entry: CaptureEntry = {
    path, info: summary.info, frames: summary.frames, firstNs: summary.firstNs, lastNs: summary.lastNs,
    framesCutBySnaplen: summary.truncatedFrames, issueCounts: summary.issueCounts, issues: summary.issues,
    complete: !summary.stoppedEarly, wireIssues, protocols, exchangeStart, exchangeEnd: trace.exchanges.length,
  };
  trace.captures.push(entry);
}

function recordSegment(b: ConnBuilder, frame: number, rel: number, dir: 0 | 1, p: Packet, labels: number, ka: number): void {
  b.seen++;
  if (labels !== 0) {
    for (let i = 0; i < LABELS.length; i++) if (labels & LABELS[i][0]) b.labelCounts[i]++;
    if (labels & L_KEEP_ALIVE) {
      if (ka === KA_ONE_BYTE) b.oneByteKa++;
      else b.zeroByteKa++;
    }
  }
  if (b.first.length < KEY_SEGMENTS_FIRST) {
    b.first.push(seg(b, frame, rel, dir, p, labels, ka));
    return;
  }
  if ((labels !== 0 || (p.tcpFlags & MARK_FLAGS) !== 0) && b.marked.length < KEY_SEGMENTS_MARKED) {
    b.marked.push(seg(b, frame, rel, dir, p, labels, ka));
    return;
  }
  // the most recent others, in a ring whose entries are overwritten in place
  if (b.last.length < KEY_SEGMENTS_LAST) {
    b.last.push(seg(b, frame, rel, dir, p, labels, ka));
    return;
  }
  const s = b.last[b.lastPos];
  b.lastPos = (b.lastPos + 1) % KEY_SEGMENTS_LAST;
  s.frame = frame; s.rel = rel; s.dir = dir; s.flags = p.tcpFlags; s.seq = p.seq; s.ack = p.ack;
  s.len = p.payloadLength; s.win = p.window; s.labels = labels; s.ka = ka; s.ipId = ipv4Id(p);
}

/** Health counters and the handshake latency, for every segment (cheap: a few comparisons). */
function noteHealth(b: ConnBuilder, frame: number, rel: number, dir: 0 | 1, p: Packet, labels: number): void {
  const h = b.health;
  const flags = p.tcpFlags;
  // handshake: the originator's first SYN, then the SYN-ACK whose ack is that ISN + 1
  if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && dir === 0 && b.synAckFrame === 0) b.lastSynRel = rel;
  else if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_ACK && dir === 0 && b.synAckFrame > 0 && b.hsRtt < 0) b.hsRtt = rel - b.lastSynRel;
  if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && dir === 0 && b.synSeq < 0) {
    b.synSeq = p.seq;
    b.synRel = rel;
    b.synFrame = frame;
  } else if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && dir === 1 && b.synSeq >= 0 && b.synAckFrame === 0 && p.ack === ((b.synSeq + 1) >>> 0)) {
    b.synAckRel = rel;
    b.synAckFrame = frame;
  }
  // data and retransmissions (keep-alives and zero-window probes are neither)
  if (p.payloadLength > 0 && (flags & TCP_SYN) === 0 && (labels & (L_KEEP_ALIVE | L_ZERO_WINDOW_PROBE)) === 0) {
    const ipId = ipv4Id(p);
    const same = (labels & L_RETRANSMISSION) !== 0 && p.seq === b.lastDataSeq[dir] && p.payloadLength === b.lastDataLen[dir];
    const since = rel - b.lastDataRel[dir];
    const dup = same && (since <= DUPLICATE_WINDOW_NS
      || (ipId > 0 && ipId === b.lastDataIpId[dir] && flags === b.lastDataFlags[dir] && since < duplicateIpIdWindow(b)));
    b.lastDataSeq[dir] = p.seq;
    b.lastDataLen[dir] = p.payloadLength;
    b.lastDataRel[dir] = rel;
    b.lastDataFlags[dir] = flags;
    b.lastDataIpId[dir] = ipId;
    if (dup) {
      h.captureDuplicates++;
      if (h.firstDuplicateFrame === 0) h.firstDuplicateFrame = frame;
    } else h.dataSegments[dir]++;
    if (!dup && (labels & L_RETRANSMISSION)) {
      h.retransmittedData[dir]++;
      const silence = b.lastRel >= 0 ? rel - b.lastRel : 0;
      if ((labels & L_FAST_RETRANSMISSION) === 0 && silence >= RTO_STALL_MIN_NS) {
        h.rtoStalls++;
        if (silence > h.maxRtoStallNs) {
          h.maxRtoStallNs = silence;
          h.maxRtoStallFrame = frame;
          h.maxRtoStallDir = dir;
        }
      }
    }
  }
  // zero window: from the first advertisement of 0 to the first non-zero one of the same side
  if ((flags & (TCP_SYN | TCP_RST)) === 0) {
    if (b.zwRel[dir] < 0) {
      if (labels & L_ZERO_WINDOW) {
        b.zwRel[dir] = rel;
        b.zwFrame[dir] = frame;
        h.zeroWindows++;
      }
    } else if (p.window > 0 || (labels & L_WINDOW_UPDATE)) {
      const d = rel - b.zwRel[dir];
      if (d >= h.maxZeroWindowNs) {
        h.maxZeroWindowNs = d;
        h.zeroWindowFrame = b.zwFrame[dir];
        h.zeroWindowEndFrame = frame;
        h.zeroWindowDir = dir;
      }
      b.zwRel[dir] = -1;
    }
  }
  b.lastRel = rel;
}

/** The IPv4 identification of a packet; -1 for IPv6 (its ID exists only in a fragment header). */
function ipv4Id(p: Packet): number {
  return p.l3 === L3_IPV4 ? p.ipId : -1;
}

/** How long after a data segment a copy with the same IP ID counts as a capture duplicate. */
function duplicateIpIdWindow(b: ConnBuilder): number {
  return Math.min(Math.max(b.hsRtt, DUPLICATE_IPID_MIN_WINDOW_NS), RTO_STALL_MIN_NS);
}

/** Ethernet's minimum frame without FCS: a short segment is padded to it, and a device that
 *  counts the padding into the IP length makes a pure ACK look like a few bytes of payload (the
 *  corpus has such frames, zeros or garbage). Payload that fits in the padding of a minimum-size
 *  frame (60 - 14 - 20 - 20 = 6 bytes) is not retained: it would "differ" from the real data
 *  later sent at the same sequence numbers. */
const MIN_ETHERNET_FRAME = 60;
const MAX_PADDING_PAYLOAD = 6;

/** Keeps the direction's recent payload and compares retransmitted bytes with it. */
function retain(b: ConnBuilder, f: Frame, p: Packet, dir: 0 | 1, labels: number, stream: number, capture: number, ns: bigint,
  trace: AnalysedTrace, pool: RingPool): void {
  if ((p.tcpFlags & TCP_SYN) !== 0) return;
  if (f.caplen <= MIN_ETHERNET_FRAME && p.payloadCaptured <= MAX_PADDING_PAYLOAD) return;
  let ring = b.rings[dir];
  if (ring === null) {
    if (b.ringTried[dir]) return;
    b.ringTried[dir] = true;
    ring = b.rings[dir] = pool.get();
    if (ring === null) return;
  }
  // keep-alives and zero-window probes may carry a garbage byte: never compared
  const compare = (labels & L_RETRANSMISSION) !== 0 && (labels & (L_KEEP_ALIVE | L_ZERO_WINDOW_PROBE)) === 0;
  const d = ring.take(p.seq, f.buf, f.start + p.payloadOffset, Math.min(p.payloadCaptured, p.payloadLength), f.number, compare, pool.stats, pool);
  if (d === null) return;
  if (trace.tcpDataDiffs.length >= MAX_TCP_DATA_DIFFS_KEPT) {
    trace.dropped.tcpDataDiffs++;
    return;
  }
  trace.tcpDataDiffs.push({ capture, stream, dir, frame: f.number, ns, ...d });
}

function seg(b: ConnBuilder, frame: number, rel: number, dir: 0 | 1, p: Packet, labels: number, ka: number): SegmentRow {
  const s = b.spare.pop();
  if (s === undefined) return { frame, rel, dir, flags: p.tcpFlags, seq: p.seq, ack: p.ack, len: p.payloadLength, win: p.window, labels, ka, ipId: ipv4Id(p) };
  s.frame = frame; s.rel = rel; s.dir = dir; s.flags = p.tcpFlags; s.seq = p.seq; s.ack = p.ack;
  s.len = p.payloadLength; s.win = p.window; s.labels = labels; s.ka = ka; s.ipId = ipv4Id(p);
  return s;
}

/** Key segments a builder holds. */
function keptCount(b: ConnBuilder): number {
  return b.first.length + b.marked.length + b.last.length;
}

const NO_LABELS: Partial<Record<LabelName, number>> = Object.freeze({});
const NO_KEEP_ALIVES = Object.freeze({ zeroByte: 0, oneByte: 0 });

/** The connection's facts; its key segments go to the store as rows in frame order. */
function toFacts(rec: ConnRecord, b: ConnBuilder | undefined, capture: number, baseNs: bigint, store: SegmentStore): ConnectionFacts {
  const rowStart = store.length;
  if (!b) {
    return new KeptConnection(rec, capture, store, baseNs, rowStart, rowStart, {
      segmentsOmitted: 0, labelCounts: NO_LABELS, keepAlives: NO_KEEP_ALIVES, health: newHealth(), connect: null,
    });
  }
  // a zero window still closed at the end: its episode lasts until the connection's last segment
  for (const dir of [0, 1] as const) {
    if (b.zwRel[dir] < 0) continue;
    const d = b.lastRel - b.zwRel[dir];
    if (d >= b.health.maxZeroWindowNs) {
      b.health.maxZeroWindowNs = d;
      b.health.zeroWindowFrame = b.zwFrame[dir];
      b.health.zeroWindowEndFrame = 0;
      b.health.zeroWindowDir = dir;
    }
  }
  // first, marked and the ring of the last are each in frame order; merged by frame
  const segs: SegmentRow[] = b.marked.length === 0 && b.last.length === 0 ? b.first
    : [...b.first, ...b.marked, ...b.last.slice(b.lastPos), ...b.last.slice(0, b.lastPos)].sort((x, y) => x.frame - y.frame);
  for (const s of segs) store.push(s);
  let labelCounts = NO_LABELS;
  for (let i = 0; i < LABELS.length; i++) {
    if (!b.labelCounts[i]) continue;
    if (labelCounts === NO_LABELS) labelCounts = {};
    labelCounts[LABELS[i][1]] = b.labelCounts[i];
  }
  return new KeptConnection(rec, capture, store, baseNs, rowStart, store.length, {
    segmentsOmitted: b.seen - segs.length, labelCounts,
    keepAlives: b.zeroByteKa || b.oneByteKa ? { zeroByte: b.zeroByteKa, oneByte: b.oneByteKa } : NO_KEEP_ALIVES,
    health: b.health,
    connect: b.synAckFrame > 0
      ? { synFrame: b.synFrame, synNs: baseNs + BigInt(b.synRel), synAckFrame: b.synAckFrame, synAckNs: baseNs + BigInt(b.synAckRel), setupNs: b.synAckRel - b.synRel }
      : null,
  });
}

function newHealth(): ConnHealth {
  return {
    dataSegments: [0, 0], retransmittedData: [0, 0], captureDuplicates: 0, firstDuplicateFrame: 0, rtoStalls: 0, maxRtoStallNs: 0, maxRtoStallFrame: 0, maxRtoStallDir: 0,
    zeroWindows: 0, maxZeroWindowNs: 0, zeroWindowFrame: 0, zeroWindowEndFrame: 0, zeroWindowDir: 0,
  };
}


function noteIcmpError(trace: AnalysedTrace, tracker: TcpTracker, p: Packet, capture: number, frame: number, ns: bigint): void {
  if (trace.icmpErrors.length >= MAX_ICMP_ERRORS_KEPT) {
    trace.dropped.icmpErrors++;
    return;
  }
  const q = p.quoted;
  let stream: number | null = null;
  let quotedDir: 0 | 1 | null = null;
  if (q.proto === PROTO_TCP && q.hasPorts) {
    const c = tracker.find(q.l3, q.src, q.dst, q.srcPort, q.dstPort, p.vlanKey);
    if (c !== null) {
      stream = c.stream;
      quotedDir = tracker.lastDir as 0 | 1;
    }
  }
  trace.icmpErrors.push({
    capture, frame, ns, v6: p.proto === PROTO_ICMPV6, type: p.icmpType, code: p.icmpCode,
    from: formatAddr(p.l3, p.src), to: formatAddr(p.l3, p.dst),
    quoted: {
      src: formatAddr(q.l3, q.src), dst: formatAddr(q.l3, q.dst), proto: q.proto,
      srcPort: q.hasPorts ? q.srcPort : -1, dstPort: q.hasPorts ? q.dstPort : -1, seq: q.hasSeq ? q.seq : null,
    },
    stream, quotedDir,
  });
}
