// tcp/ack-stall (warning): a sender that could send nothing more until its peer acknowledged its
// data, and a peer that acknowledged late, over and over: each time the connection stood still for
// the ACK's delay. The two classic pairs behind it:
// - Nagle's algorithm (the sender holds a small segment back while earlier data is unacknowledged)
//   meeting a delayed ACK (the receiver waits up to 40 ms on Linux, 200 ms on Windows, for more
//   data or an answer to piggyback on): a request written in two pieces waits 40-200 ms every time;
// - a window that lets the sender have only a segment or a few in flight (a small receive window,
//   or the congestion window after idle or loss) meeting the same delayed ACK, or a receiver slow
//   to acknowledge (a printer, an embedded device).
// Which one: the segments the late ACKs released (small ones are Nagle's; full-size ones a window).
//
// What the analysis counts (analyse.ts noteStall), at any capture point: a data segment, the peer's
// pure ACK of exactly that data with no data of its own between, then the sender's next data
// segment from where the ACK left off, within a round trip of the ACK, the whole cycle at least
// DELAYED_ACK_MIN_NS (30 ms) longer than the handshake's round trip: that excess is the wait.

import type { AnalysedTrace, AckStallFacts, ConnectionFacts } from '../../analysis/trace.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connRef, fmtDuration, round } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

/** A pattern, not an incident: a delayed ACK now and then costs nothing anyone notices. */
export const MIN_STALLS = 3;
/** The waits together: half a second is what a person notices (a page, a print job, a mount). */
export const MIN_TOTAL_NS = 500e6;
/** ...and a share of the connection's life: three waits over a day-long session are not its problem. */
export const MIN_SHARE = 0.05;
/** Released segments this close to the MSS on average are full-size: a window held the sender,
 *  not Nagle (which holds back segments smaller than the MSS). */
export const FULL_SIZE_SHARE = 0.9;
/** MSS assumed when the handshake was not captured (RFC 9293's default for IPv4). */
const DEFAULT_MSS = 536;
/** Findings per trace: the longest total waits first; how many more is a metric of the last. */
export const MAX_FINDINGS = 16;

export const tcpAckStall: Rule<AnalysedTrace> = {
  id: 'tcp/ack-stall',
  run(trace) {
    const out: Finding[] = [];
    const table = trace.connectionFacts;
    if (table !== undefined && table.length === trace.connections.length && table.stalledRows === 0) return out;
    const hits: { c: ConnectionFacts; s: AckStallFacts }[] = [];
    for (const c of trace.connections) {
      const s = c.ackStalls;
      if (s === null || s.stalls < MIN_STALLS || s.totalNs < MIN_TOTAL_NS) continue;
      const life = Number(c.lastNs - c.firstNs);
      if (life > 0 && s.totalNs < MIN_SHARE * life) continue;
      hits.push({ c, s });
    }
    hits.sort((a, b) => b.s.totalNs - a.s.totalNs || a.c.capture - b.c.capture || a.c.stream - b.c.stream);
    for (const { c, s } of hits.slice(0, MAX_FINDINGS)) out.push(finding(c, s));
    if (hits.length > MAX_FINDINGS) out[out.length - 1].metrics.more_connections = hits.length - MAX_FINDINGS;
    return out;
  },
};

function finding(c: ConnectionFacts, s: AckStallFacts): Finding {
  const sender = s.dir === 0 ? formatEndpoint(c.origAddr, c.origPort) : formatEndpoint(c.respAddr, c.respPort);
  const receiver = s.dir === 0 ? formatEndpoint(c.respAddr, c.respPort) : formatEndpoint(c.origAddr, c.origPort);
  const senderWho = s.dir === 0 ? 'the client' : 'the server';
  const mss = (s.dir === 0 ? c.orig.mss : c.resp.mss) || DEFAULT_MSS;
  const meanReleased = s.releasedBytes / s.stalls;
  const fullSize = meanReleased >= FULL_SIZE_SHARE * mss;
  const mean = s.totalNs / s.stalls;
  const rtt = c.handshakeRttNs > 0 ? c.handshakeRttNs : 0;
  const life = Number(c.lastNs - c.firstNs);
  const cause = fullSize
    ? `The segments each late ACK released were full-size (${Math.round(meanReleased)} bytes on average, MSS ${mss}): a window kept ${senderWho} to a few segments in flight, ` +
      `${receiver}'s receive window (when it is small: an embedded device, a printer) or ${senderWho}'s congestion window (after an idle period or a loss), and ${receiver} acknowledged slowly ` +
      `(a delayed ACK, or a receiver that acknowledges only once it has processed the data).`
    : `The segments each late ACK released were small (${Math.round(meanReleased)} bytes on average, MSS ${mss}): Nagle's algorithm on ${senderWho} held them back while its earlier data was unacknowledged, ` +
      `and ${receiver} delayed its ACK (Linux waits up to 40 ms, Windows 200 ms, for data to send with it): an application that writes a message in pieces waits that long for every message.`;
  const advice = fullSize
    ? [
      `On ${receiver}: a larger receive buffer (more in flight per round trip) and prompt ACKs (Windows: TcpAckFrequency; Linux: TCP_QUICKACK, or the application reading at once).`,
      `On ${senderWho}, if it was idle before each burst: Linux restarts slow start after idle (net.ipv4.tcp_slow_start_after_idle=0 keeps the window).`,
    ]
    : [
      `On ${senderWho}: set TCP_NODELAY on the socket, or write each message in one call (one buffer, or writev), so nothing waits for an ACK.`,
      `Or on ${receiver}: acknowledge at once (Linux TCP_QUICKACK; Windows TcpAckFrequency=1 for the interface).`,
    ];
  return {
    id: 'tcp/ack-stall',
    severity: 'warning',
    summary: `${sender} waited ${s.stalls} times for ${receiver} to acknowledge its data before sending more, ${fmtDuration(s.totalNs / 1e9)} in all ` +
      `(${fmtDuration(mean / 1e9)} per wait beyond the ${fmtDuration(rtt / 1e9)} round trip, up to ${fmtDuration(s.maxNs / 1e9)})` +
      `${life > 0 ? `: ${Math.round((100 * s.totalNs) / life)} % of the connection's ${fmtDuration(life / 1e9)}` : ''}.`,
    explanation:
      `Each time ${sender} had sent what it could, ${receiver} acknowledged it ${fmtDuration((mean + rtt) / 1e9)} later on average (the first time: frame ${s.ackFrame} for frame ${s.dataFrame}), ` +
      `where a prompt ACK comes back after the ${fmtDuration(rtt / 1e9)} round trip, and ${sender} sent its next data right after the ACK (the first time: frame ${s.releaseFrame}): ` +
      `it had been waiting for it, with nothing in flight. ${cause}`,
    connection: connRef(c),
    // the late ACK first (the telling frame), then the data it acknowledged and what it released
    frames: evidenceFrames([s.ackFrame, s.dataFrame, s.releaseFrame]),
    metrics: {
      stalls: s.stalls, total_wait_s: round(s.totalNs / 1e9, 3), mean_wait_ms: round(mean / 1e6, 1), max_wait_ms: round(s.maxNs / 1e6, 1),
      rtt_handshake_ms: round(rtt / 1e6, 3), mean_released_bytes: Math.round(meanReleased), mss, cause: fullSize ? 'window' : 'nagle',
      sender: s.dir === 0 ? 'client' : 'server',
    },
    advice,
  };
}
