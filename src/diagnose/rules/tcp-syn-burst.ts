// tcp/syn-burst (error): several SYNs from one source port with different ISNs within
// SYN_BURST_WINDOW_NS (syn-attempts.ts). A TCP stack retransmits a SYN with the same ISN after
// its RTO; different ISNs from one port within a millisecond are parallel connect() calls on one
// bound port, which is what the Linux SUNRPC reconnect regression does (INCIDENTS.md B, seed 002).
// Only one of them can be answered; the answer acknowledges an ISN the client has replaced.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { evidenceFrames, knownDefect, type Finding, type Rule } from '../finding.js';
import { synAttempts } from './syn-attempts.js';
import { fmtDuration } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

/** The SUNRPC regression is recognised on the ports RPC services use: portmap-assigned
 *  (reserved client ports below 1024 are what the RPC client binds) or the NFS port. */
export const NFS_PORT = 2049;
export const RESERVED_PORT_LIMIT = 1024;

export const tcpSynBurst: Rule<AnalysedTrace> = {
  id: 'tcp/syn-burst',
  run(trace) {
    const out: Finding[] = [];
    for (const a of synAttempts(trace)) {
      if (a.bursts.length === 0) continue;
      const b = a.bursts[0];
      const g = a.g;
      const spanUs = Number(b.syns[b.syns.length - 1].ns - b.syns[0].ns) / 1e3;
      const rpcLike = g.clientPort < RESERVED_PORT_LIMIT || g.serverPort === NFS_PORT;
      const f: Finding = {
        id: 'tcp/syn-burst',
        severity: 'error',
        summary: `${b.syns.length} SYNs with ${b.isns.length} different ISNs from ${formatEndpoint(g.client, g.clientPort)} to ${formatEndpoint(g.server, g.serverPort)} within ${fmtDuration(spanUs / 1e6)}` +
          (a.bursts.length > 1 ? `, ${a.bursts.length} such bursts` : '') + '.',
        explanation:
          `The client sent ${b.syns.length} SYNs from one source port with different initial sequence numbers (${b.isns.join(', ')}) ` +
          `within ${spanUs.toFixed(0)} µs (frames ${b.syns.map((s) => s.frame).join(', ')}). A SYN retransmission keeps its ISN and waits about 1 s; ` +
          'new ISNs this close together are parallel connection attempts on one port. The server can answer only one of them, and its answer ' +
          'acknowledges an ISN the client has already replaced, so the client rejects it' +
          (a.clientRsts.length ? ` (the client reset ${a.clientRsts.length} time(s))` : a.icmp.length ? ` (with ${a.icmp.length} ICMP errors)` : '') + '.',
        frames: evidenceFrames(b.syns.map((s) => s.frame)),
        metrics: {
          syn_count: b.syns.length, distinct_isns: b.isns.length, client_port: g.clientPort, server_port: g.serverPort,
          span_us: Math.round(spanUs * 1000) / 1000, bursts: a.bursts.length, rst_cycles: a.clientRsts.length, isns: b.isns.join(','),
        },
      };
      if (rpcLike) {
        f.knownDefect = knownDefect('linux-sunrpc-reconnect-syn-burst');
        f.advice = [...f.knownDefect.advice];
      }
      out.push(f);
    }
    return out;
  },
};
