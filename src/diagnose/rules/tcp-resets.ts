// tcp/resets (info): who reset which connections, and after what: a refused connection (RST
// answering a SYN), a reset after a close (FIN seen first: often SO_LINGER 0), a reset during the
// handshake, or an abort of an established connection. One finding per capture with the counts
// and the first of each kind. Info: a reset alone is not a fault (browsers, load balancers and
// short-lived clients reset routinely); the incident rules escalate resets that are part of a
// failure (tcp/handshake-failed, heartbeat/timeout-teardown).

import type { AnalysedTrace } from '../../analysis/trace.js';
import { isRst, isSyn, isSynAck } from '../../analysis/views.js';
import { TCP_FIN, TCP_RST } from '../../wire/packet.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';

type Kind = 'refused' | 'after-close' | 'in-handshake' | 'abort';

export const tcpResets: Rule<AnalysedTrace> = {
  id: 'tcp/resets',
  run(trace) {
    const out: Finding[] = [];
    const st = trace.segments;
    trace.captures.forEach((_, capture) => {
      const kinds = new Map<string, { n: number; frames: number[] }>();
      let total = 0;
      for (const c of trace.connections) {
        if (c.capture !== capture) continue;
        // most connections have no RST among their key segments: screened on the flags column
        let hasRst = false;
        for (let i = c.keyRowStart; i < c.keyRowEnd && !hasRst; i++) hasRst = (st.flagsAt(i) & TCP_RST) !== 0;
        if (!hasRst) continue;
        const segs = c.keySegments;
        const ri = segs.findIndex(isRst);
        if (ri < 0) continue;
        const r = segs[ri];
        const before = segs.slice(0, ri);
        const prev = before[before.length - 1];
        let kind: Kind;
        if (prev && isSyn(prev) && r.dir === 1) kind = 'refused';
        else if (before.some((s) => (s.flags & TCP_FIN) !== 0)) kind = 'after-close';
        else if (!before.some((s) => s.len > 0) && before.some((s) => isSyn(s) || isSynAck(s))) kind = 'in-handshake';
        else kind = 'abort';
        const who = r.dir === 0 ? 'client' : 'server';
        const k = `${kind} by ${who}`;
        let e = kinds.get(k);
        if (!e) kinds.set(k, (e = { n: 0, frames: [] }));
        e.n++;
        if (e.frames.length < 4) e.frames.push(r.frame);
        total++;
      }
      if (total === 0) return;
      const list = [...kinds].sort((a, b) => b[1].n - a[1].n);
      out.push({
        id: 'tcp/resets',
        severity: 'info',
        summary: `${total} connection(s) reset in ${trace.captures[capture].path.split('/').pop()}: ${list.map(([k, v]) => `${v.n} ${k}`).join(', ')}.`,
        explanation:
          'Resets by kind: refused = RST answering a SYN (nothing listens on the port, or a firewall resets); after-close = RST after a FIN (an application closing with SO_LINGER 0, or data arriving after close); ' +
          'in-handshake = RST before any data (an answer the client did not accept); abort = RST in an established connection. ' +
          `First frames: ${list.map(([k, v]) => `${k}: ${v.frames.join(', ')}`).join('; ')}.`,
        frames: evidenceFrames(list.flatMap(([, v]) => v.frames)),
        metrics: Object.fromEntries([['resets', total], ...list.map(([k, v]) => [k.replace(/[- ]/g, '_'), v.n])]),
      });
    });
    return out;
  },
};
