// tcp/connect-latency-outliers (warning): connection set-up latency per server port (first SYN
// of an ISN to the SYN-ACK acknowledging it: count, p50, p99, p99.9, max, nearest-rank) and the
// connections far above the typical one, each with its cause: a challenge ACK (stale server
// state, tcp/challenge-ack-on-syn), a re-sent SYN (a SYN or SYN-ACK lost, or a full accept
// queue), or a slow answer. INCIDENTS.md D: ~1 s spikes among millions of sub-millisecond
// connects. Samples come from src/analysis/connect-latency.ts (exact up to its bound).

import type { AnalysedTrace, ConnectionFacts } from '../../analysis/trace.js';
import { connectionScreen, isSyn, isSynAck } from '../../analysis/views.js';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../wire/packet.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { fmtDuration } from './util.js';

/** Percentiles need a population: below this many connections to a port, no verdict. */
export const MIN_CONNECTIONS = 20;
/** An outlier is slower than this many times the median ... */
export const OUTLIER_FACTOR = 10;
/** ... and slower than this (ns): 5 ms is beyond any LAN or metro round trip, while a lost SYN
 *  costs at least Linux's 1 s initial RTO. */
export const OUTLIER_FLOOR_NS = 5e6;
/** TCP ports per capture, for a numeric (capture, port) key */
const PORTS = 65536;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** How many of the sorted values are <= x (binary search). */
function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function cause(c: ConnectionFacts): string {
  const segs = c.keySegments;
  const si = segs.findIndex((s) => s.dir === 0 && isSyn(s));
  if (si < 0) return 'unknown';
  const firstAnswer = segs.slice(si + 1).find((s) => s.dir === 1);
  if (firstAnswer && !isSynAck(firstAnswer) && (firstAnswer.flags & (TCP_SYN | TCP_RST | TCP_ACK)) === TCP_ACK) return 'challenge-ack';
  if (segs.filter((s) => s.dir === 0 && isSyn(s)).length > 1) return 'syn-resent';
  if (segs.filter((s) => s.dir === 1 && isSynAck(s)).length > 1) return 'synack-resent';
  return 'slow-answer';
}

export const tcpConnectLatencyOutliers: Rule<AnalysedTrace> = {
  id: 'tcp/connect-latency-outliers',
  run(trace) {
    const out: Finding[] = [];
    // per port with outliers: its threshold (numeric key capture * 65536 + port); then one pass
    // over the connections picks the outliers of those ports (no per-connection key or list)
    const stats: { p: (typeof trace.connectLatency)[number]; sorted: Float64Array; p50: number; threshold: number; nOut: number; conns: ConnectionFacts[] }[] = [];
    const byPort = new Map<number, (typeof stats)[number]>();
    for (const p of trace.connectLatency) {
      if (p.count < MIN_CONNECTIONS) continue;
      // a typed array sorts numerically without a comparator call per comparison (100,000
      // samples: a few ms instead of ~20); latencies are never NaN, so the order is a - b's
      const sorted = Float64Array.from(p.samplesNs).sort();
      const p50 = percentile(sorted, 0.5);
      const threshold = Math.max(OUTLIER_FACTOR * p50, OUTLIER_FLOOR_NS);
      const nOut = sorted.length - countAtMost(sorted, threshold);
      if (nOut === 0) continue;
      const e = { p, sorted, p50, threshold, nOut, conns: [] };
      stats.push(e);
      byPort.set(p.capture * PORTS + p.serverPort, e);
    }
    if (stats.length > 0) {
      // the set-up times, captures and ports as the screen (views.ts) read them, in typed arrays
      // below the smallest threshold no port counts a connection an outlier: one comparison
      // screens out nearly all of them before the port is looked up (NaN, no handshake, too)
      const sc = connectionScreen(trace);
      const { setupNs, capture, respPort } = sc;
      let least = Infinity;
      for (const e of stats) least = Math.min(least, e.threshold);
      for (let i = 0; i < setupNs.length; i++) {
        const setup = setupNs[i];
        if (!(setup > least)) continue;
        const e = byPort.get(capture[i] * PORTS + respPort[i]);
        if (e !== undefined && setup > e.threshold) e.conns.push(trace.connections[i]);
      }
    }
    for (const { p, sorted, p50, threshold, nOut, conns: found } of stats) {
      const conns = found.sort((a, b) => a.firstFrame - b.firstFrame);
      const causes = new Map<string, number>();
      for (const c of conns) {
        const k = cause(c);
        causes.set(k, (causes.get(k) ?? 0) + 1);
      }
      const causeText = [...causes].map(([k, n]) => `${n} ${k}`).join(', ');
      const us = (ns: number) => Math.round(ns) / 1e3;
      out.push({
        id: 'tcp/connect-latency-outliers',
        severity: 'warning',
        summary: `${nOut} of ${p.count} connections to port ${p.serverPort} took over ${fmtDuration(threshold / 1e9)} to set up (p50 ${fmtDuration(p50 / 1e9)}, p99 ${fmtDuration(percentile(sorted, 0.99) / 1e9)}, max ${fmtDuration(p.maxNs / 1e9)}).`,
        explanation:
          `Set-up latency (first SYN of an ISN to the SYN-ACK acknowledging it) to port ${p.serverPort}: ${p.count} connections, ` +
          `p50 ${us(p50)} µs, p99 ${us(percentile(sorted, 0.99))} µs, p99.9 ${us(percentile(sorted, 0.999))} µs, max ${us(p.maxNs)} µs` +
          (p.sampled ? ` (percentiles from a uniform sample of ${sorted.length})` : '') + `. ` +
          `${nOut} took longer than max(${OUTLIER_FACTOR} x p50, ${OUTLIER_FLOOR_NS / 1e6} ms). Causes: ${causeText || 'not kept'}` +
          ' (challenge-ack: the server answered the SYN with an ACK for an old connection, see tcp/challenge-ack-on-syn; syn-resent: the first SYN or its answer was lost, the client waited its SYN timeout; synack-resent: the server re-sent its answer; slow-answer: the server took this long to answer).',
        frames: evidenceFrames(conns.map((c) => c.connect!.synFrame)),
        metrics: {
          server_port: p.serverPort, connections: p.count, outliers: nOut, threshold_us: us(threshold),
          p50_us: us(p50), p99_us: us(percentile(sorted, 0.99)), p999_us: us(percentile(sorted, 0.999)), max_us: us(p.maxNs),
          ...Object.fromEntries([...causes].map(([k, n]) => [`cause_${k.replace(/-/g, '_')}`, n])),
        },
      });
    }
    return out;
  },
};
