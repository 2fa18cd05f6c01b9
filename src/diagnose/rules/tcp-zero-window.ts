// tcp/zero-window (info): a receiver closed its window (advertised 0) and reopened it within
// STALL_WARN_NS, possibly many times. That is TCP flow control working: the receiving
// application reads more slowly than the sender sends, so the receiver, not the network, sets the
// pace. Named so that the zero_window labels of such a capture are explained instead of left to
// look like trouble; a closed window that lasts is tcp/zero-window-stall (warning) instead.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { L_ZERO_WINDOW } from '../../tcp/labels.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connLabel, connRef, fmtDuration, round } from './util.js';
import { STALL_WARN_NS } from './tcp-zero-window-stall.js';
import { connectionsWithHealth } from '../../analysis/views.js';
import { formatEndpoint } from '../../wire/addr.js';

export const tcpZeroWindow: Rule<AnalysedTrace> = {
  id: 'tcp/zero-window',
  run(trace) {
    const out: Finding[] = [];
    // only connections with non-zero health counters (views.ts): the others cannot qualify
    for (const { c, h } of connectionsWithHealth(trace)) {
      if (h.zeroWindows === 0 || h.maxZeroWindowNs >= STALL_WARN_NS) continue;
      const side = h.zeroWindowDir === 0 ? 'client' : 'server';
      const who = h.zeroWindowDir === 0 ? formatEndpoint(c.origAddr, c.origPort) : formatEndpoint(c.respAddr, c.respPort);
      const labelled = c.labelCounts.zero_window ?? 0;
      const longest = fmtDuration(h.maxZeroWindowNs / 1e9);
      out.push({
        id: 'tcp/zero-window',
        severity: 'info',
        summary: `${who} closed its receive window ${h.zeroWindows} time${h.zeroWindows === 1 ? '' : 's'} on ${connLabel(c)} ` +
          `and reopened it each time within ${longest} (longest from frame ${h.zeroWindowFrame}${h.zeroWindowEndFrame ? ` to ${h.zeroWindowEndFrame}` : ''}); ` +
          `${labelled} zero-window segment${labelled === 1 ? '' : 's'} in all.`,
        explanation:
          `A zero window means ${who}'s receive buffer was full: its application had not yet read what had arrived. ` +
          `Each time the window reopened within ${longest}, so this is flow control pacing the sender to the receiving application, ` +
          'not loss and not a network fault. If throughput matters, look at the receiver (application read rate, receive buffer size), not the path; ' +
          `a window closed for ${fmtDuration(STALL_WARN_NS / 1e9)} or more would be reported as tcp/zero-window-stall.`,
        connection: connRef(c),
        frames: evidenceFrames([
          ...c.keySegments.filter((s) => s.labels & L_ZERO_WINDOW).map((s) => s.frame).slice(0, 4),
          h.zeroWindowFrame, ...(h.zeroWindowEndFrame ? [h.zeroWindowEndFrame] : []),
        ].sort((a, b) => a - b).filter((f, i, a) => i === 0 || a[i - 1] !== f)),
        metrics: { episodes: h.zeroWindows, zero_window_segments: labelled, longest_s: round(h.maxZeroWindowNs / 1e9, 6), receiver: side },
      });
    }
    return out;
  },
};
