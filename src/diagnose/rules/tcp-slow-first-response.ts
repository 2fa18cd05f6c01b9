// tcp/slow-first-response: connections that took SLOW_FIRST_RESPONSE_NS or more from the client's
// SYN to the first byte of the server's answer, with the time split where it went, as an engineer
// reads it off the ladder (the "a connection takes a second for no visible reason" case):
// - network: the handshake, SYN to the client's first segment after the SYN-ACK (a round trip
//   wherever the capture point sits, plus a lost SYN's retransmission);
// - client: from its handshake ACK to its first byte (the application connecting early and
//   sending late: name resolution, TLS set-up, a slow client program);
// - network again: from the request to the server's ACK of it, when that ACK came before the
//   answer (the path's round trip; a server's delayed ACK, 40-200 ms, is counted here too);
// - server: from that ACK (or from the request, when no earlier ACK) to the first byte of the
//   answer (the server application's think time). For a protocol where the server speaks first
//   (SMTP, FTP, SSH banners), the server's share is the time from the handshake to its first
//   byte. A request carried in the SYN (TCP Fast Open) leaves the client no share.
// Computed from the key segments (the first KEY_SEGMENTS_FIRST of each connection), so only for
// connections whose handshake, request and first answer are among them, and only where the SYN was
// captured (opener 'syn'). One finding per server endpoint, naming its slowest connection, with
// how many of its connections were slow and which part dominated in each. Severity 'warning';
// 'info' when the client's own delay is the largest part (idle pre-opened connections are a
// browser habit, and the cure is on the client) or when the network's part is a SYN or SYN-ACK
// lost and re-sent (see slowSeverity).

import type { AnalysedTrace, ConnectionFacts, SegmentFact } from '../../analysis/trace.js';
import { TCP_SYN } from '../../wire/packet.js';
import { seqAdd, seqGe } from '../../bytes/seq.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connRef, fmtDuration, round } from './util.js';
import { connectionScreen } from '../../analysis/views.js';
import { formatEndpoint } from '../../wire/addr.js';

/** A second to the first byte of the answer is what a user notices ("the mount took a second"),
 *  and far beyond a healthy LAN or WAN exchange (a few round trips, tens of milliseconds). */
export const SLOW_FIRST_RESPONSE_NS = 1e9;
/** Findings per capture: the slowest server endpoints first. */
export const MAX_FINDINGS = 8;

export type LatencyPart = 'network' | 'client' | 'server';

export interface FirstResponse {
  /** SYN, SYN-ACK, the client's first data, the server's ACK of it, the server's first data */
  syn: SegmentFact;
  synAck: SegmentFact;
  request: SegmentFact | null;
  requestAck: SegmentFact | null;
  answer: SegmentFact;
  /** SYNs and SYN-ACKs sent before the handshake completed (more than 1: re-sent after a loss) */
  syns: number;
  synAcks: number;
  totalNs: number;
  /** SYN to the client's first segment after the SYN-ACK: the handshake's round trip */
  handshakeNs: number;
  /** the parts: they add up to totalNs */
  networkNs: number;
  clientNs: number;
  serverNs: number;
  dominant: LatencyPart;
}

/** The split of one connection's time to its first answer, or null when its key segments do not
 *  hold the handshake and the first answer. */
