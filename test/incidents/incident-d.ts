// Incident D (seed 004): a SYN answered by a bare ACK, one-second connect spikes.
//
// The seed's reproducer: a client loop connects to port 4242, sends 4 bytes, the server reads and
// closes (FIN), the client ACKs and closes with SO_LINGER 0 (RST,ACK). Eight frames per
// connection, mirrored here. Sometimes the server processes that RST before the ACK, ignores it
// and stays in FIN_WAIT_2. When the client later reuses the source port, the server answers the
// new SYN with an ACK for the old connection (seq = its old SND.NXT, ack = the old client
// sequence: a challenge ACK, RFC 5961 4); the client sends RST (seq = that ack number); the stale
// socket dies; the client re-sends the SYN (same ISN) after its initial RTO, 1 s (or ~10 ms with
// 9603d47bad46), and the connection succeeds. On the wire the previous connection on the 4-tuple
// looks like every other one: the race is invisible, only its consequence shows.
// Capture point on the loopback-like path: both directions stamped when sent.

import type { RuleId } from '../../src/diagnose/finding.js';
import { ACK, FIN, PSH, RST } from '../synth/packets.js';
import { Rng } from '../synth/rng.js';
import { quietExcept, type ExpectedFinding, type Generated } from './expect.js';
import { MS, TcpFlow, Trace, US, type Host } from './trace.js';

export interface IncidentDParams {
  path: string;
  seed: number;
  /** connections made (default 300) */
  connections?: number;
  /** how many of them hit a stale server socket (0: healthy control) */
  outliers?: number;
  /** client kernel with 9603d47bad46: re-sends the SYN ~10 ms after the challenge ACK */
  fixedClient?: boolean;
  /** client source ports cycled (a small range makes reuse frequent); default 64 */
  ports?: number;
  format?: 'pcap' | 'pcapng';
}

export interface DOutlier {
  syn: number;
  challengeAck: number;
  rst: number;
  synResend: number;
  synAck: number;
  /** ms from the challenge ACK to the re-sent SYN */
  waitMs: number;
  latencyUs: number;
  /** the previous connection on the same 4-tuple: its SYN and its last frame (client RST,ACK) */
  prevSyn: number;
  prevLast: number;
  /** the old sequence numbers the challenge ACK carries */
  challengeSeq: number;
  challengeAckNo: number;
  clientPort: number;
}

export interface IncidentDFacts {
  serverPort: number;
  connections: number;
  /** set-up latency per connection in µs: first SYN to the SYN-ACK that acknowledges it */
  latenciesUs: number[];
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  outliers: DOutlier[];
}

const CLIENT: Host = { ip: '10.1.0.10', mac: '02:00:0a:01:00:0a' };
const SERVER: Host = { ip: '10.1.0.20', mac: '02:00:0a:01:00:14' };
const SERVER_PORT = 4242;
/** RFC 6298 2.1 / Linux TCP_TIMEOUT_INIT: the SYN is re-sent after 1 s */
const UNFIXED_WAIT_NS = 1000 * MS;
/** 9603d47bad46: re-send the SYN about 10 ms after a suspicious ACK */
const FIXED_WAIT_NS = 10 * MS;
/** the 4-byte message of the reproducer */
const MESSAGE = Uint8Array.of(0, 0, 0, 0);

