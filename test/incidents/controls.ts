// Healthy controls: each incident's traffic without the fault, and corpus-like TCP noise, on which
// a correct diagnosis stays quiet (nothing above 'info' from any incident rule). The other
// controls live with their incident: A with k = 3 riding through a skipped echo, C with an
// identical retransmission (RPC and TCP), D with port reuse but no stale state.

import { LINKTYPE_ETHERNET } from '../synth/packets.js';
import { PcapngWriter } from '../synth/pcapng-writer.js';
import { Rng } from '../synth/rng.js';
import { MS as SYNTH_MS, TcpConversation, type SynthFrame } from '../synth/tcp-conversation.js';
import { quietExcept, type Generated } from './expect.js';
import * as rpc from './rpc.js';
import * as smb from './smb2.js';
import { MS, S, TcpFlow, Trace, US, type Host } from './trace.js';


export interface ControlParams {
  path: string;
  seed: number;
  format?: 'pcap' | 'pcapng';
}

// ------------------------------------------------------------------ SMB2: regular echoes

export interface HealthySmbFacts {
  echoRequests: number[];
  echoResponses: number[];
  intervalS: number;
}

/** An idle SMB2 connection whose client sends an ECHO every interval (+ drift) and gets every
 *  answer; nothing else happens, the connection stays up. */
export function generateHealthySmb(p: ControlParams & { intervalS?: number; echoes?: number }): Generated<HealthySmbFacts> {
  const rng = new Rng(p.seed);
  const I = p.intervalS ?? 60;
  const trace = new Trace();
  const client: Host = { ip: '10.20.1.15', mac: '00:50:56:a1:0f:15' };
  const server: Host = { ip: '10.20.1.4', mac: '00:15:5d:0a:01:04' };
  const flow = new TcpFlow(trace, client, 40000 + rng.int(0, 20000), server, 445, { client: rng.u32(), server: rng.u32() }, { serverWin: 8212, wscale: 8 });
  const rtt = 400 * US;
  const guid = Uint8Array.from({ length: 16 }, () => rng.int(0, 255));
  const sid = 0x0000_4400_0000_0000n + BigInt(rng.int(1, 0xffff));
  flow.handshake(500 * MS, rtt);
  let t = 500 * MS + rtt + 2 * MS;
  flow.send('client', t, smb.negotiateRequest(0, guid), 'client SMB2 NEGOTIATE request');
  flow.send('server', t + rtt, smb.negotiateResponse(0, guid.slice().reverse()), 'server SMB2 NEGOTIATE response');
  flow.ack('client', t + rtt + 41 * MS, 'client delayed ACK');
  const facts: HealthySmbFacts = { echoRequests: [], echoResponses: [], intervalS: I };
  t += 2 * S;
  for (let i = 1; i <= (p.echoes ?? 6); i++) {
    facts.echoRequests.push(...flow.send('client', t, smb.echo(i, false, sid), `client SMB2 ECHO request (MessageId ${i})`));
    facts.echoResponses.push(...flow.send('server', t + rtt, smb.echo(i, true, sid), `server SMB2 ECHO response (MessageId ${i})`));
    flow.ack('client', t + rtt + 40 * MS + rng.int(0, 9) * MS, 'client delayed ACK');
    t += I * S + Math.round((1.5 + (rng.next() - 0.5) * 0.2) * S);
  }
  trace.write(p.path, p.format ?? 'pcapng');
  return {
    path: p.path, frames: trace.count,
    expect: { incident: 'control', story: `SMB2 echoes every ~${I + 1.5} s, all answered, no teardown`, findings: [], quiet: quietExcept([]), facts },
  };
}

// ------------------------------------------------------------------ NLM: one SYN, one handshake

export interface HealthyNlmFacts {
  getportReply: number;
  syn: number;
  synAck: number;
  ack: number;
}