export function firstResponse(c: ConnectionFacts): FirstResponse | null {
  const segs = c.keySegments;
  let syn: SegmentFact | null = null;
  let synAck: SegmentFact | null = null;
  let request: SegmentFact | null = null;
  let requestAck: SegmentFact | null = null;
  let answer: SegmentFact | null = null;
  let ack3: SegmentFact | null = null;
  let syns = 0;
  let synAcks = 0;
  for (const s of segs) {
    const isSynSeg = (s.flags & TCP_SYN) !== 0;
    if (s.dir === 0 && isSynSeg) {
      if (ack3 === null) syns++;
      if (syn === null) {
        syn = s;
        // TCP Fast Open (RFC 7413): the request rides in the SYN
        if (s.len > 0) request = s;
      }
      continue;
    }
    if (syn === null) continue;
    if (s.dir === 1 && isSynSeg) {
      if (ack3 === null) synAcks++;
      if (synAck === null) synAck = s;
      continue;
    }
    if (synAck === null) continue;
    if (s.dir === 0 && ack3 === null) ack3 = s;
    if (s.dir === 0 && s.len > 0 && request === null && answer === null) request = s;
    else if (s.dir === 1 && request !== null && requestAck === null && seqGe(s.ack, seqAdd(request.seq, request.len))) requestAck = s;
    if (s.dir === 1 && s.len > 0) {
      answer = s;
      break;
    }
  }
  if (syn === null || synAck === null || answer === null) return null;
  // the first captured bytes must be the first bytes sent: when the capture missed the start of
  // the answer (or of the request), the time to it is not in the capture
  if (answer.seq !== seqAdd(synAck.seq, 1)) return null;
  if (request !== null && request !== syn && request.seq !== seqAdd(syn.seq, 1)) return null;
  const ns = (a: SegmentFact, b: SegmentFact): number => Number(b.ns - a.ns);
  const totalNs = ns(syn, answer);
  let clientNs = 0;
  // the parts add up to the total. Network: the handshake's round trip, SYN to the client's first
  // segment after the SYN-ACK (the capture point may sit at either end: near the server the
  // SYN-ACK leaves at once and the path shows between it and the client's ACK); then the request
  // to the server's ACK of it, when that came before the answer. Client: its ACK to its request.
  // Server: the rest, up to the answer.
  const handshakeNs = ns(syn, ack3 !== null && ack3.frame < answer.frame ? ack3 : synAck);
  let networkNs = handshakeNs;
  let serverFrom = ack3 !== null && ack3.frame < answer.frame ? ack3 : synAck;
  if (request !== null) {
    const ackFirst = requestAck !== null && requestAck.frame < answer.frame;
    if (request === syn) {
      // TCP Fast Open: the request left with the SYN
      networkNs = ns(syn, ackFirst ? requestAck! : synAck);
      serverFrom = ackFirst ? requestAck! : synAck;
    } else {
      clientNs = Math.max(0, ns(serverFrom, request));
      serverFrom = request;
      if (ackFirst) {
        networkNs += ns(request, requestAck!);
        serverFrom = requestAck!;
      }
    }
  }
  const serverNs = Math.max(0, ns(serverFrom, answer));
  const parts: [LatencyPart, number][] = [['network', networkNs], ['client', clientNs], ['server', serverNs]];
  parts.sort((a, b) => b[1] - a[1]);
  return { syn, synAck, request, requestAck, answer, syns, synAcks, totalNs, handshakeNs, networkNs, clientNs, serverNs, dominant: parts[0][0] };
}

interface Endpoint {
  conns: number;
  slow: { c: ConnectionFacts; r: FirstResponse }[];
  byPart: Record<LatencyPart, number>;
}

export const tcpSlowFirstResponse: Rule<AnalysedTrace> = {
  id: 'tcp/slow-first-response',
  run(trace) {
    // the candidates from the connection screen's columns (a handshake, lasting a second or more;
    // NaN durations are not exact as doubles and go to the precise check), then the key segments
    // of those only
    const sc = connectionScreen(trace);
    const conns = trace.connections;
    const slow: { c: ConnectionFacts; r: FirstResponse }[] = [];
    for (let i = 0; i < conns.length; i++) {
      if (Number.isNaN(sc.setupNs[i]) || sc.durationNs[i] < SLOW_FIRST_RESPONSE_NS) continue;
      const c = conns[i];
      if (c.opener !== 'syn' || c.resp.payload === 0 || Number(c.lastNs - c.firstNs) < SLOW_FIRST_RESPONSE_NS) continue;
      const r = firstResponse(c);
      if (r !== null && r.totalNs >= SLOW_FIRST_RESPONSE_NS) slow.push({ c, r });
    }
    if (slow.length === 0) return [];
    // per server endpoint: its slow connections, and how many of its connections had a handshake
    const endpoints = new Map<string, Endpoint>();
    const key = (c: ConnectionFacts): string => `${c.capture}|${c.respAddr}|${c.respPort}`;
    for (const x of slow) {
      let e = endpoints.get(key(x.c));
      if (!e) endpoints.set(key(x.c), (e = { conns: 0, slow: [], byPart: { network: 0, client: 0, server: 0 } }));
      e.slow.push(x);
      e.byPart[x.r.dominant]++;
    }
    const ports = new Set(slow.map((x) => x.c.respPort));
    for (let i = 0; i < conns.length; i++) {
      if (Number.isNaN(sc.setupNs[i]) || !ports.has(sc.respPort[i])) continue;
      const c = conns[i];
      if (c.opener !== 'syn' || c.resp.payload === 0) continue;
      const e = endpoints.get(key(c));
      if (e) e.conns++;
    }
    const found = [...endpoints.values()];
    for (const e of found) e.slow.sort((a, b) => b.r.totalNs - a.r.totalNs);
    found.sort((a, b) => b.slow[0].r.totalNs - a.slow[0].r.totalNs);
    return found.slice(0, MAX_FINDINGS).map(finding);
  },
};

const PART_TEXT: Record<LatencyPart, string> = {
  network: 'the network: the handshake, and the request\'s way to the server with its acknowledgement\'s way back, took most of it (long round trips, or a SYN, SYN-ACK or request lost and re-sent after a timeout)',
  client: 'the client: it completed the handshake and then waited before sending its request (the application opened the connection early, or was busy: name resolution, TLS or authentication set-up, a slow client program)',
  server: 'the server: the request reached it quickly (its ACK came back within a round trip) and its answer came late (the server application was slow: a slow disk, a lock, a query, an overloaded service)',
};

