// `pcapdx packets FILE`: one line per frame (number, time, addresses, ports, flags, seq, ack,
// length, TCP analysis labels), or NDJSON with the same fields (--json).

import { readCapture } from '../capture/open.js';
import type { Frame } from '../capture/types.js';
import { formatEpochPair } from '../bytes/time.js';
import { decodeFrame } from '../wire/decode.js';
import { formatAddr } from '../wire/addr.js';
import { formatTcpFlagsShort } from '../wire/tcpflags.js';
import { newPacket, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, type Packet } from '../wire/packet.js';
import { Output } from './output.js';
import { TcpTracker } from '../tcp/tracker.js';
import { labelNames } from '../tcp/labels.js';
import { formatSecondsNs, reportCaptureIssues } from './common.js';

export type TimeFormat = 'relative' | 'epoch' | 'delta';

export interface PacketsOptions { json: boolean; time: TimeFormat; limit: number }

/** What the TCP analysis adds to a frame's line (filled by the caller's analyser, if any). */
export interface SegmentNotes {
  stream: number;
  labels: readonly string[];
  /** seconds, or null */
  ackRtt: number | null;
}

/** Lets packets show TCP analysis without this file depending on how it is done. */
export type Annotator = (frame: Frame, pkt: Packet) => SegmentNotes | null;

const PROTO_NAMES: Record<number, string> = { [PROTO_TCP]: 'TCP', [PROTO_UDP]: 'UDP', [PROTO_ICMP]: 'ICMP', [PROTO_ICMPV6]: 'ICMPv6' };

