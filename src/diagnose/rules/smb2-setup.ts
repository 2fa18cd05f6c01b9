// Failed SMB2 set-up steps, shared by smb2/logon-failed (SESSION_SETUP) and
// smb2/tree-connect-failed (TREE_CONNECT): the final responses with an error status, grouped per
// (client, server, status), and whether the same client later completed the same step with that
// server (it recovered: another account, another authentication mechanism, another share).

import type { AnalysedTrace } from '../../analysis/trace.js';
import type { Exchange } from '../../protocols/types.js';
import { EXCHANGE_PAIR, EXCHANGE_PAIR_NOT_OK, exchangeScreen } from '../../analysis/views.js';
import { replyGroups, type ReplyGroup } from './reply-groups.js';

/** Statuses that are not failures of a set-up step: success, and the intermediate legs of a
 *  multi-round authentication (MS-SMB2 3.3.5.5.3: the server asks for another SESSION_SETUP). */
const NOT_FAILED = new Set(['STATUS_SUCCESS', 'STATUS_MORE_PROCESSING_REQUIRED']);

export interface SetupFailures extends ReplyGroup<null> {
  status: string;
  /** the first later success of the same command from this client to this server, 0 if none */
  recoveredFrame: number;
  /** the first success before the first failure, 0 if none: the client already held a session
   *  (or share) there, and the refusals concern further ones */
  heldFrame: number;
}

export function setupFailures(trace: AnalysedTrace, command: string): SetupFailures[] {
  const groups: SetupFailures[] = replyGroups(trace, (e) => (e.protocol === 'smb2' && e.command === command && !NOT_FAILED.has(e.status)
    ? { key: `${e.client.addr}|${e.server.addr}|${e.server.port}|${e.status}`, meaning: null }
    : null)).map((g) => ({ ...g, status: g.first.status, recoveredFrame: 0, heldFrame: 0 }));
  const xs = exchangeScreen(trace).bits;
  trace.captures.forEach((cap, capture) => {
    const mine = groups.filter((g) => g.capture === capture);
    if (mine.length === 0) return;
    const successes: Exchange[] = [];
    for (let k = cap.exchangeStart; k < cap.exchangeEnd; k++) {
      if ((xs[k] & (EXCHANGE_PAIR | EXCHANGE_PAIR_NOT_OK)) !== EXCHANGE_PAIR) continue;
      const e = trace.exchanges[k];
      if (e.protocol === 'smb2' && e.command === command && e.status === 'STATUS_SUCCESS') successes.push(e);
    }
    for (const g of mine) {
      for (const s of successes) {
        if (s.client.addr !== g.first.client.addr || s.server.addr !== g.first.server.addr || s.server.port !== g.first.server.port || s.requestNs === null) continue;
        if (s.requestNs < g.firstRequestNs && g.heldFrame === 0) g.heldFrame = s.requestFrame;
        if (s.requestNs > g.lastRequestNs) {
          g.recoveredFrame = s.requestFrame;
          break;
        }
      }
    }
  });
  return groups;
}
