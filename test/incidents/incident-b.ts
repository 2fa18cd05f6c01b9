// Incident B (seed 002): an NFS/NLM client reconnects with a burst of SYNs from one source port,
// each with a different ISN; the server answers the first; the SYN-ACK acknowledges an ISN the
// client has already replaced.
//  - 'firewall' (seed trace with iptables, frames 809763-810903): the client's conntrack does
//    not match the SYN-ACK and a REJECT rule answers with ICMP destination unreachable; the
//    server re-sends the SYN-ACK for every later SYN and on its own timer (back-off), the client
//    re-sends its newest SYN (1 s, 2 s, 4 s); the handshake never completes unless the server
//    finally forgets the half-open connection and a fresh SYN gets a fresh SYN-ACK.
//  - 'rst' (seed trace without iptables, frames 48-62): the client's TCP answers the SYN-ACK with
//    RST (seq = the SYN-ACK's ack number, RFC 9293 3.10.7.3), the server answers the newer SYN with
//    RST,ACK (seq 0), and the cycle repeats within milliseconds.
// Before the burst the client asks portmap (TCP 111) for the port: GETPORT(NLM 100021 v4) -> 304,
// or NFS 100003 v3 -> 2049. Capture point at the client; IPv4 only (ICMPv4 quotes).

import { seqAdd } from '../../src/bytes/seq.js';
import type { RuleId } from '../../src/diagnose/finding.js';
import { ACK, RST, SYN } from '../synth/packets.js';
import { Rng } from '../synth/rng.js';
import { quietExcept, type ExpectedFinding, type Generated } from './expect.js';
import * as rpc from './rpc.js';
import { MS, S, TcpFlow, Trace, US, icmpUnreachable, type Host } from './trace.js';

export interface IncidentBParams {
  path: string;
  seed: number;
  mode: 'firewall' | 'rst';
  /** SYNs in a burst, 2 to 4 */
  burst: number;
  /** which service the client dials: NLM on the port portmap gives (304), or NFS on 2049 */
  program?: 'nlm' | 'nfs';
  /** ICMP code of the firewall's reject: 13 (communication administratively prohibited,
   *  RFC 1812) as INCIDENTS.md says, or 10 (host administratively prohibited: iptables
   *  --reject-with icmp-host-prohibited, which the seed trace's text shows) */
  icmpCode?: number;
  /** 'rst' mode: burst/RST cycles (the seed shows 3) */
  rstCycles?: number;
  /** the handshake finally completes (a fresh SYN answered by a fresh SYN-ACK) */
  completes?: boolean;
  /** 'firewall' mode: seconds of retries before the end (or the completion) */
  retrySeconds?: number;
  format?: 'pcap' | 'pcapng';
}

export interface IncidentBFacts {
  clientPort: number;
  serverPort: number;
  getportCall: number;
  getportReply: number;
  /** the SYN frames of the (first) burst and their ISNs */
  burstSyns: number[];
  isns: number[];
  /** the first SYN-ACK and the ISN it acknowledges (the first of the burst) */
  synAck: number;
  ackedIsn: number;
  newestIsn: number;
  /** every SYN-ACK the server sent for the superseded ISN */
  staleSynAcks: number[];
  icmp: number[];
  icmpCode: number | null;
  /** client SYN retransmissions (newest ISN) */
  synRetransmissions: number[];
  /** 'rst' mode: per cycle [SYN..., SYN-ACK, RST, RST-ACK] */
  rstCycles: number[][];
  /** the client's ACK that completes the handshake, or null */
  completedAck: number | null;
  /** seconds from the first SYN of the burst to that ACK (or to the last frame) */
  durationS: number;
}

const CLIENT: Host = { ip: '10.0.0.47', mac: '52:54:00:0a:00:2f' };
const SERVER: Host = { ip: '10.0.0.81', mac: '52:54:00:0a:00:51' };
/** the seed's NLM port as portmap reported it */
const NLM_PORT = 304;
/** Linux's initial SYN and SYN-ACK retransmission timeout (RFC 6298 2.1: 1 s) */
const INITIAL_RTO_NS = 1 * S;

