// capture/missing-segments (info): segments the capture did not see but the peer acknowledged,
// and data segments it saw twice (duplicates).
// Wireshark marks the segment after a hole "previous segment not captured" (lost_segment) and an
// ACK for bytes never seen "ACKed unseen segment" (ack_lost_segment). When the receiver
// acknowledges the hole, the data did arrive: the capture (tap, SPAN port, a full buffer) lost
// it, not the network. Info: a property of the capture, which the reader should know before
// trusting loss counts, not a fault of the traffic. SYN segments are left out: an ACK for an old
// connection's sequence space (tcp/challenge-ack-on-syn) also looks like an unseen segment.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { L_ACK_LOST_SEGMENT, L_LOST_SEGMENT } from '../../tcp/labels.js';
import { TCP_SYN } from '../../wire/packet.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef } from './util.js';

export const captureMissingSegments: Rule<AnalysedTrace> = {
  id: 'capture/missing-segments',
  run(trace) {
    const out: Finding[] = [];
    for (const c of trace.connections) {
      // the other capture artefact: packets seen twice (src/analysis DUPLICATE_WINDOW_NS and
      // DUPLICATE_IPID_MIN_WINDOW_NS)
      if (c.health.captureDuplicates > 0) {
        out.push({
          id: 'capture/missing-segments',
          severity: 'info',
          summary: `The capture saw ${c.health.captureDuplicates} data segment(s) on ${connLabel(c)} a second time (first frame ${c.health.firstDuplicateFrame}): capture duplicates, not retransmissions.`,
          explanation:
            'Each repeats the segment before it in its direction: the same sequence range and length within 10 µs, or the same IPv4 ID, sequence range, length and flags ' +
            'less than a round trip later (at least 5 ms, at most 200 ms). No TCP sender retransmits that fast, and a retransmission gets a new IP ID; the capture point ' +
            'recorded one packet twice (a SPAN port mirroring both directions or several interfaces, or merged captures). Wireshark labels these retransmissions; they are not, and they are not counted as such here.',
          connection: connRef(c),
          frames: evidenceFrames([c.health.firstDuplicateFrame]),
          metrics: { duplicates: c.health.captureDuplicates },
        });
      }
      if (!c.labelCounts.ack_lost_segment || !c.labelCounts.lost_segment) continue;
      const holes = c.keySegments.filter((s) => (s.labels & L_LOST_SEGMENT) !== 0 && (s.flags & TCP_SYN) === 0);
      const acked = c.keySegments.filter((s) => (s.labels & L_ACK_LOST_SEGMENT) !== 0 && (s.flags & TCP_SYN) === 0);
      // a hole in one direction acknowledged by the other
      const pairs = holes.filter((h) => acked.some((a) => a.dir !== h.dir && a.frame > h.frame - 50));
      if (pairs.length === 0) continue;
      out.push({
        id: 'capture/missing-segments',
        severity: 'info',
        summary: `The capture missed data on ${connLabel(c)} that the peer acknowledged: ${c.labelCounts.lost_segment} hole(s), ${c.labelCounts.ack_lost_segment} ACK(s) for unseen bytes (capture loss, not network loss).`,
        explanation:
          `Frame ${pairs[0].frame} follows a hole in the sequence space, and the receiver acknowledged bytes the capture never showed ` +
          `(first in frame ${acked[0]?.frame ?? '?'}). The data reached the receiver, so the capture point dropped these packets, not the network. ` +
          'Loss and retransmission counts on this connection understate what the capture did not see.',
        connection: connRef(c),
        frames: evidenceFrames([pairs[0].frame, ...acked.slice(0, 2).map((s) => s.frame), ...pairs.slice(1, 4).map((s) => s.frame)]),
        metrics: { holes: c.labelCounts.lost_segment, acked_unseen: c.labelCounts.ack_lost_segment },
      });
    }
    return out;
  },
};
