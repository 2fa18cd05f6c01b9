// tcp/bottleneck-queue (warning): a bulk sender kept the receiver's window full while the round
// trips of its data grew to many times the handshake's: the data waited in a queue in front of a
// link slower than the sender (a modem's or a router's buffer: "bufferbloat"). The window is not
// what limits the transfer there; the slow link is, and its queue delays everything that crosses
// it (interactive traffic, other connections).
//
// What the capture shows: segments labelled window_full (Wireshark: the segment fills the window
// the receiver advertised, so every allowed byte is in flight), and Wireshark's ack_rtt on the
// receiver's ACKs of that data, from the capture point to the receiver and back. A path's
// propagation delay does not change during a transfer; the handshake's round trip (before any
// data queued) is its baseline. When the data's round trips are QUEUE_FACTOR times that and at
// least QUEUE_MIN_NS longer, the difference is queueing. A receiver that reads slowly shrinks its
// window but still acknowledges at once (its round trips stay short), so it does not trip this
// rule; tcp/zero-window and tcp/zero-window-stall name it.
//
// Only a queue past the capture point is visible: a capture on the receiving side, or behind the
// slow link, sees short round trips (the data arrives already spaced by the link) and this rule
// stays quiet there.

import type { AnalysedTrace, ConnectionFacts, FullWindowFacts } from '../../analysis/trace.js';
import { L_WINDOW_FULL } from '../../tcp/labels.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connRef, fmtDuration, round } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

/** A sustained transfer at the window's limit, not one burst: a few window_full segments happen
 *  on any transfer that meets a small or slowly opening window (the corpus's printer has 3). */
export const MIN_FULL_SEGMENTS = 20;
/** Round trips measured while the window was full: enough that the mean is not one slow ACK. */
export const MIN_RTT_SAMPLES = 20;
/** The data's mean round trip over the handshake's: 10 x cannot be a longer path or a busy
 *  receiver (a delayed ACK adds at most 200-500 ms, and a bulk receiver acknowledges every second
 *  segment at once). */
export const QUEUE_FACTOR = 10;
/** ...and at least this much longer: 100 ms of queueing is what a person notices on interactive
 *  traffic sharing the link, and more than a LAN's delayed ACK on a fast path. */
export const QUEUE_MIN_NS = 100e6;
/** The data in flight (rate x round trip) must be a window of several segments: with a window of
 *  one or two segments a receiver waits for its delayed-ACK timer (40-200 ms) before each ACK, and
 *  round trips of that length are the timer, not a queue. */
export const MIN_IN_FLIGHT_BYTES = 4 * 1460;
/** Findings per trace: the connections with the longest queueing first; how many more there
 *  were is a metric of the last one (a capture of many uploads through one uplink). */
export const MAX_FINDINGS = 16;

export const tcpBottleneckQueue: Rule<AnalysedTrace> = {
  id: 'tcp/bottleneck-queue',
  run(trace) {
    const out: Finding[] = [];
    // nothing to look at unless some segment of the trace filled a window
    if (!trace.labelCounts.window_full) return out;
    const hits: { c: ConnectionFacts; fw: FullWindowFacts }[] = [];
    for (const c of trace.connections) {
      const fw = c.fullWindow;
      if (fw !== null && queued(c, fw)) hits.push({ c, fw });
    }
    // the longest queues first (then by connection, so the choice is stable)
    hits.sort((a, b) => (b.fw.rttMeanNs - b.c.handshakeRttNs) - (a.fw.rttMeanNs - a.c.handshakeRttNs) || a.c.capture - b.c.capture || a.c.stream - b.c.stream);
    for (const { c, fw } of hits.slice(0, MAX_FINDINGS)) out.push(finding(c, fw));
    if (hits.length > MAX_FINDINGS) out[out.length - 1].metrics.more_connections = hits.length - MAX_FINDINGS;
    return out;
  },
};

/** Whether the full-window data of c waited in a queue (see the thresholds above). */
function queued(c: ConnectionFacts, fw: FullWindowFacts): boolean {
  const hs = c.handshakeRttNs;
  return fw.fullSegments >= MIN_FULL_SEGMENTS && fw.rttSamples >= MIN_RTT_SAMPLES && hs > 0
    && fw.rttMeanNs >= QUEUE_FACTOR * hs && fw.rttMeanNs - hs >= QUEUE_MIN_NS && inFlight(c, fw) >= MIN_IN_FLIGHT_BYTES;
}

/** The direction's payload over the connection's duration, bytes per second. */
function rateOf(c: ConnectionFacts, fw: FullWindowFacts): number {
  const bytes = fw.dir === 0 ? c.orig.payload : c.resp.payload;
  const seconds = Number(c.lastNs - c.firstNs) / 1e9;
  return seconds > 0 ? bytes / seconds : 0;
}

