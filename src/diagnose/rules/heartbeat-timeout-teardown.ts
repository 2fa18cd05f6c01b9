// heartbeat/timeout-teardown (error): the heartbeat sender tore the connection down (FIN or RST)
// after a silence from the server of k x the heartbeat period, k >= 2: an idle timeout on the
// client, not a network failure. INCIDENTS.md A / seed 000: Linux cifs.ko declares the server
// dead when nothing arrived for 2 x echo_interval (3 x with f2caf901c1b7); after an echo was
// suppressed by a response shortly after the previous echo, the next echo comes too late, and
// its very answer triggers the teardown.
//
// Silence: from the last message the server sent before the client's final heartbeat (TCP
// keep-alives and the answer to the final heartbeat do not end it) to the client's FIN/RST.
// Cause: 'echoes-unanswered' when heartbeats in the silence got no answer (a stalled server);
// 'heartbeat-suppressed' when every heartbeat was answered and one was skipped (the race).

import type { AnalysedTrace } from '../../analysis/trace.js';
import { TCP_FIN, TCP_RST } from '../../wire/packet.js';
import { evidenceFrames, knownDefect, type Finding, type Rule } from '../finding.js';
import { heartbeatName, heartbeatStreams } from './heartbeats.js';
import { connLabel, connRef, fmtDuration, round } from './util.js';

/** A silence of at least this many heartbeat periods before the client's teardown is an idle
 *  timeout: one period of silence is normal between beats, two is the smallest timeout any
 *  implementation uses (cifs since 2012). */
export const MIN_TIMEOUT_MULTIPLE = 2;
/** Above this many periods the teardown is not tied to the heartbeat (cifs used 5 before 2012). */
export const MAX_TIMEOUT_MULTIPLE = 5;

export const heartbeatTimeoutTeardown: Rule<AnalysedTrace> = {
  id: 'heartbeat/timeout-teardown',
  run(trace) {
    const out: Finding[] = [];
    for (const h of heartbeatStreams(trace)) {
      const c = h.conn;
      // the heartbeat sender's teardown: its first FIN or RST after the last beat began
      const sender = 0; // heartbeats are requests: sent by the connection's client
      const td = c.keySegments.find((s) => s.dir === sender && (s.flags & (TCP_FIN | TCP_RST)) !== 0 && s.frame > h.beats[0].frame);
      if (!td) continue;
      const finalBeat = [...h.beats].reverse().find((b) => b.frame < td.frame);
      if (!finalBeat) continue;
      const lastServer = [...h.serverMessages].reverse().find((m) => m.frame < finalBeat.frame && m.e !== finalBeat.e)
        ?? [...h.serverMessages].reverse().find((m) => m.frame < td.frame);
      if (!lastServer) continue;
      // with no beat after the last server message, the silence runs from that message
      const silenceS = Number(td.ns - lastServer.ns) / 1e9;
      const multiple = Math.floor(silenceS / h.nominalS);
      if (multiple < MIN_TIMEOUT_MULTIPLE || multiple > MAX_TIMEOUT_MULTIPLE) continue;
      const inSilence = h.beats.filter((b) => b.frame > lastServer.frame && b.frame < td.frame);
      const unanswered = inSilence.filter((b) => b.e.responseFrame <= 0 || b.e.responseFrame > td.frame);
      // a beat was skipped after the server's last message: a gap spans it
      const skipped = h.gaps.some((g) => g.before.frame < lastServer.frame && (g.after === null || g.after.frame > lastServer.frame));
      const cause = unanswered.length > 0 ? 'echoes-unanswered' : skipped ? 'heartbeat-suppressed' : 'idle-timeout';
      const finalAnswered = finalBeat.frame > lastServer.frame && finalBeat.e.responseFrame > 0 && finalBeat.e.responseFrame <= td.frame;
      const frames = [lastServer.frame];
      if (finalBeat.frame > lastServer.frame) frames.push(finalBeat.frame);
      if (finalAnswered) frames.push(finalBeat.e.responseFrame);
      frames.push(td.frame, ...unanswered.map((b) => b.frame));
      const how = (td.flags & TCP_RST) !== 0 ? 'RST' : 'FIN';
      const name = heartbeatName(h.kind);
      const f: Finding = {
        id: 'heartbeat/timeout-teardown',
        severity: 'error',
        summary: `Client tore down ${connLabel(c)} (${how}, frame ${td.frame}) ${fmtDuration(silenceS)} after the server's last message, ${multiple} x the ${h.nominalS} s ${name} interval: ${cause === 'echoes-unanswered' ? `${unanswered.length} heartbeat(s) unanswered` : cause === 'heartbeat-suppressed' ? 'a heartbeat was skipped, every one sent was answered' : 'idle timeout'}.`,
        explanation:
          `The last message from the server before the client's final ${name} was its ${lastServer.e.command} response (frame ${lastServer.frame}); ` +
          `${fmtDuration(silenceS)} later (${(silenceS / h.nominalS).toFixed(2)} x the ${h.nominalS} s period) the client sent ${how} (frame ${td.frame}). ` +
          (cause === 'heartbeat-suppressed'
            ? `Every heartbeat the client sent was answered${finalAnswered ? ` (the final one at frame ${finalBeat.frame}, answered in frame ${finalBeat.e.responseFrame}: the answer itself made the client notice the silence)` : ''}, ` +
              `but a beat was skipped after that response, so the next one came after the client's ${multiple} x interval deadline. ` +
              'This is a client-side timeout caused by heartbeat suppression, not packet loss: the server answered everything and nothing was lost. ' +
              `The multiple tells the client kernel: 2 x is an unfixed Linux CIFS client, 3 x one with f2caf901c1b7.`
            : cause === 'echoes-unanswered'
              ? `${unanswered.length} heartbeat(s) in the silence got no answer (TCP still acknowledged them, so the server host was up but its service did not respond): the client gave up on an unresponsive server.`
              : 'No heartbeat went unanswered and none was skipped: the client gave up after an idle period.'),
        connection: connRef(c),
        frames: evidenceFrames(frames),
        metrics: {
          heartbeat: h.kind, nominal_interval_s: h.nominalS, timeout_multiple: multiple, silence_s: round(silenceS, 6), cause,
          unanswered_echoes: unanswered.length, teardown: how.toLowerCase(),
        },
      };
      if (cause === 'heartbeat-suppressed' && h.kind === 'smb2-echo') {
        f.knownDefect = knownDefect('linux-cifs-echo-race');
        f.advice = [...f.knownDefect.advice];
      } else if (cause === 'echoes-unanswered') {
        f.advice = ['Look at the server: its service stopped answering while its TCP stack still acknowledged the requests.'];
      }
      out.push(f);
    }
    return out;
  },
};
