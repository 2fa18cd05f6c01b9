// One streaming pass over each capture that builds the analysed trace: frames are decoded, TCP
// segments go through the connection tracker (Wireshark's labels), the byte streams through the
// protocol pass (SMB2, ONC RPC exchanges), ICMP errors are tied to the connection they quote,
// and each connection, when the tracker releases it, becomes plain ConnectionFacts with its key
// segments. Per-connection state lives only while the tracker holds the connection.

import { readCapture, type ReadOptions } from '../capture/open.js';
import { toNs } from '../bytes/time.js';
import { decodeFrame } from '../wire/decode.js';
import { formatAddr } from '../wire/addr.js';
import { newPacket, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, TCP_FIN, TCP_RST, TCP_SYN, type Packet, type WireIssueCode } from '../wire/packet.js';
import { TcpTracker, type ConnRecord } from '../tcp/tracker.js';
import { LABELS, L_KEEP_ALIVE, KA_ONE_BYTE, type LabelName } from '../tcp/labels.js';
import { ProtocolPass } from '../protocols/pass.js';
import type { Exchange } from '../protocols/types.js';
import {
  KEY_SEGMENTS_FIRST, KEY_SEGMENTS_LAST, KEY_SEGMENTS_MARKED, MAX_CONNECTIONS_KEPT, MAX_EXCHANGES_KEPT, MAX_ICMP_ERRORS_KEPT,
  type AnalysedTrace, type CaptureEntry, type ConnectionFacts, type IcmpErrorFact, type SegmentFact,
} from './trace.js';

export interface AnalyseOptions {
  /** every exchange, also those beyond the kept bound (e.g. for a streaming SRT table) */
  onExchange?: (e: Exchange) => void;
  beforeRefill?: ReadOptions['beforeRefill'];
}

/** A segment while its connection is open: time relative to the capture's first frame (exact
 *  integer ns as a number), turned into absolute bigint ns only when the connection ends. */
interface OpenSegment {
  frame: number;
  rel: number;
  dir: 0 | 1;
  flags: number;
  seq: number;
  ack: number;
  len: number;
  win: number;
  labels: number;
  ka: number;
}

class ConnBuilder {
  first: OpenSegment[] = [];
  marked: OpenSegment[] = [];
  /** ring of the most recent segments, objects reused */
  last: OpenSegment[] = [];
  lastPos = 0;
  seen = 0;
  labelCounts = new Uint32Array(LABELS.length);
  zeroByteKa = 0;
  oneByteKa = 0;
}

/** Segments whose flags or labels make them evidence: kept beyond the first few. */
const MARK_FLAGS = TCP_SYN | TCP_FIN | TCP_RST;

export async function analyse(files: string[], opts: AnalyseOptions = {}): Promise<AnalysedTrace> {
  const trace: AnalysedTrace = {
    captures: [], connections: [], exchanges: [], icmpErrors: [], labelCounts: {}, tcpStats: [], protocolCounters: {},
    dropped: { connections: 0, exchanges: 0, icmpErrors: 0 },
  };
  for (let i = 0; i < files.length; i++) await analyseOne(files[i], i, trace, opts);
  return trace;
}

async function analyseOne(path: string, capture: number, trace: AnalysedTrace, opts: AnalyseOptions): Promise<void> {
  const pkt = newPacket();
  const builders = new Map<number, ConnBuilder>();
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
    const facts = toFacts(rec, b, capture, baseNs);
    for (let i = 0; i < LABELS.length; i++) {
      const n = b ? b.labelCounts[i] : 0;
      if (n) trace.labelCounts[LABELS[i][1]] = (trace.labelCounts[LABELS[i][1]] ?? 0) + n;
    }
    const interesting = facts.segmentsOmitted > 0 || Object.keys(facts.labelCounts).length > 0 || rec.state !== 'SF';
    if (trace.connections.length < MAX_CONNECTIONS_KEPT || (interesting && trace.connections.length < 2 * MAX_CONNECTIONS_KEPT)) {
      trace.connections.push(facts);
    } else trace.dropped.connections++;
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
        b = new ConnBuilder();
        builders.set(r.stream, b);
      }
      recordSegment(b, f.number, rel, r.dir as 0 | 1, pkt, r.labels, r.keepAliveStyle);
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
  for (const [k, v] of Object.entries(pass.counters)) trace.protocolCounters[k] = (trace.protocolCounters[k] ?? 0) + v;
  const entry: CaptureEntry = {
    path, info: summary.info, frames: summary.frames, firstNs: summary.firstNs, lastNs: summary.lastNs,
    framesCutBySnaplen: summary.truncatedFrames, issueCounts: summary.issueCounts, issues: summary.issues,
    complete: !summary.stoppedEarly, wireIssues, protocols,
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
    b.first.push(seg(frame, rel, dir, p, labels, ka));
    return;
  }
  if ((labels !== 0 || (p.tcpFlags & MARK_FLAGS) !== 0) && b.marked.length < KEY_SEGMENTS_MARKED) {
    b.marked.push(seg(frame, rel, dir, p, labels, ka));
    return;
  }
  // the most recent others, in a ring whose entries are overwritten in place
  if (b.last.length < KEY_SEGMENTS_LAST) {
    b.last.push(seg(frame, rel, dir, p, labels, ka));
    return;
  }
  const s = b.last[b.lastPos];
  b.lastPos = (b.lastPos + 1) % KEY_SEGMENTS_LAST;
  s.frame = frame; s.rel = rel; s.dir = dir; s.flags = p.tcpFlags; s.seq = p.seq; s.ack = p.ack;
  s.len = p.payloadLength; s.win = p.window; s.labels = labels; s.ka = ka;
}

function seg(frame: number, rel: number, dir: 0 | 1, p: Packet, labels: number, ka: number): OpenSegment {
  return { frame, rel, dir, flags: p.tcpFlags, seq: p.seq, ack: p.ack, len: p.payloadLength, win: p.window, labels, ka };
}

function toFacts(rec: ConnRecord, b: ConnBuilder | undefined, capture: number, baseNs: bigint): ConnectionFacts {
  const segs: OpenSegment[] = b ? [...b.first, ...b.marked, ...b.last.slice(b.lastPos), ...b.last.slice(0, b.lastPos)] : [];
  segs.sort((x, y) => x.frame - y.frame);
  const keySegments: SegmentFact[] = segs.map((s) => ({
    frame: s.frame, ns: baseNs + BigInt(s.rel), dir: s.dir, flags: s.flags, seq: s.seq, ack: s.ack, len: s.len, win: s.win,
    labels: s.labels, keepAliveStyle: s.ka,
  }));
  const labelCounts: Partial<Record<LabelName, number>> = {};
  if (b) for (let i = 0; i < LABELS.length; i++) if (b.labelCounts[i]) labelCounts[LABELS[i][1]] = b.labelCounts[i];
  return {
    ...rec, capture, keySegments, segmentsOmitted: b ? b.seen - keySegments.length : 0, labelCounts,
    keepAlives: { zeroByte: b?.zeroByteKa ?? 0, oneByte: b?.oneByteKa ?? 0 },
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
