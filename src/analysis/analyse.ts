// One streaming pass over each capture that builds the analysed trace: frames are decoded, TCP
// segments go through the connection tracker (Wireshark's labels), the byte streams through the
// protocol pass (SMB2, ONC RPC exchanges), ICMP errors are tied to the connection they quote,
// and each connection, when the tracker releases it, becomes plain ConnectionFacts with its key
// segments. Per-connection state lives only while the tracker holds the connection.

import { readCapture, type ReadOptions } from '../capture/open.js';
import { toNs } from '../bytes/time.js';
import { seqGt } from '../bytes/seq.js';
import { decodeFrame } from '../wire/decode.js';
import { formatAddr } from '../wire/addr.js';
import { L3_IPV4, newPacket, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet, type WireIssueCode } from '../wire/packet.js';
import { TcpTracker } from '../tcp/tracker.js';
import { connState, type Conn, type EndReason } from '../tcp/conn.js';
import {
  LABELS, L_FAST_RETRANSMISSION, L_KEEP_ALIVE, L_RETRANSMISSION, L_WINDOW_FULL, L_WINDOW_UPDATE, L_ZERO_WINDOW, L_ZERO_WINDOW_PROBE, KA_ONE_BYTE,
  type LabelName,
} from '../tcp/labels.js';
import { ConnectLatencyTable } from './connect-latency.js';
import { TcpRetention } from './retention.js';
import { SegmentStore } from './segment-store.js';
import { Builders, FW_DIR_FIELDS, FW_FIRST_FRAME, FW_FULL, FW_RTT_MAX, FW_RTT_MAX_FRAME, FW_RTT_N, FW_RTT_SUM, LABEL_KINDS, MAX_HOLES, R_ACK, R_FLAGS, R_FRAME, R_IPID, R_LABELS, R_LEN, R_META, R_REL, R_SEQ, R_WIN, type RowPool } from './builders.js';
import { ConnFactTable, KeptConnection } from './kept.js';
import { rowBits } from './views.js';
import { ProtocolPass } from '../protocols/pass.js';
import type { Exchange } from '../protocols/types.js';
import {
  KEY_SEGMENTS_FIRST, KEY_SEGMENTS_FLAGGED, KEY_SEGMENTS_LAST, KEY_SEGMENTS_MARKED, MAX_CONNECTIONS_KEPT, MAX_EXCHANGES_KEPT, MAX_ICMP_ERRORS_KEPT,
  MAX_TCP_DATA_DIFFS_KEPT, type AnalysedTrace, type CaptureEntry, type ConnectionFacts, type IcmpErrorFact,
} from './trace.js';

export interface AnalyseOptions {
  /** every exchange, also those beyond the kept bound (e.g. for a streaming SRT table) */
  onExchange?: (e: Exchange) => void;
  beforeRefill?: ReadOptions['beforeRefill'];
}

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
/** The label bits LABELS names, and each bit's index in LABELS (label counts walk the bits set). */
const LABEL_BITS = LABELS.reduce((m, l) => m | l[0], 0);
const LABEL_OF_BIT = new Int8Array(32);
for (let i = 0; i < LABEL_KINDS; i++) LABEL_OF_BIT[31 - Math.clz32(LABELS[i][0])] = i;

export async function analyse(files: string[], opts: AnalyseOptions = {}): Promise<AnalysedTrace> {
  const retention = new TcpRetention();
  const trace: AnalysedTrace = {
    captures: [], connections: [], segments: new SegmentStore(), exchanges: [], icmpErrors: [], labelCounts: {}, tcpStats: [], protocolCounters: {},
    connectLatency: [], tcpDataDiffs: [], retention: retention.stats,
    dropped: { connections: 0, exchanges: 0, icmpErrors: 0, tcpDataDiffs: 0, connectLatencyPorts: 0 },
  };
  const facts = new ConnFactTable(trace.segments);
  trace.connectionFacts = facts;
  for (let i = 0; i < files.length; i++) await analyseOne(files[i], i, trace, opts, retention, facts);
  return trace;
}

