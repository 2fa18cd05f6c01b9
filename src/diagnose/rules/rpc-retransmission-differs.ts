// rpc/retransmission-differs (critical): an ONC RPC call re-sent by the same client with the same
// XID and procedure but different bytes (INCIDENTS.md C, seed 003). A retransmission must repeat
// the original exactly (RFC 5531 relies on it for the server's duplicate request cache); when it
// differs, and especially when it goes out after the original's reply, the sender changed the
// buffer under a pending retransmission, and a server without a duplicate request cache executes
// the new bytes: for an NFS WRITE, bogus data on disk. Identical repeats are normal and quiet.
//
// The comparison is the protocol layer's (src/protocols/rpc/tracker.ts): first differing offset
// within the call body (after credential and verifier) and hex excerpts of both.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { EXCHANGE_DIFFERENT_RETRANSMISSION, exchangeScreen } from '../../analysis/views.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { fmtDuration, round } from './util.js';

export const rpcRetransmissionDiffers: Rule<AnalysedTrace> = {
  id: 'rpc/retransmission-differs',
  run(trace) {
    const out: Finding[] = [];
    // only the exchanges the exchange screen (views.ts) marked
    const bits = exchangeScreen(trace).bits;
    for (let i = 0; i < bits.length; i++) {
      if ((bits[i] & EXCHANGE_DIFFERENT_RETRANSMISSION) === 0) continue;
      const e = trace.exchanges[i];
      const r = e.retransmit!;
      const after = r.afterReply;
      const delayS = r.sinceNs / 1e9;
      const metrics: Finding['metrics'] = {
        xid: e.id, program: e.program, version: e.version, procedure: e.procedure,
        first_diff_body_offset: r.firstDiff,
        after_reply: after ? 'yes' : 'no', same_connection: r.sameConnection ? 'yes' : 'no', delay_s: round(delayS, 6),
      };
      // offset from the XID: the RPC header (credential, verifier) comes before the body
      if (r.headerLen >= 0) metrics.first_diff_offset = r.headerLen + r.firstDiff;
      if (r.differingBytes >= 0) metrics.differing_bytes = r.differingBytes;
      if (e.write) metrics.write_offset = e.write.fileOffset;
      const what = `${e.service} ${e.command}`;
      out.push({
        id: 'rpc/retransmission-differs',
        severity: 'critical',
        summary: `${what} call XID 0x${e.id.toString(16).padStart(8, '0')} re-sent ${fmtDuration(delayS)} later with different bytes${after ? ', after the original was already answered' : ''} (first difference at body offset ${r.firstDiff}).`,
        explanation:
          `The call in frame ${e.requestFrame} repeats XID 0x${e.id.toString(16).padStart(8, '0')} of the call in frame ${r.originalFrame} ` +
          `(same client, same procedure${r.sameConnection ? ', same connection' : ', on another connection'}), but its body differs from byte ${r.firstDiff} of the arguments on: ` +
          `original ${r.originalHex || '?'}, retransmission ${r.retransmitHex || '?'}. ` +
          (after ? `The original was answered in frame ${r.originalReplyFrame} before this retransmission went out, so the sender had reused the buffer of a request it still had queued. ` : '') +
          (e.write ? `This is a WRITE of ${e.write.count} bytes at file offset ${e.write.fileOffset}: a server without a duplicate request cache writes the new bytes (bogus data) over the good ones. ` : '') +
          'Verdict: data-integrity risk; the sender changed the buffer under a pending retransmission.',
        frames: evidenceFrames([r.originalFrame, e.requestFrame, ...(r.originalReplyFrame > 0 ? [r.originalReplyFrame] : []), ...(e.responseFrame > 0 ? [e.responseFrame] : [])]),
        metrics,
        advice: [
          'Check the written data on the server for the range of this request; re-write it from a good source if it was overwritten.',
          'Look for a client bug that reuses I/O buffers before the RPC layer released them (seed 003: a retransmission queued at the timeout went out after the reply).',
          'A server with a duplicate request cache (NFS over TCP on Linux keeps one) answers the repeat from the cache instead of executing it.',
        ],
      });
    }
    return out;
  },
};
