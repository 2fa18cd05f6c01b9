// tcp/middlebox-reset: a RST that claims to come from one end of a connection but arrived with
// another TTL (IPv6: hop limit) than that end's own packets. Every router on the way lowers the
// TTL by one, and a host sends all its packets with the same initial TTL, so the packets of one end
// reach the capture point with one TTL; a RST with another was sent by a device on the path in
// that end's name: a firewall ending a session it timed out or refuses, an intrusion-prevention
// system, a censor, a load balancer. The other end believes the peer reset it ("connection reset
// by peer") while the peer may not know: the classic unexplained drop of an idle mount or session.
//
// Judged per connection from the first RST of each direction against that direction's first
// segment that was not a RST. A difference of MIN_TTL_DIFF hops at least: one hop can be a route
// change between two paths of different length (ECMP), which a RST sent by the end itself would
// show too. The corpus has one such RST (tcp/port-reuse-rst-inject.pcap: TTL 46 against the
// server's 49, and an IP ID copied from the client's SYN, the mark of an injector) and nothing else
// over its 3,046 connections (the kept connections of every corpus capture).

import type { AnalysedTrace, ConnectionFacts, OddResetTtl } from '../../analysis/trace.js';
import { TCP_RST, TCP_SYN } from '../../wire/packet.js';
import { evidenceFrames, type Finding, type Rule } from '../finding.js';
import { connRef, fmtDuration } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

/** Hops between the RST's TTL and the claimed sender's: 1 can be a route change (see above). */
export const MIN_TTL_DIFF = 2;
/** A RST after this long a silence on the connection is the usual work of a firewall's idle
 *  timeout (stateful firewalls and NAT devices time TCP sessions out after 5 minutes to an hour,
 *  some after 60 s). */
export const IDLE_BEFORE_NS = 60e9;
/** Findings per capture (one per connection; the rest are counted in the last one's metrics). */
export const MAX_FINDINGS = 16;

export const tcpMiddleboxReset: Rule<AnalysedTrace> = {
  id: 'tcp/middlebox-reset',
  run(trace) {
    const out: Finding[] = [];
    if (!anyOddReset(trace)) return out;
    let more = 0;
    for (const c of trace.connections) {
      const o = middleboxReset(c);
      if (o === null) continue;
      if (out.length === MAX_FINDINGS) {
        more++;
        continue;
      }
      out.push(finding(c, o));
    }
    if (more > 0) out[out.length - 1].metrics.more_connections = more;
    return out;
  },
};

/** Whether any connection has a RST with an odd TTL (from the fact table's count when there is one). */
export function anyOddReset(trace: AnalysedTrace): boolean {
  const table = trace.connectionFacts;
  if (table !== undefined && table.length === trace.connections.length) return table.oddResets > 0;
  return trace.connections.some((c) => c.oddResetTtl !== null);
}

/** The connection's RST sent in an end's name by another device, or null. */
export function middleboxReset(c: ConnectionFacts): OddResetTtl | null {
  const o = c.oddResetTtl;
  return o !== null && Math.abs(o.ttl - o.senderTtl) >= MIN_TTL_DIFF ? o : null;
}

