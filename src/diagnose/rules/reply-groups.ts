// Exchanges whose reply carries a status worth reporting, grouped per capture and per a key the rule
// chooses (client, server, status ...): shared by rpc/call-rejected, nfs/error-replies,
// smb2/error-replies and the SMB2 set-up rules. Only pairs with a non-zero status are read (the
// exchange screen's bit): no getter per exchange for the 150,000 that answered normally.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { EXCHANGE_PAIR_NOT_OK, exchangeScreen } from '../../analysis/views.js';
import type { Exchange } from '../../protocols/types.js';

/** Request and response frames kept per group (pairs): enough for the evidence cap. */
const FRAMES_KEPT = 12;

export interface ReplyGroup<M> {
  capture: number;
  /** the group's first exchange, and what the rule made of it */
  first: Exchange;
  meaning: M;
  count: number;
  /** exchanges per command or procedure name */
  commands: Map<string, number>;
  /** request and response frames of the first exchanges, in order */
  frames: number[];
  streams: Set<number>;
  clients: Set<string>;
  /** request times of the first and last exchange (0n when unknown), and the last response time */
  firstRequestNs: bigint;
  lastRequestNs: bigint;
  lastResponseNs: bigint;
  /** every exchange of the group was a NULL procedure (RPC pings) */
  nullOnly: boolean;
}

/** The groups of each capture, in order of their first exchange. `select` says whether an exchange
 *  (a pair with a non-zero status code) belongs to a group: its key and its meaning, or null. */
export function replyGroups<M>(trace: AnalysedTrace, select: (e: Exchange) => { key: string; meaning: M } | null): ReplyGroup<M>[] {
  const out: ReplyGroup<M>[] = [];
  const xs = exchangeScreen(trace).bits;
  trace.captures.forEach((cap, capture) => {
    const groups = new Map<string, ReplyGroup<M>>();
    for (let k = cap.exchangeStart; k < cap.exchangeEnd; k++) {
      if ((xs[k] & EXCHANGE_PAIR_NOT_OK) === 0) continue;
      const e = trace.exchanges[k];
      const s = select(e);
      if (s === null) continue;
      let g = groups.get(s.key);
      if (!g) {
        g = {
          capture, first: e, meaning: s.meaning, count: 0, commands: new Map(), frames: [], streams: new Set(), clients: new Set(),
          firstRequestNs: e.requestNs ?? 0n, lastRequestNs: 0n, lastResponseNs: 0n, nullOnly: true,
        };
        groups.set(s.key, g);
        out.push(g);
      }
      g.count++;
      g.commands.set(e.command, (g.commands.get(e.command) ?? 0) + 1);
      if (g.frames.length < FRAMES_KEPT) g.frames.push(e.requestFrame, e.responseFrame);
      if (e.stream >= 0) g.streams.add(e.stream);
      g.clients.add(e.client.addr);
      if (e.requestNs !== null && e.requestNs > g.lastRequestNs) g.lastRequestNs = e.requestNs;
      if (e.responseNs !== null && e.responseNs > g.lastResponseNs) g.lastResponseNs = e.responseNs;
      if (e.procedure !== 0 || e.protocol !== 'rpc') g.nullOnly = false;
    }
  });
  return out;
}

/** "READ 3, WRITE 1": the commands of a group, most frequent first. */
export function commandList(g: ReplyGroup<unknown>): string {
  return [...g.commands].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
}
