// icmp/unreachable-for-tcp: ICMP destination-unreachable errors (ICMPv4 type 3, ICMPv6 type 1)
// whose quoted header belongs to a tracked TCP connection, grouped per connection tuple and
// code, attributed to the direction of the quoted packet. Codes 9, 10 and 13 (ICMPv6 code 1) are
// administrative prohibitions: a firewall rejected the packet (RFC 792, RFC 1812 5.2.7.1,
// RFC 4443 3.1). INCIDENTS.md B: the client's own firewall rejects the server's SYN-ACK.
//
// Severity: error for a firewall rejection or when the connection never got established
// (the error ended it); warning otherwise (e.g. port unreachable after a connection closed).

import type { AnalysedTrace, ConnectionFacts, IcmpErrorFact } from '../../analysis/trace.js';
import { connectionOf, tupleGroups, type TupleGroup } from '../../analysis/views.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connRef } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

/** ICMPv4 unreachable codes that mean "administratively prohibited" (a firewall's REJECT). */
export const ADMIN_PROHIBITED_V4 = [9, 10, 13];
/** ICMPv6 destination unreachable code 1: communication administratively prohibited. */
export const ADMIN_PROHIBITED_V6 = [1];

const CODE_NAMES_V4: Record<number, string> = {
  0: 'network unreachable', 1: 'host unreachable', 2: 'protocol unreachable', 3: 'port unreachable', 4: 'fragmentation needed',
  9: 'network administratively prohibited', 10: 'host administratively prohibited', 13: 'communication administratively prohibited',
};

export const icmpUnreachableForTcp: Rule<AnalysedTrace> = {
  id: 'icmp/unreachable-for-tcp',
  run(trace) {
    const out: Finding[] = [];
    const groups = new Map<string, IcmpErrorFact[]>();
    for (const e of trace.icmpErrors) {
      if (e.stream === null || e.quoted === null || e.quoted.proto !== 6) continue;
      if (!(e.v6 ? e.type === 1 : e.type === 3)) continue;
      if (!e.v6 && e.code === 4) continue; // fragmentation needed: path MTU discovery, not a rejection
      const q = e.quoted;
      const lo = `${q.src}|${q.srcPort}` < `${q.dst}|${q.dstPort}` ? `${q.src}|${q.srcPort}|${q.dst}|${q.dstPort}` : `${q.dst}|${q.dstPort}|${q.src}|${q.srcPort}`;
      const k = `${e.capture}|${lo}|${e.v6}|${e.code}`;
      let l = groups.get(k);
      if (!l) groups.set(k, (l = []));
      l.push(e);
    }
    const tupleOf = new Map<ConnectionFacts, TupleGroup>();
    if (groups.size > 0) for (const g of tupleGroups(trace)) for (const c of g.conns) tupleOf.set(c, g);
    for (const l of groups.values()) {
      const e = l[0];
      const q = e.quoted!;
      const c = connectionOf(trace, e.capture, e.stream!);
      const admin = (e.v6 ? ADMIN_PROHIBITED_V6 : ADMIN_PROHIBITED_V4).includes(e.code);
      const tuple = c ? tupleOf.get(c) : undefined;
      const established = tuple ? tuple.conns.some((x) => x.connect !== null && /A/.test(x.history) && /D|d/.test(x.history)) : true;
      const name = e.v6 ? `ICMPv6 type 1 code ${e.code}` : `ICMP type 3 code ${e.code} (${CODE_NAMES_V4[e.code] ?? 'unreachable'})`;
      const dirText = e.quotedDir === 1 ? 'the server\'s' : e.quotedDir === 0 ? 'the client\'s' : 'a';
      out.push({
        id: 'icmp/unreachable-for-tcp',
        severity: admin || !established ? 'error' : 'warning',
        summary: `${l.length} ${name} from ${e.from} quoting ${formatEndpoint(q.src, q.srcPort)} -> ${formatEndpoint(q.dst, q.dstPort)} (${dirText} packets on TCP stream ${e.stream}).`,
        explanation:
          `${e.from} answered ${l.length} of ${dirText} packets on this connection with ${name}` +
          (admin ? ': a firewall on or near that host rejected them. ' : '. ') +
          (e.quotedDir === 1 && admin && c ? `The rejected packets come from the server (${c.respAddr}); the rejection comes from the client side's own host (${e.from}), so the client's firewall is discarding the server's answers. ` : '') +
          (!established ? 'The connection never got established.' : ''),
        connection: c ? connRef(c) : undefined,
        frames: evidenceFrames(l.map((x) => x.frame)),
        metrics: {
          count: l.length, icmp_type: e.type, icmp_code: e.code, quoted_src_port: q.srcPort, quoted_dst_port: q.dstPort,
          from: e.from, quoted_dir: e.quotedDir === 1 ? 'server' : e.quotedDir === 0 ? 'client' : 'unknown',
        },
      });
    }
    return out;
  },
};