async function analyseOne(path: string, capture: number, trace: AnalysedTrace, opts: AnalyseOptions, retention: TcpRetention, facts: ConnFactTable): Promise<void> {
  const pkt = newPacket();
  const latency = new ConnectLatencyTable(capture);
  const exchangeStart = trace.exchanges.length;
  /** per-connection columns, indexed by the tracker's slot of the connection (builders.ts) */
  const B = new Builders();
  let baseSec = -1;
  let baseNsec = 0;
  let baseNs = 0n;
  const protocols = { tcp: 0, udp: 0, icmp: 0, other: 0 };
  const wireIssues: Partial<Record<WireIssueCode, number>> = {};

  // args 'diagnose': only the arguments the rules read (protocols/types.ts ArgsLevel; SMB2 and
  // NFSv3 calls then cost what they cost in srt); the retransmission detail stays on for
  // rpc/retransmission-differs, with call bodies kept as their places in the capture file when it
  // is a regular file (protocols/places.ts) instead of copies
  const pass = new ProtocolPass((e) => {
    opts.onExchange?.(e);
    if (trace.exchanges.length < MAX_EXCHANGES_KEPT) trace.exchanges.push(e);
    else trace.dropped.exchanges++;
  }, null, { args: 'diagnose', captureFile: path });

  // The tracker hands over the live Conn when it releases a connection (its onEndConn: no record
  // object, address strings or bigints): only a connection that is kept becomes a fact row, so a
  // capture with more connections than MAX_CONNECTIONS_KEPT formats nothing for the rest.
  const finishConn = (c: Conn, reason: EndReason): void => {
    pass.connectionEnded(c.stream, c.slot);
    const b = B.holds(c.slot, c.stream) ? c.slot : -1;
    let labelled = false;
    if (b >= 0) {
      retention.release(2 * b);
      if (B.synAckFrame[b] > 0) latency.add(c.bPort, B.synAckRel[b] - B.synRel[b], B.synFrame[b]);
      const lb = B.labelAt(b);
      if (lb >= 0) {
        const counts = B.labels.v;
        for (let i = 0; i < LABEL_KINDS; i++) {
          const n = counts[lb + i];
          if (n === 0) continue;
          if (labelTotals[i] === 0) labelOrder.push(i);
          labelTotals[i] += n;
          labelled = true;
        }
      }
    }
    const kept = trace.connections.length;
    if (kept < MAX_CONNECTIONS_KEPT
      || (kept < 2 * MAX_CONNECTIONS_KEPT && ((b >= 0 && B.seen[b] > B.kept(b)) || labelled || connState(c) !== 'SF'))) {
      trace.connections.push(toFacts(c, reason, tracker, B, b, capture, baseNs, trace.segments, facts));
    } else trace.dropped.connections++;
    if (b >= 0) B.free(b);
  };
  const tracker = new TcpTracker({ onEndConn: finishConn });
  /** the label counts of the capture's connections (LABELS order), and the order in which each
   *  was first counted: added to trace.labelCounts at the end of the capture, in that order (the
   *  object's keys keep the order they were first set in, which the outputs show) */
  const labelTotals = new Float64Array(LABEL_KINDS);
  const labelOrder: number[] = [];

  retention.startCapture(path);
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
      const b = r.conn.slot;
      if (!B.holds(b, r.stream)) B.start(b, r.stream);
      if (r.labels === 0 && (pkt.tcpFlags & MARK_FLAGS) === 0) notePlain(B, b, f.number, rel, r.dir as 0 | 1, pkt, r.keepAliveStyle);
      else {
        recordSegment(B, b, f.number, rel, r.dir as 0 | 1, pkt, r.labels, r.keepAliveStyle);
        noteHealth(B, b, f.number, rel, r.dir as 0 | 1, pkt, r.labels);
      }
      // the round trip of an ACK for data whose sender had filled the window (few connections)
      if (r.ackRttNs >= 0 && B.fwRef[b] !== 0) noteFullWindowRtt(B, b, 1 - r.dir, r.ackRttNs, f.number);
      if (pkt.payloadCaptured > 0) {
        const diff = retention.take(2 * b + r.dir, f, pkt, r.labels);
        if (diff !== null) {
          if (trace.tcpDataDiffs.length < MAX_TCP_DATA_DIFFS_KEPT) {
            trace.tcpDataDiffs.push({ capture, stream: r.stream, dir: r.dir as 0 | 1, frame: f.number, ns: baseNs + BigInt(rel), ...diff });
          } else trace.dropped.tcpDataDiffs++;
        }
      }
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
  for (const i of labelOrder) trace.labelCounts[LABELS[i][1]] = (trace.labelCounts[LABELS[i][1]] ?? 0) + labelTotals[i];
  retention.endCapture();
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

/**
 * The common segment, in one pass: no label and none of SYN, FIN, RST (an in-order data segment
 * or a plain ACK). It is what recordSegment and noteHealth do for such a segment, with every
 * branch that needs a label or one of those flags left out (analyse.test.ts runs both paths on
 * the same random segments and compares every column): a key-segment row (among the first ones or in
 * the ring of the last ones; never marked), the handshake's round trip, the last data segment
 * (a later retransmission is compared with it for a capture duplicate), the bytes seen and the
 * ACK against the holes, the end of a zero-window episode.
 */
export function notePlain(B: Builders, b: number, frame: number, rel: number, dir: 0 | 1, p: Packet, ka: number): void {
  B.seen[b]++;
  const flags = p.tcpFlags;
  const seq = p.seq;
  const len = p.payloadLength;
  const ipId = p.l3 === L3_IPV4 ? p.ipId : -1;
  if (B.firstN[b] < KEY_SEGMENTS_FIRST) writeRow(B.rows, B.append(b, 0), frame, rel, dir | (ka << 1), p, 0, ipId);
  else writeLast(B, B.lastRow(b), frame, rel, dir | (ka << 1), p, 0, ipId);
  const d = 2 * b + dir;
  if (B.ttl0[d] < 0) B.ttl0[d] = p.ttl;
  if (dir === 0 && (flags & TCP_ACK) !== 0 && B.hsRtt[b] < 0 && B.synAckFrame[b] > 0) B.hsRtt[b] = rel - B.lastSynRel[b];
  noteStall(B, b, d, frame, rel, p);
  if (len > 0) {
    // not a retransmission (no label), so neither a capture duplicate nor retransmitted data
    B.lastDataFrame[d] = frame;
    B.lastDataSeq[d] = seq;
    B.lastDataLen[d] = len;
    B.lastDataRel[d] = rel;
    B.lastDataFlags[d] = flags;
    B.lastDataIpId[d] = ipId;
    B.dataSegments[d]++;
  }
  if ((flags & TCP_ACK) !== 0 && B.holeN[2 * b + 1 - dir] !== 0) ackHoles(B, b, 2 * b + 1 - dir, p.ack, frame);
  noteBytes(B, d, seq, (seq + len) >>> 0);
  if (B.zwRel[d] >= 0 && p.window > 0) endZeroWindow(B, b, d, dir, rel, frame);
  B.lastRel[b] = rel;
}

/** A receiver's delayed ACK is later than its round trip by this much at least (Linux delays an
 *  ACK up to 40 ms, Windows 200 ms; a prompt ACK comes a round trip after the data). */
export const DELAYED_ACK_MIN_NS = 30e6;
/** The segment an ACK released follows it within the round trip (the capture point may sit at
 *  the receiver: the released data then arrives a round trip after the ACK left) plus this. */
const RELEASE_SLACK_NS = 2e6;

/**
 * Delayed-ACK stalls: a sender that sends nothing more until the peer acknowledges its data (Nagle's
 * algorithm holding a small segment back, or a congestion window of one or two segments), meeting a
 * receiver that delays that ACK. Seen at any capture point as: a data segment of direction d; the
 * peer's pure ACK of exactly that data, with no data of the peer between; then d's next data
 * segment, starting where the ACK acknowledged, within a round trip of the ACK; the cycle from the
 * first data segment to the released one DELAYED_ACK_MIN_NS or more longer than the handshake's
 * round trip. The excess is the wait the delayed ACK cost. Called for every segment (d: its
 * direction's index 2 * slot + dir), before its data updates the direction's last data segment.
 */
function noteStall(B: Builders, b: number, d: number, frame: number, rel: number, p: Packet): void {
  const o = d ^ 1;
  const flags = p.tcpFlags;
  if (p.payloadLength > 0) {
    const w = B.waitRel[d];
    if (w >= 0) {
      const rtt = B.hsRtt[b] > 0 ? B.hsRtt[b] : 0;
      const excess = rel - B.lastDataRel[d] - rtt;
      if (rel - w <= rtt + RELEASE_SLACK_NS && p.seq === B.waitSeq[d] && excess >= DELAYED_ACK_MIN_NS) {
        const s = b;
        if (B.stallN[s]++ === 0) {
          B.stallDir[s] = d & 1;
          B.stallDataFrame[s] = B.waitDataFrame[d];
          B.stallAckFrame[s] = B.waitFrame[d];
          B.stallReleaseFrame[s] = frame;
        }
        B.stallNs[s] += excess;
        if (excess > B.stallMaxNs[s]) B.stallMaxNs[s] = excess;
        B.stallBytes[s] += p.payloadLength;
      }
      B.waitRel[d] = -1;
    }
    // the peer spoke: it is not waiting for an ACK of its own data any more
    B.waitRel[o] = -1;
    return;
  }
  // a pure ACK of exactly the peer's last data, the peer having sent nothing since
  if ((flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) !== TCP_ACK || B.lastDataFrame[o] === 0) return;
  if (B.lastDataFrame[d] > B.lastDataFrame[o] || p.ack !== ((B.lastDataSeq[o] + B.lastDataLen[o]) >>> 0)) return;
  if (B.waitRel[o] >= 0) return; // the first such ACK starts the wait (a window update after it does not)
  B.waitRel[o] = rel;
  B.waitFrame[o] = frame;
  B.waitDataFrame[o] = B.lastDataFrame[o];
  B.waitSeq[o] = p.ack;
}

/** The zero-window episode of direction d (slot b) ends at this segment (rel, frame). */
function endZeroWindow(B: Builders, b: number, d: number, dir: 0 | 1, rel: number, frame: number): void {
  const z = rel - B.zwRel[d];
  if (z >= B.maxZeroWindowNs[b]) {
    B.maxZeroWindowNs[b] = z;
    B.zeroWindowFrame[b] = B.zwFrame[d];
    B.zeroWindowEndFrame[b] = frame;
    B.zeroWindowDir[b] = dir;
  }
  B.zwRel[d] = -1;
}

/** A segment's key-segment row and label counts (any segment; notePlain is the common case). */
export function recordSegment(B: Builders, b: number, frame: number, rel: number, dir: 0 | 1, p: Packet, labels: number, ka: number): void {
  B.seen[b]++;
  if (labels !== 0) {
    const lb = B.labelBlock(b);
    const counts = B.labels.v;
    // one count per label bit set (LABEL_OF_BIT: the bit's index in LABELS)
    for (let m = labels & LABEL_BITS; m !== 0; m &= m - 1) counts[lb + LABEL_OF_BIT[31 - Math.clz32(m & -m)]]++;
    if (labels & L_KEEP_ALIVE) {
      if (ka === KA_ONE_BYTE) B.oneByteKa[b]++;
      else B.zeroByteKa[b]++;
    }
  }
  if (B.firstN[b] < KEY_SEGMENTS_FIRST) writeRow(B.rows, B.append(b, 0), frame, rel, dir | (ka << 1), p, labels, ipv4Id(p));
  else if ((p.tcpFlags & MARK_FLAGS) !== 0 ? B.markedN[b] < KEY_SEGMENTS_MARKED + KEY_SEGMENTS_FLAGGED : labels !== 0 && B.markedN[b] < KEY_SEGMENTS_MARKED) {
    writeRow(B.rows, B.append(b, 1), frame, rel, dir | (ka << 1), p, labels, ipv4Id(p));
  }
  // the most recent others, in a ring whose oldest row is overwritten
  else writeLast(B, B.lastRow(b), frame, rel, dir | (ka << 1), p, labels, ipv4Id(p));
}

/** Row r of the key-segment pool: the segment. */
function writeRow(rows: RowPool, r: number, frame: number, rel: number, meta: number, p: Packet, labels: number, ipId: number): void {
  rows.frame[r] = frame;
  rows.rel[r] = rel;
  rows.meta[r] = meta;
  rows.flags[r] = p.tcpFlags;
  rows.seq[r] = p.seq;
  rows.ack[r] = p.ack;
  rows.len[r] = p.payloadLength;
  rows.win[r] = p.window;
  rows.labels[r] = labels;
  rows.ipId[r] = ipId;
}

/** The row at `o` of a ring of the last segments (Builders.lastRow): the segment. */
function writeLast(B: Builders, o: number, frame: number, rel: number, meta: number, p: Packet, labels: number, ipId: number): void {
  const v = B.rings.v;
  v[o + R_FRAME] = frame;
  v[o + R_REL] = rel;
  v[o + R_SEQ] = p.seq;
  v[o + R_ACK] = p.ack;
  v[o + R_LEN] = p.payloadLength;
  v[o + R_WIN] = p.window;
  v[o + R_LABELS] = labels;
  v[o + R_FLAGS] = p.tcpFlags;
  v[o + R_IPID] = ipId;
  v[o + R_META] = meta;
}

/** Health counters and the handshake latency, for every segment (cheap: a few comparisons). */
export function noteHealth(B: Builders, b: number, frame: number, rel: number, dir: 0 | 1, p: Packet, labels: number): void {
  const flags = p.tcpFlags;
  const d = 2 * b + dir; // per-direction columns
  // the TTL of the direction's first segment that is not a RST, and of its first RST
  if ((flags & TCP_RST) === 0) {
    if (B.ttl0[d] < 0) B.ttl0[d] = p.ttl;
  } else if (B.rstFrame[d] === 0) {
    B.rstFrame[d] = frame;
    B.rstTtl[d] = p.ttl;
  }
  // handshake: the originator's first SYN, then the SYN-ACK whose ack is that ISN + 1
  if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && dir === 0 && B.synAckFrame[b] === 0) B.lastSynRel[b] = rel;
  else if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_ACK && dir === 0 && B.synAckFrame[b] > 0 && B.hsRtt[b] < 0) B.hsRtt[b] = rel - B.lastSynRel[b];
  if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && dir === 0 && B.synSeq[b] < 0) {
    B.synSeq[b] = p.seq;
    B.synRel[b] = rel;
    B.synFrame[b] = frame;
  } else if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && dir === 1 && B.synSeq[b] >= 0 && B.synAckFrame[b] === 0 && p.ack === ((B.synSeq[b] + 1) >>> 0)) {
    B.synAckRel[b] = rel;
    B.synAckFrame[b] = frame;
  }
  noteStall(B, b, d, frame, rel, p);
  // data and retransmissions (keep-alives and zero-window probes are neither)
  if (p.payloadLength > 0 && (flags & TCP_SYN) === 0 && (labels & (L_KEEP_ALIVE | L_ZERO_WINDOW_PROBE)) === 0) {
    B.lastDataFrame[d] = frame;
    const ipId = ipv4Id(p);
    const same = (labels & L_RETRANSMISSION) !== 0 && p.seq === B.lastDataSeq[d] && p.payloadLength === B.lastDataLen[d];
    const since = rel - B.lastDataRel[d];
    const dup = same && (since <= DUPLICATE_WINDOW_NS
      || (ipId > 0 && ipId === B.lastDataIpId[d] && flags === B.lastDataFlags[d] && since < duplicateIpIdWindow(B.hsRtt[b])));
    B.lastDataSeq[d] = p.seq;
    B.lastDataLen[d] = p.payloadLength;
    B.lastDataRel[d] = rel;
    B.lastDataFlags[d] = flags;
    B.lastDataIpId[d] = ipId;
    if (dup) {
      B.captureDuplicates[b]++;
      if (B.firstDuplicateFrame[b] === 0) B.firstDuplicateFrame[b] = frame;
    } else B.dataSegments[d]++;
    if (!dup && (labels & L_RETRANSMISSION)) {
      B.retransmittedData[d]++;
      const silence = B.lastRel[b] >= 0 ? rel - B.lastRel[b] : 0;
      if ((labels & L_FAST_RETRANSMISSION) === 0 && silence >= RTO_STALL_MIN_NS) {
        B.rtoStalls[b]++;
        if (silence > B.maxRtoStallNs[b]) {
          B.maxRtoStallNs[b] = silence;
          B.maxRtoStallFrame[b] = frame;
          B.maxRtoStallDir[b] = dir;
        }
      }
    }
  }
  // bytes seen per direction (the highest, and the holes below it) and ACKs from the other side
  // that acknowledge a hole the capture never filled: data that reached the receiver without
  // passing the capture point (capture loss). Wireshark's "ACKed unseen segment" label is not that
  // proof: it compares the ACK with its next expected sequence number, which a retransmission
  // lowers, and misses an ACK for a hole below the highest byte seen.
  if ((flags & (TCP_SYN | TCP_RST)) === 0) {
    if ((flags & TCP_ACK) !== 0) ackHoles(B, b, 2 * b + 1 - dir, p.ack, frame);
    noteBytes(B, d, p.seq, (p.seq + p.payloadLength + ((flags & TCP_FIN) ? 1 : 0)) >>> 0);
  } else if ((flags & (TCP_SYN | TCP_RST)) === TCP_SYN) {
    // a SYN (re)starts the direction's sequence space: what came before (a challenge ACK in the
    // old connection's numbers, incident D) says nothing about holes in the new one, and a SYN
    // may itself be a stale re-send with an old ISN (port reuse): the next other segment sets it
    B.maxEnd[d] = -1;
    B.holeN[d] = 0;
  }
  // the sender filled the receiver's window: counted per direction, and from now on the round
  // trips of its data are measured (noteFullWindowRtt)
  if (labels & L_WINDOW_FULL) {
    const at = B.fullWindowBlock(b) + dir * FW_DIR_FIELDS;
    const v = B.fullWindow.v;
    if (v[at + FW_FULL]++ === 0) v[at + FW_FIRST_FRAME] = frame;
  }
  // zero window: from the first advertisement of 0 to the first non-zero one of the same side
  if ((flags & (TCP_SYN | TCP_RST)) === 0) {
    if (B.zwRel[d] < 0) {
      if (labels & L_ZERO_WINDOW) {
        B.zwRel[d] = rel;
        B.zwFrame[d] = frame;
        B.zeroWindows[b]++;
      }
    } else if (p.window > 0 || (labels & L_WINDOW_UPDATE)) endZeroWindow(B, b, d, dir, rel, frame);
  }
  B.lastRel[b] = rel;
}

