// heartbeat/drift (info): a connection's heartbeat stream (SMB2 ECHO, NFSv4 RENEW or
// SEQUENCE-only COMPOUND, RPC NULL): the nominal period, the measured mean interval, the drift,
// and the beats that are missing. A missing beat right after a response from the server is how
// Linux cifs.ko suppresses an echo ("a response was seen recently", seed 000); the evidence is the
// last beat before the gap and the response that came before the missing one was due.
//
// Info: a drifting or skipped heartbeat alone harms nothing; heartbeat/timeout-teardown says
// when it led to a teardown.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { heartbeatName, heartbeatStreams } from './heartbeats.js';
import { connLabel, connRef, fmtDuration, round } from './util.js';

export const heartbeatDrift: Rule<AnalysedTrace> = {
  id: 'heartbeat/drift',
  run(trace) {
    const out: Finding[] = [];
    for (const h of heartbeatStreams(trace)) {
      const c = h.conn;
      const t0 = trace.captures[c.capture].firstNs ?? 0n;
      const drift = h.meanS - h.nominalS;
      const missing = h.gaps.reduce((a, g) => a + g.missing, 0);
      const frames: number[] = [];
      const metrics: Finding['metrics'] = {
        heartbeat: h.kind, beats: h.beats.length, nominal_interval_s: h.nominalS, mean_interval_s: round(h.meanS, 4),
        drift_s: round(drift, 4), missing_beats: missing,
      };
      let gapText = '';
      const g = h.gaps[0];
      if (g) {
        // the first missing beat was due one mean interval after the beat before the gap
        const dueNs = g.before.ns + BigInt(Math.round(h.meanS * 1e9));
        metrics.missing_beat_at_s = round(Number(dueNs - t0) / 1e9, 3);
        // the last server message between that beat and the due time: what made the sender skip
        const cause = [...h.serverMessages].reverse().find((m) => m.ns > g.before.ns && m.ns <= dueNs && m.e !== g.before.e);
        frames.push(g.before.frame);
        if (cause) {
          frames.push(cause.frame);
          metrics.suppressed_by_frame = cause.frame;
        }
        if (g.after) frames.push(g.after.frame);
        gapText =
          ` The beat due at ${metrics.missing_beat_at_s} s (frame.time_relative) is missing: ` +
          (g.after ? `the interval from frame ${g.before.frame} to frame ${g.after.frame} is ` : `after frame ${g.before.frame} no beat came for `) +
          `${fmtDuration(Number(g.endNs - g.before.ns) / 1e9)}` +
          (cause ? `, and the server's ${cause.e.command} response (frame ${cause.frame}) came ${fmtDuration(Number(cause.ns - g.before.ns) / 1e9)} after the last beat, so a sender that skips a heartbeat when it heard from the server recently (as Linux cifs.ko does) skipped this one.` : '.');
      }
      for (const b of h.beats.slice(0, 4)) frames.push(b.frame);
      out.push({
        id: 'heartbeat/drift',
        severity: 'info',
        summary: `${heartbeatName(h.kind)} heartbeat on ${connLabel(c)}: ${h.beats.length} beats, nominal ${h.nominalS} s, measured ${h.meanS.toFixed(2)} s (drift ${drift >= 0 ? '+' : ''}${drift.toFixed(2)} s), ${missing} missing.`,
        explanation:
          `The client sends a ${heartbeatName(h.kind)} about every ${h.meanS.toFixed(2)} s; the configured period is most likely ${h.nominalS} s. ` +
          (drift > 0.5 ? `Each period is ${drift.toFixed(2)} s late, which is what a timer re-armed only after its work finished does (the work time adds up every period).` : 'The beats keep their period.') +
          gapText,
        connection: connRef(c),
        frames: evidenceFrames(frames),
        metrics,
      });
    }
    return out;
  },
};
