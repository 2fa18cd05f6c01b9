// tcp/handshake-failed (error): a connection attempt whose answers were rejected: the server's
// SYN-ACK acknowledged a superseded ISN, or was refused by the client's ICMP error or RST. A plain
// SYN retransmission or a refused port (RST to a SYN) is not one (tcp/unanswered-syn and
// tcp/resets name those). The finding tells INCIDENTS.md B's whole story: the burst of SYNs, the
// SYN-ACK for the old ISN, the ICMP errors or RST cycles, and whether and when the handshake
// finally completed; with the portmap GETPORT reply that named the port when it is in the capture.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { evidenceFrames, knownDefect, type Finding, type Rule } from '../finding.js';
import { getportReplyFor, synAttempts } from './syn-attempts.js';
import { RESERVED_PORT_LIMIT, NFS_PORT } from './tcp-syn-burst.js';
import { fmtDuration, round } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

export const tcpHandshakeFailed: Rule<AnalysedTrace> = {
  id: 'tcp/handshake-failed',
  run(trace) {
    const out: Finding[] = [];
    for (const a of synAttempts(trace)) {
      const rejectedAnswer = a.staleSynAcks.length > 0 || (a.icmp.length > 0 && a.synAcks.length > 0);
      if (!rejectedAnswer) continue;
      const g = a.g;
      const first = a.bursts.length ? a.bursts[0].syns[0] : a.syns[0];
      const firstSynAck = a.synAcks.find((s) => s.frame > first.frame) ?? a.synAcks[0];
      const endNs = a.completedAck ? a.completedAck.ns : (trace.captures[g.capture].lastNs ?? first.ns);
      const durationS = Number(endNs - first.ns) / 1e9;
      const getport = getportReplyFor(trace, g.capture, g.server, g.serverPort, first.frame);
      const completed = a.completedAck !== null;
      const b = a.bursts[0];
      const story: string[] = [];
      if (getport) story.push(`The client learned port ${g.serverPort} from the portmap GETPORT reply in frame ${getport}.`);
      if (b) story.push(`It then sent ${b.syns.length} SYNs from port ${g.clientPort} with different ISNs within ${fmtDuration(Number(b.syns[b.syns.length - 1].ns - b.syns[0].ns) / 1e9)} (frames ${b.syns.map((s) => s.frame).join(', ')}).`);
      if (a.staleSynAcks.length) {
        const x = a.staleSynAcks[0];
        story.push(`The server's SYN-ACK (frame ${x.s.frame}) acknowledges ISN ${x.ackedIsn}, which the client had replaced by ${x.newestIsn}; ${a.staleSynAcks.length} SYN-ACK(s) for a superseded ISN followed, re-sends included.`);
      }
      if (a.icmp.length) story.push(`The client's host rejected them with ${a.icmp.length} ICMP destination unreachable (code ${a.icmp[0].code}) errors: its own firewall discards the answer.`);
      if (a.clientRsts.length) story.push(`The client's TCP reset the attempt ${a.clientRsts.length} time(s) and tried again.`);
      story.push(completed ? `The handshake completed ${fmtDuration(durationS)} after the first SYN (frame ${a.completedAck!.frame}).` : `The handshake never completed: ${fmtDuration(durationS)} from the first SYN to the end of the capture.`);
      const rpcLike = g.clientPort < RESERVED_PORT_LIMIT || g.serverPort === NFS_PORT || getport > 0;
      const f: Finding = {
        id: 'tcp/handshake-failed',
        severity: 'error',
        summary: `Connection ${formatEndpoint(g.client, g.clientPort)} -> ${formatEndpoint(g.server, g.serverPort)} ${completed ? `completed only after ${fmtDuration(durationS)}` : `never completed in ${fmtDuration(durationS)}`}: ${a.staleSynAcks.length} SYN-ACK(s) for a superseded ISN` +
          (a.icmp.length ? `, ${a.icmp.length} ICMP rejections` : '') + (a.clientRsts.length ? `, ${a.clientRsts.length} client RSTs` : '') + '.',
        explanation: story.join(' ') + (b ? ' Verdict: the client\'s reconnect logic sent parallel SYNs; the client itself (its firewall or its TCP) rejects the answer. The network delivered everything.' : ''),
        frames: evidenceFrames([first.frame, ...(firstSynAck ? [firstSynAck.frame] : []), ...(a.completedAck ? [a.completedAck.frame] : []), ...(getport ? [getport] : []),
          ...a.icmp.slice(0, 2).map((e) => e.frame), ...a.clientRsts.slice(0, 2).map((s) => s.frame)]),
        metrics: {
          completed: completed ? 'yes' : 'no', duration_s: round(durationS, 6), stale_synacks: a.staleSynAcks.length, icmp_errors: a.icmp.length,
          client_rsts: a.clientRsts.length, client_port: g.clientPort, server_port: g.serverPort,
        },
      };
      if (b && rpcLike) {
        f.knownDefect = knownDefect('linux-sunrpc-reconnect-syn-burst');
        f.advice = [...f.knownDefect.advice];
      }
      out.push(f);
    }
    return out;
  },
};
