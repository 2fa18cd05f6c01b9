// tcp/retransmissions (warning): a connection whose data was retransmitted often, or that
// stalled on its retransmission timer. Wireshark's retransmission label (fast and spurious
// included) on segments with payload; SYNs (tcp/unanswered-syn, tcp/connect-latency-outliers),
// keep-alives and window probes are not counted. An RTO stall is a retransmission of data after
// at least RTO_STALL_MIN_NS (src/analysis/analyse.ts) of silence on the connection.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef, fmtDuration, round } from './util.js';
import { connectionsWithHealth } from '../../analysis/views.js';
import { formatEndpoint } from '../../wire/addr.js';

/** A retransmission rate above 2% of a direction's data segments visibly cuts TCP throughput
 *  (throughput falls with the square root of the loss rate, Mathis et al. 1997). */
export const RATE_WARN = 0.02;
/** ... counted only with at least this many retransmissions: one or two on a short connection
 *  are ordinary and make any rate look large. */
export const MIN_RETRANSMISSIONS = 10;
/** A stall of at least 1 s before a retransmission is a pause a user notices. */
export const STALL_WARN_NS = 1e9;

export const tcpRetransmissions: Rule<AnalysedTrace> = {
  id: 'tcp/retransmissions',
  run(trace) {
    const out: Finding[] = [];
    // only connections with non-zero health counters (views.ts): the others cannot qualify
    for (const { c, h } of connectionsWithHealth(trace)) {
      const rates = [0, 1].map((d) => (h.dataSegments[d] ? h.retransmittedData[d] / h.dataSegments[d] : 0));
      const heavy = [0, 1].filter((d) => h.retransmittedData[d] >= MIN_RETRANSMISSIONS && rates[d] >= RATE_WARN);
      const stall = h.maxRtoStallNs >= STALL_WARN_NS;
      if (!heavy.length && !stall) continue;
      const side = (d: number) => (d === 0 ? formatEndpoint(c.origAddr, c.origPort) : formatEndpoint(c.respAddr, c.respPort));
      const parts = heavy.map((d) => `${side(d)} re-sent ${h.retransmittedData[d]} of ${h.dataSegments[d]} data segments (${(rates[d] * 100).toFixed(1)}%)`);
      if (stall) parts.push(`${h.rtoStalls} timeout stall(s), the longest ${fmtDuration(h.maxRtoStallNs / 1e9)} before frame ${h.maxRtoStallFrame}`);
      const frames = c.keySegments.filter((s) => s.labels & 1 && s.len > 0).map((s) => s.frame);
      out.push({
        id: 'tcp/retransmissions',
        severity: 'warning',
        summary: `${connLabel(c)}: ${parts.join('; ')}.`,
        explanation:
          'Retransmitted data means segments (or their acknowledgements) were lost or delayed between the sender and the receiver, or that the capture point ' +
          'sits before the loss. ' + (stall ? `A timeout stall is a silence after which the sender re-sent data on its retransmission timer: the connection made no progress for ${fmtDuration(h.maxRtoStallNs / 1e9)}. ` : '') +
          'Segments the capture missed but the peer acknowledged are capture loss and are named by capture/missing-segments instead.',
        connection: connRef(c),
        frames: evidenceFrames([...(stall ? [h.maxRtoStallFrame] : []), ...frames]),
        metrics: {
          retransmitted_client: h.retransmittedData[0], data_segments_client: h.dataSegments[0], retransmitted_server: h.retransmittedData[1],
          data_segments_server: h.dataSegments[1], rate_max: round(Math.max(...rates), 4), rto_stalls: h.rtoStalls, max_rto_stall_s: round(h.maxRtoStallNs / 1e9, 3),
        },
      });
    }
    return out;
  },
};