/** An ACK's round trip (Wireshark's ack_rtt) for the data of direction `dir` of slot b, counted
 *  when that direction has filled the receiver's window at least once before (the slot has a
 *  full-window block). */
function noteFullWindowRtt(B: Builders, b: number, dir: number, rtt: number, frame: number): void {
  const at = B.fullWindowAt(b) + dir * FW_DIR_FIELDS;
  const v = B.fullWindow.v;
  if (v[at + FW_FULL] === 0) return;
  v[at + FW_RTT_N]++;
  v[at + FW_RTT_SUM] += rtt;
  if (rtt > v[at + FW_RTT_MAX]) {
    v[at + FW_RTT_MAX] = rtt;
    v[at + FW_RTT_MAX_FRAME] = frame;
  }
}

/** Direction d saw the bytes [seq, end): the highest byte moves up (a jump leaves a hole), or the
 *  segment fills (part of) holes below it. */
function noteBytes(B: Builders, d: number, seq: number, end: number): void {
  const top = B.maxEnd[d];
  if (top < 0) {
    B.maxEnd[d] = end; // the first segment seen: bytes before it are not known to exist
    return;
  }
  if (seqGt(seq, top)) {
    const base = d * MAX_HOLES;
    let n = B.holeN[d];
    if (n === MAX_HOLES) {
      // forget the oldest
      B.holeStart.copyWithin(base, base + 1, base + n);
      B.holeEnd.copyWithin(base, base + 1, base + n);
      n--;
    }
    B.holeStart[base + n] = top;
    B.holeEnd[base + n] = seq;
    B.holeN[d] = n + 1;
    B.maxEnd[d] = end;
    return;
  }
  if (seqGt(end, top)) B.maxEnd[d] = end;
  if (B.holeN[d] > 0 && seqGt(end, seq)) fillHoles(B, d, seq, end);
}