function finding(c: ConnectionFacts, o: OddResetTtl): Finding {
  const claimed = o.dir === 0 ? formatEndpoint(c.origAddr, c.origPort) : formatEndpoint(c.respAddr, c.respPort);
  const victim = o.dir === 0 ? formatEndpoint(c.respAddr, c.respPort) : formatEndpoint(c.origAddr, c.origPort);
  const who = o.dir === 0 ? 'the client' : 'the server';
  const segs = c.keySegments;
  const i = segs.findIndex((s) => s.frame === o.frame);
  const rst = i >= 0 ? segs[i] : null;
  const before = i > 0 ? segs[i - 1] : null;
  // the claimed sender's own next segment after the RST: the connection went on without noticing
  const after = segs.find((s) => s.frame > o.frame && s.dir === o.dir && (s.flags & TCP_RST) === 0) ?? null;
  // an IP ID copied from the other end's packet (injectors that build the RST from the packet they answer)
  const copied = rst !== null && rst.ipId > 0 ? segs.find((s) => s.dir !== o.dir && s.frame < o.frame && s.ipId === rst.ipId) ?? null : null;
  const idleNs = rst !== null && before !== null ? Number(rst.ns - before.ns) : 0;
  const hops = Math.abs(o.ttl - o.senderTtl);
  const answersSyn = before !== null && before.dir !== o.dir && (before.flags & TCP_SYN) !== 0;
  const outcome = after !== null
    ? `The connection went on: ${who}'s own next segment (frame ${after.frame}${(after.flags & TCP_SYN) !== 0 ? ', its SYN-ACK' : ''}) shows it never sent that reset.`
    : `The connection ended there: ${victim} took the reset for ${who}'s.`;
  return {
    id: 'tcp/middlebox-reset',
    severity: after !== null ? 'warning' : 'error',
    summary: `A RST in the name of ${who} ${claimed} (frame ${o.frame}) came from another device on the path: TTL ${o.ttl}, where ${who}'s own packets arrive with ${o.senderTtl}` +
      `${copied !== null ? `, and its IP ID ${hex(rst!.ipId)} copies that of frame ${copied.frame}` : ''}. ${outcome}`,
    explanation:
      `Each router lowers a packet's TTL by one and a host sends all its packets with the same initial TTL, so ${who}'s packets reach the capture point with TTL ${o.senderTtl}. ` +
      `The RST of frame ${o.frame} arrived with ${o.ttl}: it was sent by something ${hops} hops ${o.ttl > o.senderTtl ? 'nearer the capture point' : 'farther away'} (or with another initial TTL), a device that resets connections in the ends' names: ` +
      `a stateful firewall or NAT ending a session it timed out or refuses, an intrusion-prevention system, a censor, a load balancer. ` +
      (answersSyn ? `It answered ${victim}'s SYN${before ? ` (frame ${before.frame})` : ''} before ${who} could. ` : '') +
      (idleNs >= IDLE_BEFORE_NS ? `It came after ${fmtDuration(idleNs / 1e9)} of silence on the connection: the usual mark of a firewall's idle timeout. ` : '') +
      (copied !== null ? `Its IP ID (${hex(rst!.ipId)}) repeats that of frame ${copied.frame} from ${victim}: a device that builds its reset from the packet it answers. ` : '') +
      `tcp/resets counts it as a reset by a middlebox in ${who}'s name.`,
    connection: connRef(c),
    // the reset first (the telling frame), then what came before it and the sender's own next segment
    frames: evidenceFrames([o.frame, ...[...(before !== null ? [before.frame] : []), ...(copied !== null && copied.frame !== before?.frame ? [copied.frame] : []), ...(after !== null ? [after.frame] : [])].sort((a, b) => a - b)]),
    metrics: {
      rst_frame: o.frame, rst_ttl: o.ttl, sender_ttl: o.senderTtl, ttl_hops: hops, claimed_sender: o.dir === 0 ? 'client' : 'server',
      connection_survived: after !== null ? 'yes' : 'no', idle_before_s: Math.round(idleNs / 1e6) / 1e3, ip_id_copied_from: copied?.frame ?? 0,
    },
    advice: [
      `Find the device about ${hops} hops ${o.ttl > o.senderTtl ? 'nearer to the capture point than' : 'farther from the capture point than, or beyond,'} ${claimed} (traceroute towards it; firewall, NAT, IPS or proxy logs for this 4-tuple at that time).`,
      idleNs >= IDLE_BEFORE_NS
        ? `If it is a firewall's idle timeout: send TCP keep-alives (or the protocol's own heartbeats) more often than the firewall's timeout, or raise the timeout for this service.`
        : 'If a security device resets it on purpose, its policy names the reason; if it should not, allow the connection there.',
      `${victim}'s "connection reset by peer" is then not ${who}'s doing: ${who}'s logs will not show it.`,
    ],
  };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}
