// tcp/retransmissions (warning): a connection whose data was retransmitted often, or that
// stalled on its retransmission timer. Wireshark's retransmission label (fast and spurious
// included) on segments with payload; SYNs (tcp/unanswered-syn, tcp/connect-latency-outliers),
// keep-alives and window probes are not counted. An RTO stall is a retransmission of data after
// at least RTO_STALL_MIN_NS (src/analysis/analyse.ts) of silence on the connection. Two endings are
// told apart from loss: retransmissions with nothing from the peer after them to the end of the
// capture (silentTail: the peer or the path went silent), and retransmissions that all filled the
// peer's receive window (windowFullStory: the receiver was not reading).

import type { AnalysedTrace, ConnectionFacts, SegmentFact } from '../../analysis/trace.js';
import { L_FAST_RETRANSMISSION, L_RETRANSMISSION, L_WINDOW_FULL } from '../../tcp/labels.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef, fmtDuration, round } from './util.js';
import { connectionsWithHealth } from '../../analysis/views.js';
import { formatEndpoint } from '../../wire/addr.js';

/** A retransmission rate above 2% of a direction's data segments visibly cuts TCP throughput
 *  (throughput falls with the square root of the loss rate, Mathis et al. 1997). */
export const RATE_WARN = 0.02;
/** ... counted only with at least this many retransmissions: one or two on a short connection
 *  are ordinary and make any rate look large. */
export const MIN_RETRANSMISSIONS = 10;
/** A stall of at least 1 s before a retransmission is a pause a user notices. */
export const STALL_WARN_NS = 1e9;
/** Retransmissions in a row, with nothing from the peer after the first of them, that make a
 *  connection "gone silent": the first timer expiry and two backed-off ones (Linux: 0.2 s or
 *  more, then twice that each time) rule out a single lost segment. */
export const SILENT_MIN_RETRANSMISSIONS = 3;

/** The connection's ending, when its last key segments are data retransmissions from one side
 *  with nothing from the other side after them: the peer (or the path) stopped answering. */
export interface SilentTail {
  dir: 0 | 1;
  /** the peer's last segment before them (0: none kept) */
  lastAnswerFrame: number;
  frames: number[];
  /** seconds between consecutive retransmissions */
  gapsS: number[];
  /** each gap at least 1.5 x the one before: the retransmission timer backing off */
  backingOff: boolean;
}

/** The retransmissions of one side that all filled the peer's receive window (Wireshark's
 *  window_full): the peer had shrunk its window and was not reading. */
export interface WindowFullStory {
  dir: 0 | 1;
  /** the first window-filling segment */
  firstFrame: number;
  retransmissions: number;
  /** the peer sent something after the first window-filling segment */
  answered: boolean;
}

export function windowFullStory(c: ConnectionFacts): WindowFullStory | null {
  const segs = c.keySegments;
  for (const dir of [0, 1] as const) {
    let first = -1;
    let re = 0;
    let other = 0;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s.dir !== dir || s.len === 0) continue;
      const retrans = (s.labels & (L_RETRANSMISSION | L_FAST_RETRANSMISSION)) !== 0;
      const full = (s.labels & L_WINDOW_FULL) !== 0;
      if (retrans && !full) other++;
      if (retrans && full) re++;
      if (full && first < 0) first = i;
    }
    if (re === 0 || other > 0 || first < 0) continue;
    const answered = segs.slice(first + 1).some((s) => s.dir !== dir);
    return { dir, firstFrame: segs[first].frame, retransmissions: re, answered };
  }
  return null;
}

export function silentTail(c: ConnectionFacts): SilentTail | null {
  const segs = c.keySegments;
  if (segs.length === 0) return null;
  const dir = segs[segs.length - 1].dir;
  const run: SegmentFact[] = [];
  let i = segs.length - 1;
  for (; i >= 0 && segs[i].dir === dir; i--) {
    const s = segs[i];
    if (s.len > 0 && (s.labels & (L_RETRANSMISSION | L_FAST_RETRANSMISSION)) !== 0) run.unshift(s);
    else if (s.len > 0 || run.length > 0) break; // new data after the retransmissions, or before them: not a silent end
  }
  if (run.length < SILENT_MIN_RETRANSMISSIONS) return null;
  const gapsS = run.slice(1).map((s, k) => Number(s.ns - run[k].ns) / 1e9);
  return {
    dir, lastAnswerFrame: i >= 0 && segs[i].dir !== dir ? segs[i].frame : 0, frames: run.map((s) => s.frame), gapsS,
    backingOff: gapsS.every((g, k) => k === 0 || g >= 1.5 * gapsS[k - 1]),
  };
}