/** The data in flight while the window was full: what the queue held (rate x round trip). */
function inFlight(c: ConnectionFacts, fw: FullWindowFacts): number {
  return rateOf(c, fw) * (fw.rttMeanNs / 1e9);
}

function finding(c: ConnectionFacts, fw: FullWindowFacts): Finding {
  const sender = fw.dir === 0 ? formatEndpoint(c.origAddr, c.origPort) : formatEndpoint(c.respAddr, c.respPort);
  const receiver = fw.dir === 0 ? formatEndpoint(c.respAddr, c.respPort) : formatEndpoint(c.origAddr, c.origPort);
  const hs = c.handshakeRttNs;
  const queueNs = fw.rttMeanNs - hs;
  const rate = rateOf(c, fw);
  const held = inFlight(c, fw);
  const factor = fw.rttMeanNs / hs;
  const fullFrames = c.keySegments.filter((s) => s.dir === fw.dir && (s.labels & L_WINDOW_FULL) !== 0).map((s) => s.frame);
  return {
    id: 'tcp/bottleneck-queue',
    severity: 'warning',
    summary: `Data from ${sender} to ${receiver} waited in a queue: its round trips took ${fmtDuration(fw.rttMeanNs / 1e9)} on average (${fw.rttSamples} ACKs), ` +
      `${factor.toFixed(0)} x the ${fmtDuration(hs / 1e9)} of the handshake, while the sender kept the receive window full; the transfer ran at ${fmtRate(rate)}.`,
    explanation:
      `${sender} kept ${receiver}'s receive window full (${fw.fullSegments} segments labelled window_full, the first at frame ${fw.firstFullFrame}): every byte the receiver allowed was in flight. ` +
      `The ACKs for that data came back after ${fmtDuration(fw.rttMeanNs / 1e9)} on average (the longest ${fmtDuration(fw.rttMaxNs / 1e9)}, frame ${fw.rttMaxFrame}), ` +
      `against ${fmtDuration(hs / 1e9)} for the handshake before any data was sent. A path does not get ${factor.toFixed(0)} times longer during a transfer: ` +
      `the extra ${fmtDuration(queueNs / 1e9)} is time the data spent in a queue between the capture point and the receiver, in front of a link slower than the sender. ` +
      `The transfer moved at ${fmtRate(rate)}, about that link's rate, and the window's worth of data in flight (about ${fmtBytes(held)}) sat in its queue. ` +
      `A larger window would not speed the transfer up; it would lengthen the queue. Everything else sent across that link in the same direction (interactive traffic, DNS, other connections of the same hosts) waits the same ${fmtDuration(queueNs / 1e9)} ("bufferbloat").`,
    connection: connRef(c),
    frames: evidenceFrames([fw.firstFullFrame, ...fullFrames.filter((f) => f !== fw.firstFullFrame).slice(0, 2), fw.rttMaxFrame].filter((f) => f > 0).sort((a, b) => a - b)),
    metrics: {
      rtt_mean_ms: round(fw.rttMeanNs / 1e6, 1), rtt_max_ms: round(fw.rttMaxNs / 1e6, 1), rtt_handshake_ms: round(hs / 1e6, 3), rtt_samples: fw.rttSamples,
      window_full: fw.fullSegments, rate_kbit_s: round((rate * 8) / 1e3, 1), in_flight_bytes: Math.round(held), sender: fw.dir === 0 ? 'client' : 'server',
    },
    advice: [
      `Find the slowest link on the path from ${sender} (an uplink: a DSL or cable modem, a VPN tunnel, a WAN circuit; it runs at about ${fmtRate(rate)}) and manage its queue: fq_codel or CAKE, with a shaper set a little below the link's rate so that the queue forms where it is managed.`,
      'Or limit the sender (a rate limit in the application, or a smaller socket buffer) so that it does not keep more in flight than the link needs.',
      'A faster transfer needs a faster link: on this path TCP is already sending as fast as the link drains.',
    ],
  };
}

/** "46.1 KB/s (369 kbit/s)", "12.5 MB/s (100 Mbit/s)" */
function fmtRate(bytesPerS: number): string {
  const bits = bytesPerS * 8;
  const b = bits >= 1e9 ? `${(bits / 1e9).toFixed(2)} Gbit/s` : bits >= 1e6 ? `${(bits / 1e6).toFixed(1)} Mbit/s` : `${(bits / 1e3).toFixed(0)} kbit/s`;
  return `${fmtBytes(bytesPerS)}/s (${b})`;
}

/** "33 KB", "1.4 MB", "800 bytes" (decimal units) */
function fmtBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)} KB`;
  return `${Math.round(n)} bytes`;
}
