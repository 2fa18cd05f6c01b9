// tcp/resets (info): who reset which connections, and after what: a refused connection (RST
// answering a SYN), a reset after a close (FIN seen first: often SO_LINGER 0), a reset during the
// handshake, or an abort of an established connection. One finding per capture with the counts
// and the first of each kind. Info: a reset alone is not a fault (browsers, load balancers and
// short-lived clients reset routinely); the incident rules escalate resets that are part of a
// failure (tcp/handshake-failed, heartbeat/timeout-teardown).

import type { AnalysedTrace } from '../../analysis/trace.js';
import { isSynFlags } from '../../analysis/views.js';
import { TCP_FIN, TCP_RST, TCP_SYN } from '../../wire/packet.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';

type Kind = 'refused' | 'after-close' | 'in-handshake' | 'abort';
/** "<kind> by <who>" per kind and direction of the RST (0 = the originator, the client) */
const KEYS: Record<Kind, readonly [string, string]> = {
  refused: ['refused by client', 'refused by server'],
  'after-close': ['after-close by client', 'after-close by server'],
  'in-handshake': ['in-handshake by client', 'in-handshake by server'],
  abort: ['abort by client', 'abort by server'],
};

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
        // walks the connection's key-segment rows on the columns (no objects): the first RST,
        // and what came before it
        let ri = -1;
        for (let i = c.keyRowStart; i < c.keyRowEnd; i++) {
          if ((st.flagsAt(i) & TCP_RST) !== 0) {
            ri = i;
            break;
          }
        }
        if (ri < 0) continue;
        let fin = false;
        let data = false;
        let handshake = false;
        for (let i = c.keyRowStart; i < ri; i++) {
          const flags = st.flagsAt(i);
          if ((flags & TCP_FIN) !== 0) fin = true;
          if (st.lenAt(i) > 0) data = true;
          if ((flags & TCP_SYN) !== 0) handshake = true; // a SYN or a SYN-ACK
        }
        const dir = st.dirAt(ri);
        let kind: Kind;
        if (ri > c.keyRowStart && isSynFlags(st.flagsAt(ri - 1)) && dir === 1) kind = 'refused';
        else if (fin) kind = 'after-close';
        else if (!data && handshake) kind = 'in-handshake';
        else kind = 'abort';
        const k = KEYS[kind][dir];
        let e = kinds.get(k);
        if (!e) kinds.set(k, (e = { n: 0, frames: [] }));
        e.n++;
        if (e.frames.length < 4) e.frames.push(st.frameAt(ri));
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