function endpoint(l3: number, words: Uint32Array, port: number): string {
  const a = formatAddr(l3, words);
  if (port < 0) return a;
  return l3 === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

export async function packetsCommand(file: string, opts: PacketsOptions, out: Output, annotate: Annotator | null): Promise<number> {
  const pkt = newPacket();
  let firstNs = -1;
  let base = { sec: 0, nsec: 0 };
  let prev = { sec: 0, nsec: 0 };
  let shown = 0;
  const summary = await readCapture(file, (f) => {
    if (opts.limit > 0 && shown >= opts.limit) return;
    shown++;
    decodeFrame(f, pkt);
    const notes = annotate ? annotate(f, pkt) : null;
    if (firstNs < 0) {
      firstNs = 0;
      base = { sec: f.tsSec, nsec: f.tsNsec };
      prev = base;
    }
    const relNs = (f.tsSec - base.sec) * 1e9 + (f.tsNsec - base.nsec);
    const deltaNs = (f.tsSec - prev.sec) * 1e9 + (f.tsNsec - prev.nsec);
    prev = { sec: f.tsSec, nsec: f.tsNsec };
    if (opts.json) out.line(JSON.stringify(packetRecord(f, pkt, notes, relNs)));
    else {
      const t = opts.time === 'epoch' ? formatEpochPair(f.tsSec, f.tsNsec, f.tsDigits)
        : formatSecondsNs(opts.time === 'delta' ? deltaNs : relNs, f.tsDigits);
      out.line(packetLine(f, pkt, notes, t));
    }
  }, { beforeRefill: out.drain });
  return reportCaptureIssues(file, summary);
}

export function packetLine(f: Frame, p: Packet, notes: SegmentNotes | null, time: string): string {
  const num = String(f.number).padStart(6);
  let s = `${num}  ${time}  `;
  if (p.l3 === 0) {
    s += `link ${f.linkType} len=${f.origlen}`;
  } else {
    s += `${endpoint(p.l3, p.src, p.srcPort)} > ${endpoint(p.l3, p.dst, p.dstPort)}  ${PROTO_NAMES[p.proto] ?? `proto ${p.proto}`}`;
    if (p.vlanDepth > 0) s += ` vlan ${Array.from(p.vlans.subarray(0, p.vlanDepth)).join('/')}`;
    if (p.fragment === 2) s += ` fragment off=${p.fragOffset}`;
    if (p.tcpValid) {
      s += ` [${formatTcpFlagsShort(p.tcpFlags)}] seq=${p.seq} ack=${p.ack} win=${p.window} len=${p.payloadLength}`;
      if (notes) {
        s += ` stream=${notes.stream}`;
        if (notes.labels.length) s += ` <${notes.labels.join(',')}>`;
        if (notes.ackRtt !== null) s += ` ack_rtt=${notes.ackRtt.toFixed(6)}`;
      }
    } else if (p.proto === PROTO_UDP && p.srcPort >= 0) {
      s += ` len=${p.payloadLength}`;
    } else if (p.icmpType >= 0) {
      s += ` type=${p.icmpType} code=${p.icmpCode}`;
      const q = p.quoted;
      if (q.present) {
        s += ` quoting ${endpoint(q.l3, q.src, q.hasPorts ? q.srcPort : -1)} > ${endpoint(q.l3, q.dst, q.hasPorts ? q.dstPort : -1)} ${PROTO_NAMES[q.proto] ?? `proto ${q.proto}`}`;
        if (q.hasSeq) s += ` seq=${q.seq}`;
      }
    }
  }
  if (f.caplen < f.origlen) s += ` (cut to ${f.caplen} of ${f.origlen} bytes)`;
  if (p.issue !== null) s += ` !${p.issue}`;
  return s;
}

export function packetRecord(f: Frame, p: Packet, notes: SegmentNotes | null, relNs: number): Record<string, unknown> {
  const r: Record<string, unknown> = {
    number: f.number,
    time: formatEpochPair(f.tsSec, f.tsNsec, f.tsDigits),
    rel: relNs / 1e9,
    caplen: f.caplen,
    len: f.origlen,
    linkType: f.linkType,
  };
  if (p.vlanDepth > 0) r.vlans = Array.from(p.vlans.subarray(0, p.vlanDepth));
  if (p.l3 !== 0) {
    r.ipVersion = p.l3;
    r.src = formatAddr(p.l3, p.src);
    r.dst = formatAddr(p.l3, p.dst);
    r.proto = PROTO_NAMES[p.proto] ?? p.proto;
    r.ttl = p.ttl;
    if (p.fragment) r.fragment = { first: p.fragment === 1, offset: p.fragOffset };
  }
  if (p.srcPort >= 0) {
    r.srcPort = p.srcPort;
    r.dstPort = p.dstPort;
  }
  if (p.tcpValid) {
    r.flags = formatTcpFlagsShort(p.tcpFlags);
    r.seq = p.seq;
    r.ack = p.ack;
    r.win = p.window;
    r.payloadLength = p.payloadLength;
    const opts: Record<string, unknown> = {};
    if (p.mss >= 0) opts.mss = p.mss;
    if (p.wscale >= 0) opts.wscale = p.wscale;
    if (p.sackPermitted) opts.sackPermitted = true;
    if (p.hasTimestamp) opts.ts = [p.tsVal, p.tsEcr];
    if (p.sackCount) opts.sack = Array.from(p.sack.subarray(0, p.sackCount * 2));
    if (Object.keys(opts).length) r.options = opts;
    if (notes) {
      r.stream = notes.stream;
      r.labels = notes.labels;
      if (notes.ackRtt !== null) r.ackRtt = notes.ackRtt;
    }
  } else if (p.proto === PROTO_UDP && p.srcPort >= 0) {
    r.payloadLength = p.payloadLength;
  }
  if (p.icmpType >= 0) {
    r.icmp = { type: p.icmpType, code: p.icmpCode };
    const q = p.quoted;
    if (q.present) {
      const quoted: Record<string, unknown> = { src: formatAddr(q.l3, q.src), dst: formatAddr(q.l3, q.dst), proto: PROTO_NAMES[q.proto] ?? q.proto };
      if (q.hasPorts) {
        quoted.srcPort = q.srcPort;
        quoted.dstPort = q.dstPort;
      }
      if (q.hasSeq) quoted.seq = q.seq;
      if (q.hasAck) quoted.ack = q.ack;
      (r.icmp as Record<string, unknown>).quoted = quoted;
    }
  }
  if (p.issue !== null) r.issue = { code: p.issue, kind: p.issueKind, offset: p.issueOffset };
  return r;
}

/** TCP analysis for each frame's line: stream index, Wireshark's label names, ack_rtt. The
 *  tracker keeps only per-connection state (bounded), so this streams like the rest. */
export function tcpAnnotator(): Annotator {
  const tracker = new TcpTracker();
  const notes: { stream: number; labels: string[]; ackRtt: number | null } = { stream: 0, labels: [], ackRtt: null };
  return (f, p) => {
    if (!p.tcpValid) return null;
    const r = tracker.track(f, p);
    if (r === null) return null;
    notes.stream = r.stream;
    notes.labels = r.labels ? labelNames(r.labels) : [];
    notes.ackRtt = r.ackRttNs >= 0 ? r.ackRttNs / 1e9 : null;
    return notes;
  };
}
