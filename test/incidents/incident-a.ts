// Incident A (seed 000): SMB2 echoes suppressed after traffic, then a client idle-timeout teardown.
//
// The client is modelled on Linux cifs.ko as the write-up quotes it:
//  - cifs_echo_request() runs, then re-queues itself echo_interval later, so runs drift by the
//    time the work took (the seed shows ~61.5 s for 60 s: `driftS` = 1.5);
//  - a run sends an ECHO unless a response was received less than (echo_interval - 1 s) ago;
//  - server_unresponsive() tears the connection down when, on receiving, more than
//    k x echo_interval passed since the last response (k = 2 unfixed, 3 with f2caf901c1b7).
// A data response that arrives (drift + 1 s) or more after an echo suppresses the next run's echo;
// the run after that comes about 2 x interval + 2 x drift after the echo, i.e. later than 2 x
// interval after that data response, so the response to this last echo triggers the teardown.
// With k = 3 the same sequence rides through (a control); a k = 3 teardown needs a server that
// really stops answering (`serverStalls`), which is what a fixed client shows in a capture.
//
// The capture point is at the client (as in the seed): client frames at send time, server frames
// when they arrive. Stream 0 is the broken connection, stream 1 the reconnect.

import { Rng } from '../synth/rng.js';
import { ACK, FIN, RST } from '../synth/packets.js';
import { type Generated, type ExpectedFinding, quietExcept } from './expect.js';
import { MS, S, TcpFlow, Trace, US, type Host, type Side } from './trace.js';
import * as smb from './smb2.js';
import type { RuleId } from '../../src/diagnose/finding.js';

export type KeepAliveStyle = 'linux' | 'windows';

export interface IncidentAParams {
  path: string;
  seed: number;
  /** echo_interval in seconds (Linux default 60); a multiple of 5 so the nominal period is clear */
  intervalS: number;
  /** the client's timeout multiple: 2 (unfixed kernel) or 3 (fixed) */
  multiple: 2 | 3;
  /** the server stops answering SMB2 after the data exchange (TCP still acknowledges) */
  serverStalls?: boolean;
  ipv6?: boolean;
  teardown?: 'fin' | 'rst';
  /** TCP keep-alives: a side sends one after this many seconds without any frame on the connection */
  keepAlive?: Partial<Record<Side, { style: KeepAliveStyle; idleS: number }>>;
  /** echoes before the data exchange (at least 3, so the regular period is measurable) */
  echoesBeforeData?: number;
  /** scheduling gap added to every period; must exceed 1 s (the HZ margin) for the race to bite */
  driftS?: number;
  rttMs?: number;
  format?: 'pcap' | 'pcapng';
}

export interface IncidentAFacts {
  intervalS: number;
  multiple: 2 | 3;
  echoRequests: number[];
  echoResponses: number[];
  /** echo requests that got no response (serverStalls) */
  unansweredEchoes: number[];
  /** the READ response that came shortly after an echo and suppressed the next one */
  dataResponse: number;
  /** when the suppressed echo was due, in seconds after the first frame (frame.time_relative) */
  suppressedAtS: number;
  /** the client's last echo request before the teardown, and its response (null if none) */
  finalEcho: number | null;
  finalEchoResponse: number | null;
  /** the client's FIN or RST; null when the connection survives (control) */
  teardown: number | null;
  /** seconds from the last SMB2 message the server sent before the final echo to the teardown */
  silenceS: number | null;
  reconnectSyn: number | null;
  reconnectNegotiate: number | null;
  keepAlives: { frame: number; side: Side; style: KeepAliveStyle; ack: number }[];
  /** mean interval between consecutive echo requests before the data exchange */
  meanIntervalS: number;
}

const CLIENT_V4: Host = { ip: '10.20.1.15', mac: '00:50:56:a1:0f:15' };
const SERVER_V4: Host = { ip: '10.20.1.4', mac: '00:15:5d:0a:01:04' };
const CLIENT_V6: Host = { ip: '2001:db8:20:1::15', mac: '00:50:56:a1:0f:15' };
const SERVER_V6: Host = { ip: '2001:db8:20:1::4', mac: '00:15:5d:0a:01:04' };
/** Linux's minimum delayed-ACK timeout is 40 ms; the seed's ACK came after 47.7 ms */
const DELAYED_ACK_MIN_NS = 40 * MS;
/** Linux's HZ margin in cifs_echo_request(): echoes are skipped if a response came within interval - 1 s */
const HZ_MARGIN_S = 1;
/** the seed's data response carried 128 bytes of TCP payload: a READ response with 44 data bytes */
const SEED_READ_DATA = 44;

