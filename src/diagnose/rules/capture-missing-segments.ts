// capture/missing-segments (info): segments the capture did not see but the peer acknowledged,
// and data segments it saw twice (duplicates).
// Wireshark marks the segment after a hole "previous segment not captured" (lost_segment) and an
// ACK past the next expected sequence number "ACKed unseen segment" (ack_lost_segment). When the
// receiver acknowledges bytes beyond anything the capture saw from the sender, the data did
// arrive: the capture (tap, SPAN port, a full buffer) lost it, not the network. The labels are not
// that proof: after a retransmission Wireshark lowers its next expected number, and an ACK for
// bytes the capture did see gets "ACKed unseen" (corpus tcp/email-troubles-loss.pcap frame 332,
// where every hole was network loss the sender repaired); analyse.ts keeps the holes in the bytes
// seen per direction and counts those the peer acknowledged before any segment filled them
// (ConnHealth.ackedUnseen). Info: a property of the capture, which the reader should know before
// trusting loss counts, not a fault of the traffic. SYN segments are left out: an ACK for an old
// connection's sequence space (tcp/challenge-ack-on-syn) also looks like an unseen segment.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { connectionsWithHealth } from '../../analysis/views.js';
import { L_LOST_SEGMENT } from '../../tcp/labels.js';
import { TCP_SYN } from '../../wire/packet.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef } from './util.js';

export const captureMissingSegments: Rule<AnalysedTrace> = {
  id: 'capture/missing-segments',
  run(trace) {
    const out: Finding[] = [];
    // only connections with non-zero health counters (views.ts, in trace order): the others
    // have neither duplicates nor data acknowledged unseen
    for (const { c, h } of connectionsWithHealth(trace)) {
      // the other capture artefact: packets seen twice (src/analysis DUPLICATE_WINDOW_NS and
      // DUPLICATE_IPID_MIN_WINDOW_NS)
      if (h.captureDuplicates > 0) {
        out.push({
          id: 'capture/missing-segments',
          severity: 'info',
          summary: `The capture saw ${h.captureDuplicates} data segment(s) on ${connLabel(c)} a second time (first frame ${h.firstDuplicateFrame}): capture duplicates, not retransmissions.`,
          explanation:
            'Each repeats the segment before it in its direction: the same sequence range and length within 10 µs, or the same IPv4 ID, sequence range, length and flags ' +
            'less than a round trip later (at least 5 ms, at most 200 ms). No TCP sender retransmits that fast, and a retransmission gets a new IP ID; the capture point ' +
            'recorded one packet twice (a SPAN port mirroring both directions or several interfaces, or merged captures). Wireshark labels these retransmissions; they are not, and they are not counted as such here.',
          connection: connRef(c),
          frames: evidenceFrames([h.firstDuplicateFrame]),
          metrics: { duplicates: h.captureDuplicates },
        });
      }
      // the proof of capture loss: a hole in the bytes the capture saw, acknowledged by the peer
      // before any segment filled it (analyse.ts counts them)
      if (h.ackedUnseen === 0) continue;
      const holes = c.keySegments.filter((s) => (s.labels & L_LOST_SEGMENT) !== 0 && (s.flags & TCP_SYN) === 0);
      const ack = c.keySegments.find((s) => s.frame === h.firstAckedUnseenFrame);
      // the holes in the direction the ACK acknowledges, before it
      const before = holes.filter((s) => s.frame < h.firstAckedUnseenFrame && (ack === undefined || s.dir !== ack.dir));
      const shown = before.length > 0 ? before.slice(-3) : holes.slice(0, 3);
      out.push({
        id: 'capture/missing-segments',
        severity: 'info',
        summary: `The capture missed data on ${connLabel(c)} that the peer acknowledged: ${h.ackedUnseen} stretch(es) of bytes it never showed were acknowledged (first in frame ${h.firstAckedUnseenFrame}).`,
        explanation:
          `Frame ${h.firstAckedUnseenFrame} acknowledges bytes the capture never saw from the other side (no segment before it carried them), so that data reached the receiver ` +
          `without passing the capture point: the capture (tap, SPAN port, a full buffer) dropped it, not the network. ` +
          (shown.length > 0 ? `Wireshark marks the segment after a hole "previous segment not captured" (before it: frame${shown.length > 1 ? 's' : ''} ${shown.map((s) => s.frame).join(', ')}). ` : '') +
          'A hole the sender later filled with a retransmission is ordinary loss on the path; loss and retransmission counts on this connection understate what the capture did not see.',
        connection: connRef(c),
        frames: evidenceFrames([h.firstAckedUnseenFrame, ...shown.map((s) => s.frame)]),
        metrics: { acked_unseen: h.ackedUnseen, holes: c.labelCounts.lost_segment ?? 0, acked_unseen_labels: c.labelCounts.ack_lost_segment ?? 0 },
      });
    }
    return out;
  },
};
