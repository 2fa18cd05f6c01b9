// tcp/retransmission-differs (critical): a TCP retransmission whose bytes differ from the first
// transmission of the same sequence range. TCP re-sends exactly the bytes it sent (RFC 9293
// 3.8.1: the sequence space names the bytes), so a difference means something between the
// application's send buffer and the wire changed them: a NIC (offload), a driver, or a middlebox.
// The comparison is done in src/analysis/payload-ring.ts over retained payload (bounded: bytes
// more than RING_BYTES behind the newest are not compared; keep-alives and window probes, which
// may carry a garbage byte, never are).

import type { AnalysedTrace } from '../../analysis/trace.js';
import { connectionOf } from '../../analysis/views.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

export const tcpRetransmissionDiffers: Rule<AnalysedTrace> = {
  id: 'tcp/retransmission-differs',
  run(trace) {
    const out: Finding[] = [];
    for (const d of trace.tcpDataDiffs) {
      const c = connectionOf(trace, d.capture, d.stream);
      const who = c ? (d.dir === 0 ? formatEndpoint(c.origAddr, c.origPort) : formatEndpoint(c.respAddr, c.respPort)) : 'the sender';
      out.push({
        id: 'tcp/retransmission-differs',
        severity: 'critical',
        summary: `TCP retransmission in frame ${d.frame} from ${who} carries ${d.differing} byte(s) that differ from the first transmission (frame ${d.firstFrame}) of seq ${d.seq}, ${d.len} bytes, first at offset ${d.firstDiff}.`,
        explanation:
          `The segment in frame ${d.frame} re-sends sequence range ${d.seq}..${(d.seq + d.len) >>> 0}${c ? ` of ${connLabel(c)}` : ''}, ` +
          `but ${d.differing} of the ${d.compared} bytes both transmissions carry differ, the first at offset ${d.firstDiff} within the segment: ` +
          `first transmission ${d.originalHex}, retransmission ${d.retransmitHex}. TCP re-sends the same bytes for the same sequence numbers, ` +
          'so a NIC (checksum or segmentation offload), a driver or a middlebox changed them. The receiver keeps whichever copy arrives first: data may be corrupted silently.',
        connection: c ? connRef(c) : undefined,
        frames: evidenceFrames([d.firstFrame, d.frame]),
        metrics: { seq: d.seq, len: d.len, first_diff_offset: d.firstDiff, differing_bytes: d.differing, compared_bytes: d.compared },
        advice: [
          'Capture at both ends (or before and after the suspected device) and compare: pcapdx compare shows where the bytes change.',
          'Disable segmentation and checksum offload on the sending host (ethtool -K) to rule out the NIC and driver.',
        ],
      });
    }
    return out;
  },
};
