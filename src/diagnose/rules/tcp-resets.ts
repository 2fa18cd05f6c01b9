// tcp/resets (info): who reset which connections, and after what: a refused connection (RST
// answering a SYN), a reset after a close (FIN seen first: often SO_LINGER 0), a reset during the
// handshake, or an abort of an established connection. One finding per capture with the counts
// and the first of each kind. Info: a reset alone is not a fault (browsers, load balancers and
// short-lived clients reset routinely); the incident rules escalate resets that are part of a
// failure (tcp/handshake-failed, heartbeat/timeout-teardown).

import type { AnalysedTrace } from '../../analysis/trace.js';
import { connectionScreen, isSynFlags, SCREEN_DATA_BEFORE_RST, SCREEN_FIN_BEFORE_RST, SCREEN_SYN_BEFORE_RST } from '../../analysis/views.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { anyOddReset, middleboxReset } from './tcp-middlebox-reset.js';

/** The kinds of reset, in the order of KEYS' pairs. */
const REFUSED = 0, AFTER_CLOSE = 1, IN_HANDSHAKE = 2, ABORT = 3, MIDDLEBOX = 4;
/** "<kind> by <who>" at 2 * kind + the direction of the RST (0 = the originator, the client) */
const KEYS: readonly string[] = [
  'refused by client', 'refused by server', 'after-close by client', 'after-close by server',
  'in-handshake by client', 'in-handshake by server', 'abort by client', 'abort by server',
  // a RST another device sent in that end's name (tcp/middlebox-reset: its TTL is not the end's)
  'by a middlebox as client', 'by a middlebox as server',
];

export const tcpResets: Rule<AnalysedTrace> = {
  id: 'tcp/resets',
  run(trace) {
    const out: Finding[] = [];
    const st = trace.segments;
    const sc = connectionScreen(trace);
    trace.captures.forEach((_, capture) => {
      // per key (KEYS' index): the count and the first frames; `seen` lists the keys in the order
      // they first occurred (the ranking below keeps that order among equal counts)
      const entries: ({ n: number; frames: number[] } | undefined)[] = new Array(KEYS.length);
      const seen: number[] = [];
      let total = 0;
      // the screen (views.ts) found each connection's first RST and what came before it in one
      // walk over the rows; only the connections with a RST are looked at
      const odd = anyOddReset(trace);
      for (const i of sc.resets) {
        if (sc.capture[i] !== capture) continue;
        const bits = sc.bits[i];
        const ri = sc.firstRst[i];
        const dir = st.dirAt(ri);
        let kind: number;
        if (odd && middleboxReset(trace.connections[i])?.frame === st.frameAt(ri)) kind = MIDDLEBOX;
        else if (ri > sc.rowStart[i] && isSynFlags(st.flagsAt(ri - 1)) && dir === 1) kind = REFUSED;
        else if ((bits & SCREEN_FIN_BEFORE_RST) !== 0) kind = AFTER_CLOSE;
        else if ((bits & SCREEN_DATA_BEFORE_RST) === 0 && (bits & SCREEN_SYN_BEFORE_RST) !== 0) kind = IN_HANDSHAKE;
        else kind = ABORT;
        const k = 2 * kind + dir;
        let e = entries[k];
        if (e === undefined) {
          entries[k] = e = { n: 0, frames: [] };
          seen.push(k);
        }
        e.n++;
        if (e.frames.length < 4) e.frames.push(st.frameAt(ri));
        total++;
      }
      if (total === 0) return;
      const kinds = seen.map((k) => [KEYS[k], entries[k]!] as const);
      const list = [...kinds].sort((a, b) => b[1].n - a[1].n);
      out.push({
        id: 'tcp/resets',
        severity: 'info',
        summary: `${total} connection(s) reset in ${trace.captures[capture].path.split('/').pop()}: ${list.map(([k, v]) => `${v.n} ${k}`).join(', ')}.`,
        explanation:
          'Resets by kind: refused = RST answering a SYN (nothing listens on the port, or a firewall resets); after-close = RST after a FIN (an application closing with SO_LINGER 0, or data arriving after close); ' +
          'in-handshake = RST before any data (an answer the client did not accept); abort = RST in an established connection' +
          `${seen.some((k) => k >= 2 * MIDDLEBOX) ? '; by a middlebox = a RST with another TTL than the packets of the end it claims to come from (tcp/middlebox-reset)' : ''}. ` +
          `First frames: ${list.map(([k, v]) => `${k}: ${v.frames.join(', ')}`).join('; ')}.`,
        frames: evidenceFrames(list.flatMap(([, v]) => v.frames)),
        metrics: Object.fromEntries([['resets', total], ...list.map(([k, v]) => [k.replace(/[- ]/g, '_'), v.n])]),
      });
    });
    return out;
  },
};
