// tcp/unanswered-syn (warning): connection attempts on a 4-tuple that got no answer at all: no
// SYN-ACK, no RST, no ACK, no ICMP error, although the client tried at least twice or the
// capture went on for MIN_WAIT_NS after the SYN. A SYN that was re-sent and then answered is
// ordinary loss recovery and is not reported here (its delay shows in tcp/connect-latency-outliers).

import type { AnalysedTrace } from '../../analysis/trace.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { synAttempts } from './syn-attempts.js';
import { fmtDuration } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

/** The initial SYN timeout (RFC 6298 2.1: 1 s) plus margin: a single SYN closer than this to the
 *  end of the capture may simply not have had its answer captured yet. */
export const MIN_WAIT_NS = 3e9;

export const tcpUnansweredSyn: Rule<AnalysedTrace> = {
  id: 'tcp/unanswered-syn',
  run(trace) {
    const out: Finding[] = [];
    const perCapture = new Map<number, { tuples: string[]; syns: number; frames: number[] }>();
    for (const a of synAttempts(trace)) {
      const answered = a.g.rows.some((r) => trace.segments.dirAt(r) === 1) || a.icmp.length > 0;
      if (answered) continue;
      const last = a.syns[a.syns.length - 1];
      const end = trace.captures[a.g.capture].lastNs ?? last.ns;
      if (a.syns.length < 2 && end - last.ns < BigInt(MIN_WAIT_NS)) continue;
      let e = perCapture.get(a.g.capture);
      if (!e) perCapture.set(a.g.capture, (e = { tuples: [], syns: 0, frames: [] }));
      e.tuples.push(`${formatEndpoint(a.g.client, a.g.clientPort)} -> ${formatEndpoint(a.g.server, a.g.serverPort)} (${a.syns.length} SYN${a.syns.length > 1 ? 's' : ''} over ${fmtDuration(Number(last.ns - a.syns[0].ns) / 1e9)})`);
      e.syns += a.syns.length;
      e.frames.push(a.syns[0].frame);
    }
    for (const [capture, e] of perCapture) {
      // a capture that saw no packet at all from the servers may be one-directional
      out.push({
        id: 'tcp/unanswered-syn',
        severity: 'warning',
        summary: `${e.tuples.length} connection attempt(s) in ${trace.captures[capture].path.split('/').pop()} got no answer at all (${e.syns} SYNs).`,
        explanation:
          'No SYN-ACK, RST or ICMP error came back for these attempts: the server is down or unreachable, or a firewall drops the SYNs silently ' +
          '(or the capture sees only one direction). ' + `Attempts: ${e.tuples.slice(0, 8).join('; ')}${e.tuples.length > 8 ? '; ...' : ''}.`,
        frames: evidenceFrames(e.frames),
        metrics: { attempts: e.tuples.length, syns: e.syns },
      });
    }
    return out;
  },
};
