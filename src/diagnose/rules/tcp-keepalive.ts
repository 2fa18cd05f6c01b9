// tcp/keepalive (info): TCP keep-alives seen on a connection, and their style.
//
// Wireshark's definition (packet-tcp.c, keep_alive): a segment of 0 or 1 byte whose sequence
// number is one below the next expected one, not SYN/FIN/RST. Linux sends no payload at
// seq = snd_nxt - 1; Windows re-sends exactly one already-acknowledged byte. Both only probe
// that the peer is alive: neither is a retransmission nor a sign of loss, which is what this
// finding says so that nobody mistakes them for trouble.
//
// A sender whose peer advertises a zero window sends the same segment shape as a probe of the
// window (RFC 9293 3.8.6.1, the persist timer), and tshark labels it keep_alive too. When the
// peer's last word before a "keep-alive" was a zero window, this finding says so, and counts any
// segment the peer sent before the next probe as its answer (a zero-window ACK carries no
// keep_alive_ack label, because its window field is what the probe asked about).

import type { AnalysedTrace } from '../../analysis/trace.js';
import { connectionScreen } from '../../analysis/views.js';
import { L_KEEP_ALIVE, L_KEEP_ALIVE_ACK } from '../../tcp/labels.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef } from './util.js';

export const tcpKeepalive: Rule<AnalysedTrace> = {
  id: 'tcp/keepalive',
  run(trace) {
    const out: Finding[] = [];
    // only the connections the screen (views.ts) saw keep-alives on
    for (const i of connectionScreen(trace).keepAlives) {
      const c = trace.connections[i];
      const ka = c.keepAlives;
      const zero = ka.zeroByte;
      const one = ka.oneByte;
      if (zero + one === 0) continue;
      const segs = c.keySegments;
      // per keep-alive: was the peer's window closed, and did the peer answer before the next one
      let intoZeroWindow = 0;
      let answered = 0;
      const frames: number[] = [];
      for (let i = 0; i < segs.length; i++) {
        const s = segs[i];
        if (!(s.labels & L_KEEP_ALIVE)) continue;
        frames.push(s.frame);
        let peerWin = -1;
        for (let j = i - 1; j >= 0; j--) if (segs[j].dir !== s.dir) { peerWin = segs[j].win; break; }
        if (peerWin === 0) intoZeroWindow++;
        for (let j = i + 1; j < segs.length && !(segs[j].dir === s.dir && segs[j].labels & L_KEEP_ALIVE); j++) {
          if (segs[j].dir !== s.dir) {
            answered++;
            frames.push(segs[j].frame);
            break;
          }
        }
      }
      const acks = Math.max(answered, c.labelCounts.keep_alive_ack ?? 0);
      const persist = intoZeroWindow > 0 && intoZeroWindow === zero + one;
      const style = zero && one ? 'both styles' : zero ? 'zero-byte (Linux style)' : 'one-byte (Windows style)';
      const bySide = [0, 1].map((d) => segs.filter((s) => s.dir === d && (s.labels & L_KEEP_ALIVE)).length);
      const sender = bySide[0] && bySide[1] ? 'both sides' : bySide[1] ? `the server ${c.respAddr}` : `the client ${c.origAddr}`;
      out.push({
        id: 'tcp/keepalive',
        severity: 'info',
        summary: persist
          ? `${zero + one} zero-window probe${zero + one === 1 ? '' : 's'} (keep-alive shape) from ${sender} on ${connLabel(c)} while the peer's window was closed, ${acks} answered.`
          : `${zero + one} TCP keep-alive${zero + one === 1 ? '' : 's'} from ${sender} on ${connLabel(c)}, ${style}, ${acks} answered.`,
        explanation: persist
          ? `Each probe followed a zero window from the peer, so these are the sender's persist-timer probes of the closed window (RFC 9293 3.8.6.1), which tshark labels keep-alive by their shape; ` +
            `${acks} ${acks === 1 ? 'was' : 'were'} answered by an ACK from the receiver. ` +
            'They are flow control waiting on a receiver that does not read (see tcp/zero-window-stall), not retransmissions and not loss.'
          : `Keep-alives probe an idle connection: ${zero ? `${zero} carried no payload at seq = next - 1 (how Linux sends them)` : ''}` +
            `${zero && one ? '; ' : ''}${one ? `${one} re-sent one already-acknowledged byte (how Windows sends them)` : ''}. ` +
            `They are not retransmissions and do not indicate loss; ${acks} of ${zero + one} were answered, and an answered keep-alive shows the peer was alive at that moment.`,
        connection: connRef(c),
        frames: evidenceFrames(frames.concat(segs.filter((s) => s.labels & L_KEEP_ALIVE_ACK).map((s) => s.frame)).sort((a, b) => a - b)),
        // style names the stack that sends keep-alives that way (INCIDENTS.md A)
        metrics: { count: zero + one, zero_byte: zero, one_byte: one, answered: acks, style: zero && one ? 'both' : zero ? 'linux' : 'windows', into_zero_window: intoZeroWindow },
      });
    }
    return out;
  },
};
