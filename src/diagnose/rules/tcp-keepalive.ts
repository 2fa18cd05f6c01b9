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

import { KEY_SEGMENTS_LAST, type AnalysedTrace, type SegmentFact } from '../../analysis/trace.js';
import { connectionScreen } from '../../analysis/views.js';
import { L_KEEP_ALIVE, L_KEEP_ALIVE_ACK } from '../../tcp/labels.js';
import { TCP_FIN, TCP_RST } from '../../wire/packet.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef, fmtDuration } from './util.js';

/** Keep-alives in a row that the peer left unanswered at the end of a connection: the sender's
 *  keep-alive timer found the peer gone (Linux gives up after 9 probes 75 s apart, Windows after
 *  10 probes 1 s apart). Three cannot be loss of a probe or two; fewer is no verdict. */
export const DEAD_PEER_MIN_PROBES = 3;

/** The keep-alives from one side at the end of the connection that nothing from the peer
 *  followed, with the sender's own RST or FIN after them if it ended the connection. Read only
 *  from the last KEY_SEGMENTS_LAST key segments (those are the connection's last segments with
 *  none left out between them), or from all of them when none was left out. */
export function unansweredTail(segs: readonly SegmentFact[], omitted: number): { probes: SegmentFact[]; end: SegmentFact | null; atLeast: boolean } {
  const from = omitted > 0 ? Math.max(0, segs.length - KEY_SEGMENTS_LAST) : 0;
  const probes: SegmentFact[] = [];
  let end: SegmentFact | null = null;
  let i = segs.length - 1;
  // the sender's closing segment, if any, after its last probe
  if (i >= from && (segs[i].flags & (TCP_RST | TCP_FIN)) !== 0 && !(segs[i].labels & L_KEEP_ALIVE)) end = segs[i--];
  for (; i >= from; i--) {
    const s = segs[i];
    if (!(s.labels & L_KEEP_ALIVE) || (probes.length > 0 && s.dir !== probes[0].dir)) break;
    probes.unshift(s);
  }
  if (end !== null && probes.length > 0 && end.dir !== probes[0].dir) end = null;
  if (end !== null && probes.length === 0) end = null;
  // stopped by the edge of what is known, not by a segment of the peer: there may have been more
  return { probes, end, atLeast: i < from && from > 0 };
}

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
      // the peer gone: the last keep-alives unanswered, then the sender gave up (or the capture ended)
      const tail = unansweredTail(segs, c.segmentsOmitted);
      const dead = tail.probes.length >= DEAD_PEER_MIN_PROBES;
      const persist = intoZeroWindow > 0 && intoZeroWindow === zero + one;
      const style = zero && one ? 'both styles' : zero ? 'zero-byte (Linux style)' : 'one-byte (Windows style)';
      const bySide = [0, 1].map((d) => segs.filter((s) => s.dir === d && (s.labels & L_KEEP_ALIVE)).length);
      const sender = bySide[0] && bySide[1] ? 'both sides' : bySide[1] ? `the server ${c.respAddr}` : `the client ${c.origAddr}`;
      if (dead && !persist) {
        const p = tail.probes;
        const who = p[0].dir === 0 ? `the client ${c.origAddr}` : `the server ${c.respAddr}`;
        const peer = p[0].dir === 0 ? `the server ${c.respAddr}` : `the client ${c.origAddr}`;
        const span = Number(p[p.length - 1].ns - p[0].ns) / 1e9;
        // the peer's last segment before the probes it left unanswered
        const first = segs.indexOf(p[0]);
        let lastHeard: SegmentFact | null = null;
        for (let j = first - 1; j >= 0; j--) if (segs[j].dir !== p[0].dir) { lastHeard = segs[j]; break; }
        const Who = who[0].toUpperCase() + who.slice(1);
        const ending = tail.end === null
          ? 'the capture ends with them'
          : `${who} then ${tail.end.flags & TCP_RST ? 'reset' : 'closed'} the connection (frame ${tail.end.frame})`;
        out.push({
          id: 'tcp/keepalive',
          severity: 'warning',
          summary: `${tail.atLeast ? 'At least ' : ''}${p.length} TCP keep-alives from ${who} on ${connLabel(c)} went unanswered over ${fmtDuration(span)} at the end of the connection, and ${ending}: ${peer} had stopped answering.`,
          explanation:
            `A keep-alive asks the peer to acknowledge; a live peer always does, even when idle. The last ${p.length} (frames ${p[0].frame} to ${p[p.length - 1].frame}) got nothing back, ` +
            `so ${peer} was gone: powered off, crashed or rebooted (it would answer a reboot with a RST), cut off by the network, or a firewall or NAT on the path had dropped the session and now discards its packets. ` +
            (tail.end === null ? '' : `${Who}'s keep-alive timer gave up and ended the connection: its application sees "connection timed out". `) +
            `${zero + one} keep-alives in all on the connection, ${acks} answered before.`,
          connection: connRef(c),
          frames: evidenceFrames([p[0].frame, ...(lastHeard !== null ? [lastHeard.frame] : []), ...p.slice(1).map((s) => s.frame), ...(tail.end ? [tail.end.frame] : [])]),
          metrics: {
            count: zero + one, zero_byte: zero, one_byte: one, answered: acks, style: zero && one ? 'both' : zero ? 'linux' : 'windows', into_zero_window: intoZeroWindow,
            unanswered_at_end: p.length, unanswered_span_s: Math.round(span * 1000) / 1000, ended_by: tail.end === null ? 'capture end' : tail.end.flags & TCP_RST ? 'rst' : 'fin',
          },
          advice: [
            `Find out what happened to ${peer} between ${lastHeard !== null ? `its last segment (frame ${lastHeard.frame})` : 'its last segment'} and the first probe it left unanswered (frame ${p[0].frame}): its logs and uptime, ` +
            `and the path's firewalls and NAT devices (their session timeouts: keep-alives more frequent than the shortest of them keep the session alive).`,
          ],
        });
        continue;
      }
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