/** A segment below the highest byte: the holes it overlaps shrink, vanish or (when it lands
 *  inside one) keep their lower part (the upper part is taken as seen: errs toward no claim). */
function fillHoles(B: Builders, d: number, seq: number, end: number): void {
  const base = d * MAX_HOLES;
  let w = 0;
  const n = B.holeN[d];
  for (let i = 0; i < n; i++) {
    let hs = B.holeStart[base + i];
    let he = B.holeEnd[base + i];
    if (seqGt(end, hs) && seqGt(he, seq)) {
      if (!seqGt(seq, hs)) hs = end; // covers the start: what is left begins after the segment
      else he = seq; // starts inside: what is left ends where the segment begins
      if (!seqGt(he, hs)) continue; // filled
    }
    B.holeStart[base + w] = hs;
    B.holeEnd[base + w] = he;
    w++;
  }
  B.holeN[d] = w;
}

/** An ACK for direction o up to `ack`: each hole whose start it passes was acknowledged unseen. */
function ackHoles(B: Builders, b: number, o: number, ack: number, frame: number): void {
  let n = B.holeN[o];
  if (n === 0) return;
  const base = o * MAX_HOLES;
  let k = 0;
  while (k < n && seqGt(ack, B.holeStart[base + k])) k++;
  if (k === 0) return;
  if (B.ackedUnseen[b] === 0) B.firstAckedUnseenFrame[b] = frame;
  B.ackedUnseen[b] += k;
  B.holeStart.copyWithin(base, base + k, base + n);
  B.holeEnd.copyWithin(base, base + k, base + n);
  B.holeN[o] = n - k;
}