/** Nearest-rank percentile (the smallest value with at least p of the values at or below it). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function generateIncidentD(p: IncidentDParams): Generated<IncidentDFacts> {
  const rng = new Rng(p.seed);
  const n = p.connections ?? 300;
  const ports = p.ports ?? 64;
  const nOut = p.outliers ?? 3;
  if (n < 2 * ports) throw new Error('need at least two rounds of source ports (connections >= 2 x ports) so that ports are reused');
  if (nOut > n - ports) throw new Error('too many outliers');
  // outliers: connections in the second round or later (their port has a previous connection)
  const outIdx = new Set<number>();
  while (outIdx.size < nOut) outIdx.add(rng.int(ports, n - 1));
  const trace = new Trace();
  const facts: IncidentDFacts = { serverPort: SERVER_PORT, connections: n, latenciesUs: [], p50Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, outliers: [] };
  const prevOnPort = new Map<number, { flow: TcpFlow; syn: number; last: number }>();
  const basePort = 45000 + rng.int(0, 1000);
  let t = 100 * MS;

  for (let i = 0; i < n; i++) {
    const port = basePort + (i % ports);
    const flow = new TcpFlow(trace, CLIENT, port, SERVER, SERVER_PORT, { client: rng.u32(), server: rng.u32() },
      { mss: 1460, clientWin: 512, serverWin: 512, wscale: 7 });
    const lat = 150 * US + rng.int(0, 750) * US; // a few hundred µs to about a millisecond
    let syn: number;
    let synAt: number;
    let answerAt: number;
    if (outIdx.has(i)) {
      const prev = prevOnPort.get(port);
      if (!prev) throw new Error('internal: outlier without a previous connection');
      synAt = t;
      syn = flow.syn(t, 'client SYN, source port reused');
      // the stale FIN_WAIT_2 socket answers with an ACK in its own sequence space
      const old = prev.flow;
      const challengeSeq = old.server.nxt;
      const challengeAckNo = old.client.nxt;
      const chAt = t + 7 * US;
      const challengeAck = old.seg('server', chAt, { flags: ACK, seq: challengeSeq, ack: challengeAckNo },
        'server bare ACK for the previous connection (stale FIN_WAIT_2): a challenge ACK, not a SYN-ACK');
      const rstAt = chAt + 5 * US;
      const rst = flow.seg('client', rstAt, { flags: RST, seq: challengeAckNo, ack: 0, win: 0, options: null }, 'client RST at the challenge ACK\'s ack number');
      const wait = (p.fixedClient ? FIXED_WAIT_NS : UNFIXED_WAIT_NS) + rng.int(0, 40) * MS * (p.fixedClient ? 0 : 1) + rng.int(0, 999) * US;
      const resendAt = chAt + wait;
      flow.client.nxt = flow.client.isn;
      const synResend = flow.seg('client', resendAt, { flags: 0x02, seq: flow.client.isn }, 'client SYN re-sent (same ISN) after the challenge ACK');
      answerAt = resendAt + lat;
      const synAck = flow.synAck(answerAt, 'server SYN-ACK (the stale socket is gone)');
      facts.outliers.push({
        syn, challengeAck, rst, synResend, synAck, waitMs: (resendAt - chAt) / MS, latencyUs: (answerAt - synAt) / US,
        prevSyn: prev.syn, prevLast: prev.last, challengeSeq, challengeAckNo, clientPort: port,
      });
    } else {
      synAt = t;
      syn = flow.syn(t);
      answerAt = t + lat;
      flow.synAck(answerAt);
    }
    facts.latenciesUs.push((answerAt - synAt) / US);
    // the rest of the reproducer's exchange
    let u = answerAt;
    flow.ack('client', (u += 7 * US), 'client ACK (handshake complete)');
    flow.seg('client', (u += 100 * US), { flags: PSH | ACK, payload: MESSAGE }, 'client sends 4 bytes');
    flow.ack('server', (u += 4 * US), 'server ACK');
    flow.seg('server', (u += 13 * US), { flags: FIN | ACK }, 'server FIN, ACK (read 4 bytes, close)');
    flow.ack('client', (u += 99 * US), 'client ACK of FIN');
    const last = flow.seg('client', (u += 8 * US), { flags: RST | ACK }, 'client RST, ACK (close with SO_LINGER 0)');
    prevOnPort.set(port, { flow, syn, last });
    t = u + 50 * US + rng.int(0, 300) * US;
  }
  trace.write(p.path, p.format ?? 'pcapng');

  const sorted = [...facts.latenciesUs].sort((a, b) => a - b);
  facts.p50Us = percentile(sorted, 0.5);
  facts.p99Us = percentile(sorted, 0.99);
  facts.p999Us = percentile(sorted, 0.999);
  facts.maxUs = sorted[sorted.length - 1];

  const findings: ExpectedFinding[] = [];
  const fired: RuleId[] = [];
  if (facts.outliers.length) {
    fired.push('tcp/connect-latency-outliers', 'tcp/challenge-ack-on-syn');
    const us = (x: number) => ({ approx: x, tolerance: 1 });
    findings.push({
      rule: 'tcp/connect-latency-outliers', minSeverity: 'warning', frames: facts.outliers.map((o) => o.syn).slice(0, 8),
      metrics: {
        server_port: SERVER_PORT, connections: n, outliers: facts.outliers.length,
        p50_us: us(facts.p50Us), p99_us: us(facts.p99Us), p999_us: us(facts.p999Us), max_us: us(facts.maxUs),
      },
    });
    for (const o of facts.outliers) {
      findings.push({
        rule: 'tcp/challenge-ack-on-syn', minSeverity: 'warning', frames: [o.syn, o.challengeAck, o.rst, o.synResend, o.synAck, o.prevLast],
        knownDefect: 'linux-tcp-finack-race',
        metrics: {
          wait_ms: { approx: o.waitMs, tolerance: 0.01 }, challenge_ack: o.challengeAckNo, client_port: o.clientPort,
          prev_end: 'rst', client_kernel: p.fixedClient ? 'fixed' : 'unfixed',
        },
      });
    }
  }
  return {
    path: p.path, frames: trace.count,
    expect: {
      incident: facts.outliers.length ? 'D' : 'control',
      story: `${n} short connections to port ${SERVER_PORT}, p50 ${facts.p50Us.toFixed(0)} us; ${facts.outliers.length} SYNs answered by a challenge ACK` +
        (facts.outliers.length ? `, SYN re-sent after ${p.fixedClient ? '~10 ms' : '~1 s'}` : ''),
      findings, quiet: quietExcept(fired), facts,
    },
  };
}