/** GETPORT for NLM, then an ordinary reconnect: one SYN, its SYN-ACK, the ACK, a NULL call. */
export function generateHealthyNlm(p: ControlParams): Generated<HealthyNlmFacts> {
  const rng = new Rng(p.seed);
  const trace = new Trace();
  const client: Host = { ip: '10.0.0.47', mac: '52:54:00:0a:00:2f' };
  const server: Host = { ip: '10.0.0.81', mac: '52:54:00:0a:00:51' };
  const cred = rpc.authUnix(rng.u32() & 0x7fffffff, 'client47', 0, 0);
  const pm = new TcpFlow(trace, client, 1000 + rng.int(0, 23), server, rpc.PORTMAP_PORT, { client: rng.u32(), server: rng.u32() });
  pm.handshake(200 * MS, 100 * US);
  const xid = rng.u32();
  const t = 201 * MS;
  pm.send('client', t, rpc.getportCall(xid, cred, rpc.PROG_NLM, 4), 'client portmap GETPORT call (NLM v4, TCP)');
  const [getportReply] = pm.send('server', t + 444 * US, rpc.getportReply(xid, 304), 'server portmap GETPORT reply: port 304');
  pm.ack('client', t + 480 * US, 'client ACK');
  pm.seg('client', t + 600 * US, { flags: 0x11 }, 'client FIN, ACK');
  pm.seg('server', t + 700 * US, { flags: 0x11 }, 'server FIN, ACK');
  pm.ack('client', t + 730 * US, 'client ACK of FIN');
  const flow = new TcpFlow(trace, client, 600 + rng.int(0, 400), server, 304, { client: rng.u32(), server: rng.u32() }, { clientSynWin: 14600, clientWin: 115 });
  const t2 = t + 30 * MS;
  const [syn, synAck, ack] = flow.handshake(t2, 100 * US);
  const x2 = rng.u32();
  flow.send('client', t2 + 300 * US, rpc.nullCall(x2, rpc.PROG_NLM, 4, cred), 'client NLM NULL call');
  flow.send('server', t2 + 600 * US, rpc.nullReply(x2), 'server NLM NULL reply');
  flow.ack('client', t2 + 41 * MS, 'client delayed ACK');
  trace.write(p.path, p.format ?? 'pcapng');
  return {
    path: p.path, frames: trace.count,
    expect: { incident: 'control', story: 'GETPORT -> 304, one SYN, handshake completes, NLM NULL answered', findings: [], quiet: quietExcept([]), facts: { getportReply, syn, synAck, ack } },
  };
}

// ------------------------------------------------------------------ TCP noise

export interface NoiseFacts {
  synRetransmission: number;
  zeroWindow: number[];
  keepAlives: number[];
}

/**
 * Corpus-like noise made with the conversation simulator: a SYN lost and re-sent after 1 s, a
 * bulk transfer into a receiver that stops reading (window full, zero window, probes, window
 * update), Linux and Windows keep-alives, an orderly close. Everything a naive rule could
 * mistake for an incident; only tcp/keepalive may report (as 'info').
 */
export function generateNoise(p: ControlParams): Generated<NoiseFacts> {
  const conv = new TcpConversation({
    seed: p.seed, client: { ip: '172.16.5.10', port: 51000 + (p.seed % 1000) }, server: { ip: '172.16.5.20', port: 8080, recvBuffer: 8 * 1024, wscale: null },
    clientToTapNs: 100_000, tapToServerNs: 2 * SYNTH_MS,
  });
  conv.connect({ synLost: 1 }).send('client', 200).send('server', 300);
  conv.pauseReading('server').write('client', 20 * 1024).idle(1500 * SYNTH_MS).resumeReading('server').waitDelivered('client');
  conv.idle(5000 * SYNTH_MS).keepAlive('client', 'linux').idle(1000 * SYNTH_MS).keepAlive('server', 'windows');
  const frames = conv.close('client').finish();
  writeSynth(p.path, frames);
  const idx = (pred: (f: SynthFrame) => boolean) => frames.map((f, i) => (pred(f) ? i + 1 : 0)).filter((n) => n > 0);
  const facts: NoiseFacts = {
    synRetransmission: idx((f) => /SYN retransmission/.test(f.comment))[0],
    zeroWindow: idx((f) => /^\w+ zero-window probe/.test(f.comment)),
    keepAlives: idx((f) => /keep-alive \(/.test(f.comment)),
  };
  return {
    path: p.path, frames: frames.length,
    expect: {
      incident: 'control', story: 'SYN retransmission, zero window with probes, Linux and Windows keep-alives: noise, no incident',
      findings: [{ rule: 'tcp/keepalive', minSeverity: 'info', frames: facts.keepAlives, metrics: { count: 2, style: 'both' } }],
      quiet: quietExcept(['tcp/keepalive']), facts,
    },
  };
}

function writeSynth(path: string, frames: SynthFrame[]): void {
  const w = new PcapngWriter(path);
  w.section('le', 'pcapdx test/incidents');
  const id = w.iface({ linkType: LINKTYPE_ETHERNET, tsresol: 9, name: 'tap0' });
  for (const f of frames) w.packet(id, f.tsSec, f.tsNsec, f.data, f.origLen, f.comment);
  w.close();
}
