// tcp/keepalive (info): TCP keep-alives seen on a connection, and their style.
//
// Wireshark's definition (packet-tcp.c, keep_alive): a segment of 0 or 1 byte whose sequence
// number is one below the next expected one, not SYN/FIN/RST. Linux sends no payload at
// seq = snd_nxt - 1; Windows re-sends exactly one already-acknowledged byte. Both only probe
// that the peer is alive: neither is a retransmission nor a sign of loss, which is what this
// finding says so that nobody mistakes them for trouble.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { L_KEEP_ALIVE, L_KEEP_ALIVE_ACK } from '../../tcp/labels.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef } from './util.js';

export const tcpKeepalive: Rule<AnalysedTrace> = {
  id: 'tcp/keepalive',
  run(trace) {
    const out: Finding[] = [];
    for (const c of trace.connections) {
      const zero = c.keepAlives.zeroByte;
      const one = c.keepAlives.oneByte;
      if (zero + one === 0) continue;
      const acks = c.labelCounts.keep_alive_ack ?? 0;
      const style = zero && one ? 'both styles' : zero ? 'zero-byte (Linux style)' : 'one-byte (Windows style)';
      const bySide = [0, 1].map((d) => c.keySegments.filter((s) => s.dir === d && (s.labels & L_KEEP_ALIVE)).length);
      const sender = bySide[0] && bySide[1] ? 'both sides' : bySide[1] ? `the server ${c.respAddr}` : `the client ${c.origAddr}`;
      out.push({
        id: 'tcp/keepalive',
        severity: 'info',
        summary: `${zero + one} TCP keep-alive${zero + one === 1 ? '' : 's'} from ${sender} on ${connLabel(c)}, ${style}, ${acks} answered.`,
        explanation:
          `Keep-alives probe an idle connection: ${zero ? `${zero} carried no payload at seq = next - 1 (how Linux sends them)` : ''}` +
          `${zero && one ? '; ' : ''}${one ? `${one} re-sent one already-acknowledged byte (how Windows sends them)` : ''}. ` +
          'They are not retransmissions and do not indicate loss; an answered keep-alive shows the peer was alive at that moment.',
        connection: connRef(c),
        frames: evidenceFrames(c.keySegments.filter((s) => s.labels & (L_KEEP_ALIVE | L_KEEP_ALIVE_ACK)).map((s) => s.frame)),
        // style names the stack that sends keep-alives that way (INCIDENTS.md A)
        metrics: { count: zero + one, zero_byte: zero, one_byte: one, answered: acks, style: zero && one ? 'both' : zero ? 'linux' : 'windows' },
      });
    }
    return out;
  },
};
