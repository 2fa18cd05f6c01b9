// tcp/synack-for-old-isn (error): a SYN-ACK whose acknowledgement number is not the newest ISN
// the client sent on the tuple + 1, but an older one's: the server answered a SYN the client has
// since replaced (INCIDENTS.md B). The client's TCP answers it with RST (RFC 9293 3.10.7.3: an
// unacceptable ACK in SYN-SENT), or the client's stateful firewall rejects it with ICMP.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { synAttempts } from './syn-attempts.js';
import { formatEndpoint } from '../../wire/addr.js';

export const tcpSynackForOldIsn: Rule<AnalysedTrace> = {
  id: 'tcp/synack-for-old-isn',
  run(trace) {
    const out: Finding[] = [];
    for (const a of synAttempts(trace)) {
      if (a.staleSynAcks.length === 0) continue;
      const x = a.staleSynAcks[0];
      const g = a.g;
      out.push({
        id: 'tcp/synack-for-old-isn',
        severity: 'error',
        summary: `SYN-ACK in frame ${x.s.frame} acknowledges ISN ${x.ackedIsn}, but the client's newest SYN on ${formatEndpoint(g.client, g.clientPort)} -> ${formatEndpoint(g.server, g.serverPort)} has ISN ${x.newestIsn}; ${a.staleSynAcks.length} such SYN-ACK(s).`,
        explanation:
          `The server answered ${x.answers ? `the SYN in frame ${x.answers.frame}` : 'an earlier SYN'} (ack ${x.s.ack} = ISN ${x.ackedIsn} + 1), ` +
          `while the client had already sent a SYN with ISN ${x.newestIsn} (frame ${x.newest.frame}). To the client this SYN-ACK acknowledges nothing it sent, ` +
          'so its TCP resets it or its firewall (conntrack) rejects it; the server keeps re-sending the same SYN-ACK and the handshake cannot complete ' +
          `until the server forgets its half-open connection. ${a.staleSynAcks.length} SYN-ACK(s) for a superseded ISN were seen.`,
        frames: evidenceFrames([x.s.frame, ...(x.answers ? [x.answers.frame] : []), x.newest.frame, ...a.staleSynAcks.slice(1, 6).map((y) => y.s.frame)]),
        metrics: { acked_isn: x.ackedIsn, newest_isn: x.newestIsn, stale_synacks: a.staleSynAcks.length, client_port: g.clientPort, server_port: g.serverPort },
      });
    }
    return out;
  },
};
