// tcp/zero-window-stall (warning): a receiver advertised a zero window (it stopped reading: its
// buffer is full) and kept it closed for at least STALL_WARN_NS, or never reopened it. Zero
// windows themselves are flow control doing its job; only a long one is a stall worth naming.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { L_KEEP_ALIVE, L_ZERO_WINDOW, L_ZERO_WINDOW_PROBE } from '../../tcp/labels.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef, fmtDuration, round } from './util.js';
import { connectionsWithHealth } from '../../analysis/views.js';
import { formatEndpoint } from '../../wire/addr.js';

/** A receiver that does not read for 5 s stalls its sender noticeably; shorter pauses are an
 *  application catching up (the noise control pauses 1.5 s). */
export const STALL_WARN_NS = 5e9;

export const tcpZeroWindowStall: Rule<AnalysedTrace> = {
  id: 'tcp/zero-window-stall',
  run(trace) {
    const out: Finding[] = [];
    // only connections with non-zero health counters (views.ts): the others cannot qualify
    for (const { c, h } of connectionsWithHealth(trace)) {
      if (h.zeroWindows === 0 || h.maxZeroWindowNs < STALL_WARN_NS) continue;
      const who = h.zeroWindowDir === 0 ? formatEndpoint(c.origAddr, c.origPort) : formatEndpoint(c.respAddr, c.respPort);
      const open = h.zeroWindowEndFrame === 0;
      out.push({
        id: 'tcp/zero-window-stall',
        severity: 'warning',
        summary: `${h.zeroWindowDir === 0 ? 'The client' : 'The server'} ${who} advertised a zero window for ${fmtDuration(h.maxZeroWindowNs / 1e9)} (frame ${h.zeroWindowFrame}${open ? ', never reopened in the capture' : ` to ${h.zeroWindowEndFrame}`}); ${h.zeroWindows} zero-window episode(s).`,
        explanation:
          `${who} closed its receive window (frame ${h.zeroWindowFrame}): its application did not read the data it had received, so the sender had to wait ` +
          (open ? 'until the end of the capture.' : `until the window reopened (frame ${h.zeroWindowEndFrame}).`) +
          ' This is a slow or stuck receiving application, not the network.',
        connection: connRef(c),
        // the first zero window, the sender's probes and the receiver's repeated zero windows, the reopening
        frames: evidenceFrames([h.zeroWindowFrame,
          ...c.keySegments.filter((s) => s.frame > h.zeroWindowFrame && (open || s.frame < h.zeroWindowEndFrame) &&
            (s.labels & (L_ZERO_WINDOW | L_ZERO_WINDOW_PROBE | L_KEEP_ALIVE))).map((s) => s.frame),
          ...(open ? [] : [h.zeroWindowEndFrame])].sort((a, b) => a - b)),
        metrics: { stall_s: round(h.maxZeroWindowNs / 1e9, 3), episodes: h.zeroWindows, reopened: open ? 'no' : 'yes', receiver: h.zeroWindowDir === 0 ? 'client' : 'server' },
      });
    }
    return out;
  },
};