export function generateIncidentA(p: IncidentAParams): Generated<IncidentAFacts> {
  const rng = new Rng(p.seed);
  const I = p.intervalS;
  const drift = p.driftS ?? 1.5;
  const rtt = Math.round((p.rttMs ?? 0.4) * MS);
  const m = p.echoesBeforeData ?? 4;
  if (I % 5 !== 0 || I < 10) throw new Error('intervalS must be a multiple of 5, at least 10');
  if (drift <= HZ_MARGIN_S + 0.1 || drift >= 3) throw new Error('driftS must lie in (1.1, 3) s');
  if (m < 3) throw new Error('echoesBeforeData must be at least 3');
  const v6 = p.ipv6 ?? false;
  const trace = new Trace();
  const client = v6 ? CLIENT_V6 : CLIENT_V4;
  const server = v6 ? SERVER_V6 : SERVER_V4;
  const cport = 40000 + rng.int(0, 20000);
  const flow = new TcpFlow(trace, client, cport, server, 445, { client: rng.u32(), server: rng.u32() }, { serverWin: 8212, wscale: 8 });
  const sessionId = 0x0000_4400_0000_0000n + BigInt(rng.int(1, 0xffff));
  const treeId = rng.int(1, 16);
  const fileId = Uint8Array.from({ length: 16 }, () => rng.int(0, 255));
  let msgId = 0;
  const lastByte: Record<Side, number> = { client: 0, server: 0 };
  const facts: IncidentAFacts = {
    intervalS: I, multiple: p.multiple, echoRequests: [], echoResponses: [], unansweredEchoes: [], dataResponse: 0, suppressedAtS: 0,
    finalEcho: null, finalEchoResponse: null, teardown: null, silenceS: null, reconnectSyn: null, reconnectNegotiate: null, keepAlives: [],
    meanIntervalS: 0,
  };
  const lastT = () => trace.frames[trace.count - 1].t;
  const delayedAck = () => DELAYED_ACK_MIN_NS + rng.int(0, 9) * MS + rng.int(0, 999) * US;

  /** TCP keep-alives due before time t (each side counts idleness from the last frame). */
  const keepAlivesUntil = (t: number) => {
    for (;;) {
      let due: { side: Side; at: number; style: KeepAliveStyle } | null = null;
      for (const side of ['client', 'server'] as Side[]) {
        const k = p.keepAlive?.[side];
        if (!k) continue;
        const at = lastT() + Math.round(k.idleS * S);
        if (at < t && (!due || at < due.at)) due = { side, at, style: k.style };
      }
      if (!due) return;
      const e = flow.end(due.side);
      const seq = (e.nxt - 1) >>> 0;
      // Linux: no payload at SND.NXT - 1; Windows: the last byte sent again (already acknowledged)
      const payload = due.style === 'windows' ? Uint8Array.of(lastByte[due.side]) : undefined;
      const f = flow.seg(due.side, due.at, { flags: ACK, seq, payload }, `${due.side} TCP keep-alive (${due.style} style${payload ? ': 1 byte already acknowledged' : ': no payload'}, seq = next - 1)`);
      const peer: Side = due.side === 'client' ? 'server' : 'client';
      const ackAt = due.at + (due.side === 'server' ? 30 * US : rtt);
      const a = flow.ack(peer, ackAt, `${peer} ACK of keep-alive`);
      facts.keepAlives.push({ frame: f, side: due.side, style: due.style, ack: a });
    }
  };
  const send = (side: Side, t: number, msg: Uint8Array, comment: string): number[] => {
    keepAlivesUntil(t);
    lastByte[side] = msg[msg.length - 1];
    return flow.send(side, t, msg, comment);
  };

  // ---- connection and NEGOTIATE
  const t0 = 500 * MS;
  flow.handshake(t0, rtt);
  let t = t0 + rtt + 2 * MS;
  send('client', t, smb.negotiateRequest(msgId, fileId), `client SMB2 NEGOTIATE request (MessageId ${msgId})`);
  send('server', t + rtt + 300 * US, smb.negotiateResponse(msgId++, fileId.slice().reverse()), 'server SMB2 NEGOTIATE response, dialect 3.0.2');
  flow.ack('client', t + rtt + 300 * US + delayedAck(), 'client delayed ACK');

  // ---- the echo worker: daisy-chained runs
  let lstrp = t + rtt; // last response received (cifs: server->lstrp)
  let w = t + 2 * S + rng.int(0, 999) * MS; // first run
  const drifts: number[] = [];
  const nextDrift = () => {
    const d = drift + (rng.next() - 0.5) * 0.2;
    drifts.push(d);
    return Math.round(d * S);
  };
  const stalled = () => (p.serverStalls ?? false) && facts.dataResponse > 0;
  let teardownAt = -1;

  const echoExchange = (at: number) => {
    const id = msgId++;
    const [req] = send('client', at, smb.echo(id, false, sessionId), `client SMB2 ECHO request (MessageId ${id})`);
    facts.echoRequests.push(req);
    if (stalled()) {
      flow.ack('server', at + rtt, 'server ACK (no SMB2 response: the server application is stalled)');
      facts.unansweredEchoes.push(req);
      return { req, resp: null as number | null, respAt: -1 };
    }
    const respAt = at + rtt + 150 * US;
    const [resp] = send('server', respAt, smb.echo(id, true, sessionId), `server SMB2 ECHO response (MessageId ${id})`);
    facts.echoResponses.push(resp);
    return { req, resp, respAt };
  };

  // regular echoes, then the data exchange shortly after the m-th echo
  for (let i = 0; i < m; i++) {
    const { respAt } = echoExchange(w);
    lstrp = respAt;
    if (i < m - 1) flow.ack('client', respAt + delayedAck(), 'client delayed ACK');
    w += Math.round(I * S) + nextDrift();
  }
  facts.meanIntervalS = (trace.time(facts.echoRequests[m - 1]) - trace.time(facts.echoRequests[0])) / (m - 1) / S;
  // w is now the next run; the data response must arrive later than (w - interval + 1 s) to
  // suppress it, and (for k = 2) early enough that the run after next exceeds 2 x interval
  const wPrev = trace.time(facts.echoRequests[m - 1]);
  const dNext = drift + (rng.next() - 0.5) * 0.2; // drift of the run after the suppressed one
  const earliest = w - Math.round((I - HZ_MARGIN_S) * S);
  const slack = Math.round((dNext - HZ_MARGIN_S) * S); // room before the teardown would not happen
  const respAt = earliest + Math.round(slack * (0.15 + 0.5 * rng.next()));
  const id = msgId++;
  const reqAt = respAt - rtt - 2 * MS;
  if (reqAt <= wPrev + 5 * MS) throw new Error('data exchange would overlap the echo');
  flow.ack('client', Math.min(reqAt - 1 * MS, lstrp + delayedAck()), 'client delayed ACK');
  send('client', reqAt, smb.readRequest(id, sessionId, treeId, fileId, 0, 4096), `client SMB2 READ request (MessageId ${id})`);
  const data = Uint8Array.from({ length: SEED_READ_DATA }, (_, i) => 0x20 + ((i * 7 + p.seed) % 90));
  [facts.dataResponse] = send('server', respAt, smb.readResponse(id, sessionId, treeId, data), `server SMB2 READ response, ${SEED_READ_DATA} bytes (MessageId ${id}): arrives shortly after an echo`);
  flow.ack('client', respAt + delayedAck(), 'client delayed ACK (reception of the READ response confirmed)');
  lstrp = respAt;

  // the suppressed run
  facts.suppressedAtS = (w - trace.frames[0].t) / S; // as tshark's frame.time_relative
  if (w >= lstrp + Math.round((I - HZ_MARGIN_S) * S)) throw new Error('internal: echo not suppressed');
  w += Math.round(I * S) + Math.round(dNext * S);
  drifts.push(dNext);

  // later runs until the timeout strikes (or a few more beats when it does not)
  const deadline = () => lstrp + Math.round(p.multiple * I * S);
  const stallTimeoutAt = stalled() ? deadline() + Math.round((0.05 + 0.45 * rng.next()) * S) : -1;
  for (let beats = 0; beats < 4; beats++) {
    if (stallTimeoutAt >= 0 && w > stallTimeoutAt) {
      teardownAt = stallTimeoutAt; // the receive thread wakes up and finds the deadline passed
      break;
    }
    const ex = echoExchange(w);
    facts.finalEcho = ex.req;
    facts.finalEchoResponse = ex.resp;
    if (ex.resp !== null) {
      // server_unresponsive() runs when the response wakes the receive thread, before lstrp moves
      if (ex.respAt > deadline()) {
        teardownAt = ex.respAt + 120 * US;
        break;
      }
      lstrp = ex.respAt;
      flow.ack('client', ex.respAt + delayedAck(), 'client delayed ACK');
    }
    w += Math.round(I * S) + nextDrift();
  }
  if (stallTimeoutAt >= 0 && teardownAt < 0) teardownAt = stallTimeoutAt;

  // ---- teardown and reconnect
  if (teardownAt >= 0) {
    keepAlivesUntil(teardownAt);
    facts.silenceS = (teardownAt - trace.time(facts.dataResponse)) / S;
    // the time of the old connection's last frame: the reconnect comes after it (frames are
    // written in time order, so with a long round trip the SYN must wait for the FIN exchange)
    let closedAt = teardownAt;
    if ((p.teardown ?? 'fin') === 'fin') {
      facts.teardown = flow.seg('client', teardownAt, { flags: FIN | ACK }, `client FIN, ACK: "has not responded in ${p.multiple * I} seconds. Reconnecting..."`);
      flow.seg('server', teardownAt + rtt, { flags: ACK }, 'server ACK of FIN');
      flow.seg('server', teardownAt + rtt + 200 * US, { flags: FIN | ACK }, 'server FIN, ACK');
      closedAt = teardownAt + rtt + 250 * US;
      flow.ack('client', closedAt, 'client ACK of FIN');
    } else {
      facts.teardown = flow.seg('client', teardownAt, { flags: RST | ACK }, `client RST, ACK: "has not responded in ${p.multiple * I} seconds. Reconnecting..."`);
    }
    // the reconnect SYN 3 ms after the teardown (cifs reconnects at once), never before the old
    // connection's last frame
    const t2 = Math.max(teardownAt + 3 * MS, closedAt + 1 * MS);
    const flow2 = new TcpFlow(trace, client, cport + 1, server, 445, { client: rng.u32(), server: rng.u32() }, { serverWin: 8212, wscale: 8 });
    [facts.reconnectSyn] = flow2.handshake(t2, rtt);
    const nt = t2 + rtt + 1 * MS;
    [facts.reconnectNegotiate] = flow2.send('client', nt, smb.negotiateRequest(0, fileId), 'client SMB2 NEGOTIATE request on the new connection');
    flow2.send('server', nt + rtt + 300 * US, smb.negotiateResponse(0, fileId.slice().reverse()), 'server SMB2 NEGOTIATE response');
    flow2.ack('client', nt + rtt + 300 * US + delayedAck(), 'client delayed ACK');
  }

  trace.write(p.path, p.format ?? 'pcapng');

  // ---- what a diagnosis must say
  const findings: ExpectedFinding[] = [];
  const fired: RuleId[] = [];
  const beforeGap = facts.echoRequests[m - 1];
  findings.push({
    rule: 'heartbeat/drift', minSeverity: 'info', frames: [beforeGap, facts.dataResponse], stream: 0,
    metrics: {
      heartbeat: 'smb2-echo', nominal_interval_s: I, missing_beats: 1,
      mean_interval_s: { approx: facts.meanIntervalS, tolerance: 0.05 },
      drift_s: { approx: facts.meanIntervalS - I, tolerance: 0.05 },
      // a rule estimates the missing beat as the last echo plus the mean interval
      missing_beat_at_s: { approx: facts.suppressedAtS, tolerance: 0.5 },
    },
  });
  fired.push('heartbeat/drift');
  if (facts.teardown !== null) {
    const stall = facts.unansweredEchoes.length > 0;
    const frames = [facts.dataResponse];
    if (facts.finalEcho !== null) frames.push(facts.finalEcho);
    if (facts.finalEchoResponse !== null) frames.push(facts.finalEchoResponse);
    frames.push(facts.teardown);
    findings.push({
      rule: 'heartbeat/timeout-teardown', minSeverity: 'error', frames, stream: 0,
      metrics: {
        heartbeat: 'smb2-echo', nominal_interval_s: I, timeout_multiple: p.multiple,
        silence_s: { approx: facts.silenceS as number, tolerance: 0.01 },
        cause: stall ? 'echoes-unanswered' : 'heartbeat-suppressed',
        unanswered_echoes: facts.unansweredEchoes.length,
      },
      knownDefect: stall ? undefined : 'linux-cifs-echo-race',
    });
    fired.push('heartbeat/timeout-teardown');
  }
  if (facts.keepAlives.length) {
    const styles = new Set(facts.keepAlives.map((k) => k.style));
    findings.push({
      rule: 'tcp/keepalive', minSeverity: 'info', frames: facts.keepAlives.map((k) => k.frame).slice(0, 4), stream: 0,
      metrics: { count: facts.keepAlives.length, style: styles.size > 1 ? 'both' : [...styles][0] },
    });
    fired.push('tcp/keepalive');
  }
  const kind = facts.teardown === null ? 'no teardown: a fixed client rides through the skipped echo' : `teardown after ${facts.silenceS?.toFixed(3)} s`;
  return {
    path: p.path, frames: trace.count,
    expect: {
      incident: facts.teardown === null ? 'control' : 'A',
      story: `SMB2 echoes every ~${facts.meanIntervalS.toFixed(2)} s (interval ${I} s), an echo skipped after a READ response, ${kind} (k = ${p.multiple}${p.serverStalls ? ', server stalled' : ''})`,
      findings, quiet: quietExcept(fired), facts,
    },
  };
}
