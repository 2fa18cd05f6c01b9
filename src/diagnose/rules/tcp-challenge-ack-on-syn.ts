// tcp/challenge-ack-on-syn (warning): a SYN answered not by a SYN-ACK but by a bare ACK whose ack
// number does not acknowledge that SYN: the server still holds an old connection on the same
// 4-tuple and answers in its sequence space (a challenge ACK, RFC 5961 4 / RFC 9293 3.10.7.4).
// The client resets at that ack number and re-sends its SYN after its initial RTO (1 s), or
// about 10 ms later with Linux 9603d47bad46. INCIDENTS.md D / seed 004: the stale state is a
// FIN_WAIT_2 socket left by a RST processed before the preceding ACK.

import type { AnalysedTrace, ConnectionFacts, SegmentFact } from '../../analysis/trace.js';
import { connectionScreen, isRst, isSyn, isSynAck, SCREEN_BARE_ACK, tupleGroupsWhere } from '../../analysis/views.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../wire/packet.js';
import { evidenceFrames, knownDefect, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef, fmtDuration, round } from './util.js';

/** A SYN re-sent at least this long after the challenge ACK is an unfixed client waiting out its
 *  initial RTO (1 s, RFC 6298 2.1; Linux TCP_TIMEOUT_INIT), with room for timer slack. */
export const UNFIXED_WAIT_MIN_MS = 500;
/** At most this long is a client with 9603d47bad46 (it re-sends about 10 ms after the ACK). */
export const FIXED_WAIT_MAX_MS = 100;

function prevEnd(p: ConnectionFacts): 'rst' | 'fin' | 'open' {
  const last = p.keySegments[p.keySegments.length - 1];
  if (p.keySegments.some((s) => isRst(s))) return 'rst';
  if (last && (last.flags & TCP_FIN) !== 0) return 'fin';
  return /F/.test(p.history) && /f/.test(p.history) ? 'fin' : 'open';
}

export const tcpChallengeAckOnSyn: Rule<AnalysedTrace> = {
  id: 'tcp/challenge-ack-on-syn',
  run(trace) {
    const out: Finding[] = [];
    // The screen (views.ts SCREEN_BARE_ACK) marks, on the segment columns, the connections whose
    // first SYN from the originator is first answered, before any SYN-ACK, by a bare ACK that does
    // not acknowledge it: the walk below looks at those only (most connections never build their
    // key segment objects), within their tuples, taken whole for the previous connection
    const marked = new Set<ConnectionFacts>(connectionScreen(trace).bareAcks.map((i) => trace.connections[i]));
    for (const g of marked.size === 0 ? [] : tupleGroupsWhere(trace, (bits) => (bits & SCREEN_BARE_ACK) !== 0)) {
      for (let ci = 0; ci < g.conns.length; ci++) {
        const c = g.conns[ci];
        if (!marked.has(c)) continue;
        const segs = c.keySegments;
        const si = segs.findIndex((s) => s.dir === 0 && isSyn(s));
        if (si < 0) continue;
        const syn = segs[si];
        // the answer before any SYN-ACK: a bare ACK (no SYN, no RST) that does not ack ISN + 1
        let ch: SegmentFact | undefined;
        for (let i = si + 1; i < segs.length; i++) {
          const s = segs[i];
          if (s.dir !== 1) continue;
          if (isSynAck(s)) break;
          if ((s.flags & (TCP_SYN | TCP_RST | TCP_ACK)) === TCP_ACK && s.ack !== ((syn.seq + 1) >>> 0)) ch = s;
          break;
        }
        if (!ch) continue;
        // a SYN-ACK for this SYN captured before it (timestamps out of order): the ACK belongs
        // to this connection, not to an old one
        if (segs.some((s) => s.dir === 1 && isSynAck(s) && s.frame < ch!.frame && s.ack === ((syn.seq + 1) >>> 0))) continue;
        const chFrame = ch.frame;
        const rst = segs.find((s) => s.frame > chFrame && s.dir === 0 && isRst(s));
        const resend = segs.find((s) => s.frame > chFrame && s.dir === 0 && isSyn(s));
        const synAck = resend ? segs.find((s) => s.frame > resend.frame && s.dir === 1 && isSynAck(s) && s.ack === ((resend.seq + 1) >>> 0)) : undefined;
        const waitMs = resend ? Number(resend.ns - ch.ns) / 1e6 : -1;
        const kernel = waitMs < 0 ? 'unknown' : waitMs >= UNFIXED_WAIT_MIN_MS ? 'unfixed' : waitMs <= FIXED_WAIT_MAX_MS ? 'fixed' : 'unknown';
        // the previous connection on the 4-tuple: the one before in the group
        const prev = ci > 0 ? g.conns[ci - 1] : undefined;
        const pe = prev ? prevEnd(prev) : 'unknown';
        const frames = [syn.frame, ch.frame, ...(rst ? [rst.frame] : []), ...(resend ? [resend.frame] : []), ...(synAck ? [synAck.frame] : []), ...(prev ? [prev.lastFrame] : [])];
        const f: Finding = {
          id: 'tcp/challenge-ack-on-syn',
          severity: 'warning',
          summary: `SYN in frame ${syn.frame} on ${connLabel(c)} answered by a bare ACK for an old connection (ack ${ch.ack}, frame ${ch.frame})` +
            (resend ? `; the client re-sent its SYN ${fmtDuration(waitMs / 1e3)} later.` : '.'),
          explanation:
            `Instead of a SYN-ACK the server answered the SYN with an ACK (seq ${ch.seq}, ack ${ch.ack}) that does not acknowledge ISN ${syn.seq}: ` +
            'it still holds an earlier connection on the same 4-tuple and answered in that connection\'s sequence space (a challenge ACK). ' +
            (rst ? `The client reset at that ack number (frame ${rst.frame}) ` : 'The client ') +
            (resend ? `and re-sent the SYN after ${fmtDuration(waitMs / 1e3)} (frame ${resend.frame})${synAck ? `, which the server answered normally (frame ${synAck.frame})` : ''}. ` : 'did not re-send its SYN in the capture. ') +
            (prev ? `The previous connection on this 4-tuple (frames ${prev.firstFrame}-${prev.lastFrame}) ended with ${pe === 'rst' ? 'a RST' : pe === 'fin' ? 'FINs' : 'no close seen'}. ` : '') +
            (kernel === 'unfixed' ? 'A wait of about 1 s is the client\'s initial SYN timeout: a client without Linux 9603d47bad46. ' : kernel === 'fixed' ? 'A wait of about 10 ms is a client with Linux 9603d47bad46. ' : '') +
            'Verdict: stale connection state on the server, not packet loss.',
          connection: connRef(c),
          frames: evidenceFrames(frames),
          metrics: {
            wait_ms: round(waitMs, 4), challenge_ack: ch.ack, challenge_seq: ch.seq, client_port: c.origPort, server_port: c.respPort,
            prev_end: pe, client_kernel: kernel,
          },
        };
        if (prev && pe === 'rst') {
          f.knownDefect = knownDefect('linux-tcp-finack-race');
          f.advice = [...f.knownDefect.advice];
        }
        out.push(f);
      }
    }
    return out;
  },
};