export function generateIncidentB(p: IncidentBParams): Generated<IncidentBFacts> {
  if (!(p.burst >= 2 && p.burst <= 4)) throw new Error('burst must be 2 to 4 SYNs');
  const rng = new Rng(p.seed);
  const trace = new Trace();
  const program = p.program ?? 'nlm';
  const serverPort = program === 'nlm' ? NLM_PORT : rpc.NFS_PORT;
  const clientPort = 600 + rng.int(0, 400); // the RPC client binds a reserved port (seed: 705, 815, 866)
  const icmpCode = p.mode === 'firewall' ? (p.icmpCode ?? 13) : null;
  const cred = rpc.authUnix(rng.u32() & 0x7fffffff, 'client47', 0, 0);
  const facts: IncidentBFacts = {
    clientPort, serverPort, getportCall: 0, getportReply: 0, burstSyns: [], isns: [], synAck: 0, ackedIsn: 0, newestIsn: 0, staleSynAcks: [],
    icmp: [], icmpCode, synRetransmissions: [], rstCycles: [], completedAck: null, durationS: 0,
  };

  // ---- portmap: which port serves the program?
  const pm = new TcpFlow(trace, CLIENT, 1000 + rng.int(0, 23), SERVER, rpc.PORTMAP_PORT, { client: rng.u32(), server: rng.u32() }, { serverWin: 1018 });
  let t = 200 * MS;
  pm.handshake(t, 100 * US);
  t += 400 * US;
  const xid = rng.u32();
  const [prog, vers] = program === 'nlm' ? [rpc.PROG_NLM, 4] : [rpc.PROG_NFS, 3];
  [facts.getportCall] = pm.send('client', t, rpc.getportCall(xid, cred, prog, vers), `client portmap GETPORT call (program ${prog} v${vers}, TCP)`);
  pm.ack('server', t + 90 * US, 'server ACK');
  [facts.getportReply] = pm.send('server', t + 444 * US, rpc.getportReply(xid, serverPort), `server portmap GETPORT reply: port ${serverPort}`);
  pm.ack('client', t + 480 * US, 'client ACK');
  pm.seg('client', t + 600 * US, { flags: 0x11 }, 'client FIN, ACK');
  pm.seg('server', t + 700 * US, { flags: 0x11 }, 'server FIN, ACK');
  pm.ack('client', t + 730 * US, 'client ACK of FIN');

  // ---- the burst: one flow object per ISN would lose the server's state, so one flow whose
  // client ISN is rewritten before each SYN
  const flow = new TcpFlow(trace, CLIENT, clientPort, SERVER, serverPort, { client: rng.u32(), server: rng.u32() }, { clientWin: 115, clientSynWin: 14600, serverWin: 1024, serverSynWin: 65535, wscale: 7 });
  const t0 = t + 25 * MS + rng.int(0, 999) * US;
  const newIsns = (n: number) => {
    // the first ISN stands alone; later ones are close together (seed: 4241129203, +947, +772)
    const first = rng.u32();
    const out = [first];
    let x = rng.u32();
    for (let i = 1; i < n; i++) {
      out.push(x);
      x = seqAdd(x, 500 + rng.int(0, 1000));
    }
    return out;
  };
  const sendSyns = (at: number, isns: number[], comment: string) => {
    const frames: number[] = [];
    let tt = at;
    for (const isn of isns) {
      flow.client.isn = isn;
      frames.push(flow.syn(tt, `${comment} ${frames.length + 1} of ${isns.length}`));
      tt += 40 * US + rng.int(0, 50) * US;
    }
    return { frames, end: tt };
  };
  const synAckFor = (at: number, isn: number, comment: string) =>
    flow.seg('server', at, { flags: SYN | ACK, seq: flow.server.isn, ack: seqAdd(isn, 1) }, `${comment} (ack ${seqAdd(isn, 1)} = first ISN + 1)`);
  const rejectIcmp = (at: number, quotedFrame: number) =>
    trace.add(at, icmpUnreachable(CLIENT, SERVER, icmpCode as number, trace.frames[quotedFrame - 1].data, 64, rng.int(0, 0xffff)),
      `client ICMP destination unreachable code ${icmpCode} quoting the SYN-ACK (conntrack does not match it)`);

  if (p.mode === 'firewall') {
    const isns = newIsns(p.burst);
    const b = sendSyns(t0, isns, 'client SYN, reconnect burst from one source port,');
    facts.burstSyns = b.frames;
    facts.isns = isns;
    facts.ackedIsn = isns[0];
    facts.newestIsn = isns[isns.length - 1];
    // the server answered the first SYN; the answer passes the tap after the whole burst
    let at = b.end;
    facts.synAck = synAckFor(at, isns[0], 'server SYN-ACK for the first SYN');
    facts.staleSynAcks.push(facts.synAck);
    facts.icmp.push(rejectIcmp(at + 25 * US, facts.synAck));
    // in SYN-RECEIVED the server answers each later SYN by re-sending its SYN-ACK
    for (let i = 1; i < isns.length; i++) {
      at += 60 * US + rng.int(0, 40) * US;
      const f = synAckFor(at, isns[0], `server SYN-ACK re-sent for SYN ${i + 1}`);
      facts.staleSynAcks.push(f);
      facts.icmp.push(rejectIcmp(at + 9 * US, f));
    }
    // timers: the client re-sends its newest SYN (1 s, 2 s, 4 s...); the server re-sends its
    // SYN-ACK on its own back-off, re-armed whenever it answers a SYN
    const endAt = t0 + Math.round((p.retrySeconds ?? 12) * S);
    let cRto = INITIAL_RTO_NS;
    let cNext = b.end + cRto;
    let sRto = INITIAL_RTO_NS;
    let sNext = trace.time(facts.synAck) + sRto;
    for (;;) {
      const next = Math.min(cNext, sNext);
      if (next > endAt) break;
      if (cNext <= sNext) {
        flow.client.isn = facts.newestIsn;
        const f = flow.seg('client', cNext, { flags: SYN, seq: facts.newestIsn }, `client SYN retransmission (newest ISN ${facts.newestIsn})`);
        facts.synRetransmissions.push(f);
        const sa = synAckFor(cNext + 120 * US, isns[0], 'server SYN-ACK re-sent in answer');
        facts.staleSynAcks.push(sa);
        facts.icmp.push(rejectIcmp(cNext + 170 * US, sa));
        sNext = cNext + 120 * US + sRto;
        cRto *= 2;
        cNext += cRto;
      } else {
        const sa = synAckFor(sNext, isns[0], 'server SYN-ACK retransmission (timer)');
        facts.staleSynAcks.push(sa);
        facts.icmp.push(rejectIcmp(sNext + 60 * US, sa));
        sRto *= 2;
        sNext += sRto;
      }
    }
    const last = endAt + (1 + rng.int(0, 500)) * MS;
    const fresh = rng.u32();
    flow.client.isn = fresh;
    flow.syn(last, 'client SYN, new connect attempt from the same port');
    if (p.completes) {
      // the server has dropped the stale half-open connection: a fresh SYN-ACK, and it completes
      flow.server.isn = rng.u32();
      flow.synAck(last + 110 * US, 'server SYN-ACK for the new ISN (stale state gone)');
      facts.completedAck = flow.ack('client', last + 140 * US, 'client ACK (handshake complete)');
    } else {
      const sa = synAckFor(last + 80 * US, isns[0], 'server SYN-ACK, still for the superseded ISN');
      facts.staleSynAcks.push(sa);
      facts.icmp.push(rejectIcmp(last + 101 * US, sa));
    }
  } else {
    const cycles = p.rstCycles ?? 3;
    let at = t0;
    for (let c = 0; c < cycles; c++) {
      const isns = newIsns(p.burst);
      const b = sendSyns(at, isns, `client SYN (cycle ${c + 1}),`);
      flow.server.isn = rng.u32();
      const sa = synAckFor(b.end + 700 * US, isns[0], `server SYN-ACK for the first SYN of cycle ${c + 1}`);
      // RFC 9293 3.10.7.3: in SYN-SENT an unacceptable ACK is answered by <SEQ=SEG.ACK><CTL=RST>
      const rst = flow.seg('client', b.end + 730 * US, { flags: RST, seq: seqAdd(isns[0], 1), ack: 0, win: 0, options: null },
        'client RST: the SYN-ACK acknowledges an ISN this socket no longer has');
      // the server resets the newer SYN: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>
      const ra = flow.seg('server', b.end + 760 * US, { flags: RST | ACK, seq: 0, ack: seqAdd(isns[isns.length - 1], 1), win: 0, options: null },
        'server RST, ACK for the newer SYN');
      facts.rstCycles.push([...b.frames, sa, rst, ra]);
      if (c === 0) {
        facts.burstSyns = b.frames;
        facts.isns = isns;
        facts.ackedIsn = isns[0];
        facts.newestIsn = isns[isns.length - 1];
        facts.synAck = sa;
      }
      facts.staleSynAcks.push(sa);
      at = b.end + 3 * MS + rng.int(0, 1000) * US;
    }
    if (p.completes) {
      flow.client.isn = rng.u32();
      flow.server.isn = rng.u32();
      const [, , ack] = flow.handshake(at + 2 * MS, 250 * US);
      facts.completedAck = ack;
    }
  }
  if (facts.completedAck !== null) {
    // the first call on the new connection: NULL, answered
    const ct = trace.time(facts.completedAck) + 200 * US;
    const x2 = rng.u32();
    flow.send('client', ct, rpc.nullCall(x2, prog, vers, cred), `client ${program.toUpperCase()} NULL call`);
    flow.send('server', ct + 300 * US, rpc.nullReply(x2), `server ${program.toUpperCase()} NULL reply`);
    flow.ack('client', ct + 40 * MS, 'client delayed ACK');
  }
  const firstSyn = trace.time(facts.burstSyns[0]);
  facts.durationS = ((facts.completedAck !== null ? trace.time(facts.completedAck) : trace.frames[trace.count - 1].t) - firstSyn) / S;
  trace.write(p.path, p.format ?? 'pcapng');

  // ---- what a diagnosis must say
  const findings: ExpectedFinding[] = [];
  const fired: RuleId[] = ['tcp/syn-burst', 'tcp/synack-for-old-isn', 'tcp/handshake-failed'];
  const lastBurst = facts.burstSyns[facts.burstSyns.length - 1];
  findings.push({
    rule: 'tcp/syn-burst', minSeverity: 'error', frames: facts.burstSyns, knownDefect: 'linux-sunrpc-reconnect-syn-burst',
    metrics: {
      syn_count: p.burst, distinct_isns: p.burst, client_port: clientPort, server_port: serverPort,
      span_us: { approx: (trace.time(lastBurst) - firstSyn) / US, tolerance: 1 },
      rst_cycles: facts.rstCycles.length,
    },
  });
  findings.push({
    rule: 'tcp/synack-for-old-isn', minSeverity: 'error', frames: [facts.synAck, facts.burstSyns[0], lastBurst],
    metrics: { acked_isn: facts.ackedIsn, newest_isn: facts.newestIsn },
  });
  if (p.mode === 'firewall') {
    fired.push('icmp/unreachable-for-tcp');
    findings.push({
      rule: 'icmp/unreachable-for-tcp', minSeverity: 'error', frames: facts.icmp.slice(0, 4),
      metrics: { count: facts.icmp.length, icmp_type: 3, icmp_code: icmpCode as number, quoted_src_port: serverPort, quoted_dst_port: clientPort },
    });
  }
  findings.push({
    rule: 'tcp/handshake-failed', minSeverity: 'error',
    frames: [facts.burstSyns[0], facts.synAck, ...(facts.completedAck !== null ? [facts.completedAck] : []), facts.getportReply],
    metrics: {
      completed: facts.completedAck !== null ? 'yes' : 'no',
      duration_s: { approx: facts.durationS, tolerance: 0.01 },
      stale_synacks: facts.staleSynAcks.length,
    },
  });
  return {
    path: p.path, frames: trace.count,
    expect: {
      incident: 'B',
      story: `GETPORT -> ${serverPort}, then ${p.burst} SYNs from port ${clientPort} within ${((trace.time(lastBurst) - firstSyn) / US).toFixed(0)} us; ` +
        (p.mode === 'firewall' ? `${facts.icmp.length} ICMP 3/${icmpCode}` : `${facts.rstCycles.length} RST cycles`) +
        (facts.completedAck !== null ? `; completes after ${facts.durationS.toFixed(3)} s` : '; never completes'),
      findings, quiet: quietExcept(fired), facts,
    },
  };
}
