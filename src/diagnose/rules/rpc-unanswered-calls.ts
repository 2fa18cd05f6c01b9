// rpc/unanswered-calls (warning): ONC RPC calls that never got a reply although the capture went
// on for at least MIN_WAIT_NS after them. RPC servers answer in milliseconds (a blocking NLM lock
// is answered at once with LCK_BLOCKED and granted later by a call of its own), so a call left
// unanswered for a second while the capture is still running means the server is hung or
// overloaded, the program is not really served there, or the replies are lost on the way back.
// Calls near the end of the capture are not counted (their replies may simply not have been
// captured yet). On a connection where the capture itself missed segments (tshark's
// ack_lost_segment), a reply may be in the hole: such calls are counted apart and only noted.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { connectionOf, EXCHANGE_PAIR, EXCHANGE_RPC, EXCHANGE_UNANSWERED, exchangeScreen } from '../../analysis/views.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { fmtDuration } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

/** A reply later than a second is already far outside any healthy RPC service time, and a call
 *  this far from the end of the capture has had its chance to be answered in it. */
export const MIN_WAIT_NS = 1e9;

export const rpcUnansweredCalls: Rule<AnalysedTrace> = {
  id: 'rpc/unanswered-calls',
  run(trace) {
    const out: Finding[] = [];
    trace.captures.forEach((cap, capture) => {
      if (cap.lastNs === null) return;
      const byService = new Map<string, { n: number; inGap: number; answeredLater: number; frames: number[]; firstNs: bigint; servers: Set<string> }>();
      // the calls left unanswered long enough first: most captures have none, and then the
      // per-server table of answered calls (a key string per reply) is not built
      const minWait = BigInt(MIN_WAIT_NS);
      const candidates: number[] = [];
      const bits = exchangeScreen(trace).bits;
      for (let k = cap.exchangeStart; k < cap.exchangeEnd; k++) {
        if ((bits[k] & (EXCHANGE_RPC | EXCHANGE_UNANSWERED)) !== (EXCHANGE_RPC | EXCHANGE_UNANSWERED)) continue;
        const e = trace.exchanges[k];
        const ns = e.requestNs;
        if (ns !== null && cap.lastNs - ns >= minWait) candidates.push(k);
      }
      if (candidates.length === 0) return;
      // per server, the latest call it answered: tells a hung server from calls (or replies) lost
      const lastAnswered = new Map<string, bigint>();
      for (let k = cap.exchangeStart; k < cap.exchangeEnd; k++) {
        if ((bits[k] & (EXCHANGE_RPC | EXCHANGE_PAIR)) !== (EXCHANGE_RPC | EXCHANGE_PAIR)) continue;
        const e = trace.exchanges[k];
        const ns = e.requestNs;
        if (ns === null) continue;
        const key = `${e.server.addr}|${e.server.port}`;
        const t = lastAnswered.get(key);
        if (t === undefined || ns > t) lastAnswered.set(key, ns);
      }
      for (const k of candidates) {
        const e = trace.exchanges[k];
        const requestNs = e.requestNs!;
        const conn = e.stream >= 0 ? connectionOf(trace, capture, e.stream) : undefined;
        const gap = conn !== undefined && (conn.labelCounts.ack_lost_segment ?? 0) > 0;
        let s = byService.get(e.service);
        if (!s) byService.set(e.service, (s = { n: 0, inGap: 0, answeredLater: 0, frames: [], firstNs: requestNs, servers: new Set() }));
        if (gap) s.inGap++;
        else {
          s.n++;
          if ((lastAnswered.get(`${e.server.addr}|${e.server.port}`) ?? -1n) > requestNs) s.answeredLater++;
          if (s.frames.length < 8) s.frames.push(e.requestFrame);
          if (s.servers.size < 4) s.servers.add(`${formatEndpoint(e.server.addr, e.server.port)}/${e.transport}`);
        }
      }
      for (const [service, s] of byService) {
        if (s.n === 0) continue;
        const who = s.servers.size > 1 ? 'servers' : 'server';
        const waited = fmtDuration(Number(cap.lastNs - s.firstNs) / 1e9);
        out.push({
          id: 'rpc/unanswered-calls',
          severity: 'warning',
          summary: `${s.n} ${service} call${s.n === 1 ? '' : 's'} to ${[...s.servers].join(', ')} got no reply in ${cap.path.split('/').pop()} ` +
            `(the first at frame ${s.frames[0]}, ${waited} before the capture ends)` +
            (s.answeredLater === s.n ? `, though the ${who} answered later calls.` : s.answeredLater === 0 ? `, and the ${who} answered no later call.` : `; the ${who} answered later calls after ${s.answeredLater} of them.`),
          explanation:
            `These calls were sent at least ${fmtDuration(MIN_WAIT_NS / 1e9)} before the end of the capture and no reply with their XID came back. ` +
            'An RPC server answers within milliseconds. If it answered nothing after these calls, it is hung or overloaded, or the program is not served on that port; ' +
            'if it answered later calls, these calls or their replies were lost on the way (for UDP, one lost IP fragment loses the whole datagram) ' +
            'and the client gave up or re-sent them outside the capture. A capture that sees only one direction, or that stopped recording for a while, looks the same.' +
            (s.inGap ? ` ${s.inGap} more unanswered call(s) are on connections where the capture missed segments; their replies may be in the gaps and are not counted.` : ''),
          frames: evidenceFrames(s.frames),
          metrics: { calls: s.n, server_answered_later: s.answeredLater, calls_on_capture_gaps: s.inGap, service },
        });
      }
    });
    return out;
  },
};