export const tcpRetransmissions: Rule<AnalysedTrace> = {
  id: 'tcp/retransmissions',
  run(trace) {
    const out: Finding[] = [];
    // only connections with non-zero health counters (views.ts): the others cannot qualify
    for (const { c, h } of connectionsWithHealth(trace)) {
      const rates = [0, 1].map((d) => (h.dataSegments[d] ? h.retransmittedData[d] / h.dataSegments[d] : 0));
      const heavy = [0, 1].filter((d) => h.retransmittedData[d] >= MIN_RETRANSMISSIONS && rates[d] >= RATE_WARN);
      const stall = h.maxRtoStallNs >= STALL_WARN_NS;
      if (!heavy.length && !stall) continue;
      const side = (d: number) => (d === 0 ? formatEndpoint(c.origAddr, c.origPort) : formatEndpoint(c.respAddr, c.respPort));
      const parts = heavy.map((d) => `${side(d)} re-sent ${h.retransmittedData[d]} of ${h.dataSegments[d]} data segments (${(rates[d] * 100).toFixed(1)}%)`);
      if (stall) parts.push(`${h.rtoStalls} timeout stall(s), the longest ${fmtDuration(h.maxRtoStallNs / 1e9)} before frame ${h.maxRtoStallFrame}`);
      const silent = silentTail(c);
      const full = windowFullStory(c);
      if (full) parts.push(`every retransmission filled the receive window of ${side(1 - full.dir)}${full.answered ? '' : ', which then went silent'}`);
      if (silent) {
        parts.push(`the capture ends with ${silent.frames.length} retransmissions by ${side(silent.dir)}${silent.backingOff ? ', backing off,' : ''} and no answer from ${side(1 - silent.dir)}` +
          (silent.lastAnswerFrame ? ` after frame ${silent.lastAnswerFrame}` : ''));
      }
      const frames = c.keySegments.filter((s) => s.labels & 1 && s.len > 0).map((s) => s.frame);
      out.push({
        id: 'tcp/retransmissions',
        severity: 'warning',
        summary: `${connLabel(c)}: ${parts.join('; ')}.`,
        explanation:
          (full
            ? `Every retransmission of ${side(full.dir)} filled the receive window ${side(1 - full.dir)} had left it (Wireshark's window_full; the first in frame ${full.firstFrame}): ` +
              `the receiver had shrunk its window because its application was not reading, and the sender re-sent into a window with no room` +
              (full.answered ? '. ' : `; ${side(1 - full.dir)} sent nothing more to the end of the capture: it stopped reading and acknowledging (a busy or hung receiver). `) +
              'This is the receiver holding the connection back, not loss on the network. '
            : 'Retransmitted data means segments (or their acknowledgements) were lost or delayed between the sender and the receiver, or that the capture point ' +
              'sits before the loss. ') + (stall ? `A timeout stall is a silence after which the sender re-sent data on its retransmission timer: the connection made no progress for ${fmtDuration(h.maxRtoStallNs / 1e9)}. ` : '') +
          (silent
            ? `The connection did not recover in the capture: ${side(silent.dir)} re-sent its data ${silent.frames.length} times (frames ${silent.frames.join(', ')}), ` +
              `${silent.gapsS.map((g) => fmtDuration(g)).join(', ')} apart${silent.backingOff ? ', each wait longer than the last: its retransmission timer backing off' : ''}, and nothing came back from ${side(1 - silent.dir)}: ` +
              'the peer stopped answering (it crashed, lost power or its network), or the path between them broke. The sender keeps trying until its retry limit (Linux: tcp_retries2, about 15 minutes) and then reports the connection lost to the application. '
            : '') +
          'Segments the capture missed but the peer acknowledged are capture loss and are named by capture/missing-segments instead.',
        connection: connRef(c),
        frames: evidenceFrames([...(stall ? [h.maxRtoStallFrame] : []), ...(full ? [full.firstFrame] : []), ...frames]),
        metrics: {
          retransmitted_client: h.retransmittedData[0], data_segments_client: h.dataSegments[0], retransmitted_server: h.retransmittedData[1],
          data_segments_server: h.dataSegments[1], rate_max: round(Math.max(...rates), 4), rto_stalls: h.rtoStalls, max_rto_stall_s: round(h.maxRtoStallNs / 1e9, 3),
          ...(silent ? { unanswered_retransmissions_at_end: silent.frames.length } : {}),
          ...(full ? { window_full_retransmissions: full.retransmissions } : {}),
        },
      });
    }
    return out;
  },
};