const ADVICE: Record<LatencyPart, string[]> = {
  network: ['Measure the path (ping, mtr) between the two hosts; if the SYN was re-sent, look for loss or a full accept queue on the server (netstat -s: "SYNs to LISTEN sockets dropped").'],
  client: ['Look at the client: what it did between the connection and its request (a trace of the application, DNS lookups in the capture, certificate checks).'],
  server: ['Look at the server application at the time of the evidence frames (its logs, disk and CPU), not at the network: the network delivered the request in a round trip.'],
};

/** 'warning' for a slow server or a slow path; 'info' when the client's own delay is the largest
 *  part, or when the network's part is a lost SYN or SYN-ACK re-sent on its timer (ordinary loss,
 *  the classic one-second connect: named here, and escalated by tcp/connect-latency-outliers
 *  when it is a pattern across a port's connections). */
function slowSeverity(r: FirstResponse): 'warning' | 'info' {
  if (r.dominant === 'client') return 'info';
  if (r.dominant === 'network' && (r.syns > 1 || r.synAcks > 1)) return 'info';
  return 'warning';
}

function finding(e: Endpoint): Finding {
  const { c, r } = e.slow[0];
  const ms = (n: number): string => fmtDuration(n / 1e9);
  const others = e.slow.length - 1;
  const split = `network ${ms(r.networkNs)}, client ${ms(r.clientNs)}, server ${ms(r.serverNs)}`;
  const frames = [r.syn.frame, r.synAck.frame, ...(r.request ? [r.request.frame] : []), ...(r.requestAck && r.requestAck.frame < r.answer.frame ? [r.requestAck.frame] : []), r.answer.frame];
  const server = formatEndpoint(c.respAddr, c.respPort);
  return {
    id: 'tcp/slow-first-response',
    severity: slowSeverity(r),
    summary: (e.slow.length === 1
      ? `TCP stream ${c.stream} to ${server} took ${ms(r.totalNs)} from its SYN to the first byte of the answer (${split}), most of it in the ${r.dominant}` +
        (e.conns > 1 ? `; the other ${e.conns - 1} connection${e.conns === 2 ? '' : 's'} to it took less than a second.` : '.')
      : `${e.slow.length} of ${e.conns} connections to ${server} took a second or more from the SYN to the first byte of the answer; ` +
        `the slowest, stream ${c.stream}, ${ms(r.totalNs)} (${split}), most of it in the ${r.dominant}.`),
    explanation:
      `From the client's SYN (frame ${r.syn.frame}) to the server's first byte of data (frame ${r.answer.frame}) took ${ms(r.totalNs)}. ` +
      `The handshake took ${ms(r.handshakeNs)} (SYN-ACK in frame ${r.synAck.frame}` +
      (r.syns > 1 ? `; the SYN was sent ${r.syns} times, the retransmission timer of a lost SYN is 1 s on Linux and Windows, 3 s on older stacks` : '') +
      (r.synAcks > 1 ? `; the SYN-ACK was sent ${r.synAcks} times: the first one or the client's ACK to it was lost` : '') + ')' +
      (r.request === r.syn ? '; the request rode in the SYN (TCP Fast Open)' +
        (r.requestAck && r.requestAck.frame < r.answer.frame ? `; the server acknowledged it ${ms(Number(r.requestAck.ns - r.syn.ns))} after the SYN (frame ${r.requestAck.frame})` : '') +
        `; and the answer came ${ms(Number(r.answer.ns - r.syn.ns))} after the SYN`
        : r.request ? `; the client sent its first byte ${ms(r.clientNs)} after completing it (frame ${r.request.frame})` +
        (r.requestAck && r.requestAck.frame < r.answer.frame ? `; the server acknowledged it ${ms(Number(r.requestAck.ns - r.request.ns))} later (frame ${r.requestAck.frame})` : '') +
        `; and the answer came ${ms(Number(r.answer.ns - r.request.ns))} after the request` : `; the server spoke first, ${ms(r.serverNs)} after the SYN-ACK`) +
      `. So the time went to ${PART_TEXT[r.dominant]}.` +
      (others > 0 ? ` ${others} more connection${others === 1 ? '' : 's'} to this server took as long; the largest part was the network in ${e.byPart.network}, the client in ${e.byPart.client} and the server in ${e.byPart.server} of all ${e.slow.length}.` : ''),
    connection: connRef(c),
    frames: evidenceFrames(frames),
    metrics: {
      slow_connections: e.slow.length, connections: e.conns, total_s: round(r.totalNs / 1e9, 6), network_s: round(r.networkNs / 1e9, 6),
      client_s: round(r.clientNs / 1e9, 6), server_s: round(r.serverNs / 1e9, 6), dominant: r.dominant,
      by_network: e.byPart.network, by_client: e.byPart.client, by_server: e.byPart.server,
    },
    advice: ADVICE[r.dominant],
  };
}