/** The IPv4 identification of a packet; -1 for IPv6 (its ID exists only in a fragment header). */
function ipv4Id(p: Packet): number {
  return p.l3 === L3_IPV4 ? p.ipId : -1;
}

/** How long after a data segment a copy with the same IP ID counts as a capture duplicate. */
function duplicateIpIdWindow(hsRtt: number): number {
  return Math.min(Math.max(hsRtt, DUPLICATE_IPID_MIN_WINDOW_NS), RTO_STALL_MIN_NS);
}

/** The connection's facts; its key segments go to the store as rows in frame order, its numbers
 *  to a row of the fact table (read from the builder columns, no intermediate object). */
/** toFacts' place for rowBits' first RST row */
const firstRst = new Int32Array(1);

function toFacts(c: Conn, reason: EndReason, tracker: TcpTracker, B: Builders, b: number, capture: number, baseNs: bigint, store: SegmentStore, table: ConnFactTable): ConnectionFacts {
  const rowStart = store.length;
  if (b < 0) {
    const k0 = table.addConn(c, reason, tracker, capture, baseNs, rowStart, rowStart);
    table.seal(k0);
    return new KeptConnection(table, k0);
  }
  // the longest zero-window episode; one still open at the end lasts until the connection's last
  // segment (and has no closing frame)
  let maxZw = B.maxZeroWindowNs[b];
  let zwFrame = B.zeroWindowFrame[b];
  let zwEnd = B.zeroWindowEndFrame[b];
  let zwDir = B.zeroWindowDir[b];
  for (let dir = 0; dir < 2; dir++) {
    const zw = B.zwRel[2 * b + dir];
    if (zw < 0) continue;
    const d = B.lastRel[b] - zw;
    if (d >= maxZw) {
      maxZw = d;
      zwFrame = B.zwFrame[2 * b + dir];
      zwEnd = 0;
      zwDir = dir;
    }
  }
  const kept = B.moveRows(b, store);
  const rowEnd = store.length;
  const k = table.addConn(c, reason, tracker, capture, baseNs, rowStart, rowEnd);
  // what the connection screen reads of the rows, while they are in cache (views.ts)
  if (rowEnd > rowStart) table.setScreen(k, rowBits(store, rowStart, rowEnd, firstRst, 0), firstRst[0], store.frameAt(rowStart), store.frameAt(rowEnd - 1));
  const lb = B.labelAt(b);
  if (lb >= 0) table.setLabels(k, B.labels.v, lb);
  const fw = B.fullWindowAt(b);
  if (fw >= 0) table.setFullWindow(k, B.fullWindow.v, fw);
  if (B.stallN[b] > 0) table.setStalls(k, B, b);
  // a RST with another TTL than its direction's other segments (the originator's direction first)
  for (let d = 2 * b; d < 2 * b + 2; d++) {
    if (B.rstFrame[d] === 0 || B.ttl0[d] < 0 || B.rstTtl[d] === B.ttl0[d]) continue;
    table.setOddReset(k, (d - 2 * b) as 0 | 1, B.rstFrame[d], B.rstTtl[d], B.ttl0[d]);
    break;
  }
  table.setFacts(k, B, b, maxZw, zwFrame, zwEnd, zwDir, B.seen[b] - kept);
  // the row is complete: the screen's numbers of it are taken now, while it is in cache
  table.seal(k);
  return new KeptConnection(table, k);
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
