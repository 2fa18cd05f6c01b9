// tcp/ack-stall: a sender that waits, again and again, for its peer's late ACK before sending more.
// Scripted captures (test/incidents/trace.ts): requests written in two pieces, the second held by
// Nagle's algorithm until the server's delayed ACK (Linux 40 ms seen at the client, Windows 200 ms
// seen at the server over IPv6), and a sender held by a small window against a receiver that
// acknowledges slowly; the controls: prompt ACKs, a whole request in one segment, two stalls only,
// and delayed ACKs that nothing waits for. The late ACKs are checked against tshark's ack_rtt, and
// the corpus's slow printer is named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MS, US, TcpFlow, Trace, type Host } from '../incidents/trace.js';
import { fields } from '../incidents/oracle.js';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import type { Finding } from '../../src/diagnose/finding.js';
import { scriptedCaptures } from './scripted.js';
import { corpusDir } from '../corpus.js';

const scripted = scriptedCaptures();

const CLIENT: Host = { ip: '10.9.1.20', mac: '02:00:00:00:01:20' };
const SERVER: Host = { ip: '10.9.4.9', mac: '02:00:00:00:04:09' };
const CLIENT6: Host = { ip: 'fd00:9::20', mac: '02:00:00:00:01:20' };
const SERVER6: Host = { ip: 'fd00:9::4:9', mac: '02:00:00:00:04:09' };

async function stalls(t: Trace, name: string): Promise<{ path: string; f: Finding[] }> {
  const { path, findings } = await scripted.diagnose(t, name);
  return { path, f: findings.filter((x) => x.id === 'tcp/ack-stall') };
}

/** tshark's ack_rtt (ms) of the given frames. */
function ackRttMs(path: string, frames: number[]): number[] {
  const rows = fields(path, ['tcp.analysis.ack_rtt']);
  return frames.map((n) => Number(rows[n - 1]['tcp.analysis.ack_rtt']) * 1e3);
}

interface Exchanges {
  n: number;
  /** the server's ACK delay (0: prompt) */
  ackDelay: number;
  /** the request in two writes (header, then body held by Nagle) or in one */
  split: boolean;
  /** where the capture point is */
  at: 'client' | 'server';
  v6?: boolean;
  /** the client's next request this long after the response (default 5 ms) */
  thinkNs?: number;
  /** the body this long after the server's ACK of the header (default 60 µs: it was waiting) */
  bodyAfterNs?: number;
}

/** n request/response exchanges over one connection, seen at the client or at the server; returns
 *  the trace and, per exchange, the frames of the header, the server's pure ACK (0 when none) and
 *  the body. */
function exchanges(x: Exchanges): { t: Trace; head: number[]; ack: number[]; body: number[] } {
  const t = new Trace();
  const f = new TcpFlow(t, x.v6 ? CLIENT6 : CLIENT, 43_210, x.v6 ? SERVER6 : SERVER, 8080, { client: 0x1234_5678, server: 0x8765_4321 });
  const rtt = 4 * MS;
  const client = x.at === 'client';
  // times at the capture point: at the client, what the server sends arrives a round trip after
  // what caused it; at the server, what the client sends does
  f.syn(0);
  f.synAck(client ? rtt : 50 * US);
  f.ack('client', client ? rtt + 100 * US : rtt + 100 * US);
  const head: number[] = [];
  const ack: number[] = [];
  const body: number[] = [];
  let at = 10 * MS; // the first request passes the capture point
  for (let i = 0; i < x.n; i++) {
    let last = at;
    if (x.split) {
      head.push(...f.send('client', at, new Uint8Array(120).fill(0x41), 'request header'));
      // the server's ACK of the header, after its delay; the client sends the body as it arrives
      const ackAt = client ? at + rtt + x.ackDelay : at + x.ackDelay;
      ack.push(f.ack('server', ackAt, 'server ACK of the header (delayed)'));
      const wait = x.bodyAfterNs ?? 60 * US;
      last = client ? ackAt + wait : ackAt + rtt + wait;
      body.push(...f.send('client', last, new Uint8Array(300).fill(0x42), 'request body (Nagle held it until the ACK)'));
    } else {
      body.push(...f.send('client', at, new Uint8Array(420).fill(0x43), 'request'));
    }
    // the response 1 ms after the request is complete at the server, then the next request
    const resp = client ? last + rtt + 1 * MS : last + 1 * MS;
    f.send('server', resp, new Uint8Array(800).fill(0x44), 'response');
    at = client ? resp + (x.thinkNs ?? 5 * MS) : resp + rtt + (x.thinkNs ?? 5 * MS);
  }
  f.ack('client', at);
  return { t, head, ack, body };
}

test('Nagle meets Linux\'s 40 ms delayed ACK: a request written in two pieces waits for every ACK (capture at the client)', async () => {
  const x = exchanges({ n: 20, ackDelay: 40 * MS, split: true, at: 'client' });
  const { path, f } = await stalls(x.t, 'nagle-client.pcapng');
  assert.equal(f.length, 1);
  const m = f[0].metrics;
  assert.equal(m.stalls, 20);
  assert.equal(m.cause, 'nagle');
  assert.equal(m.sender, 'client');
  assert.deepEqual(f[0].frames, [x.ack[0], x.head[0], x.body[0]]);
  assert.ok(Math.abs(Number(m.mean_wait_ms) - 40) < 0.5, String(m.mean_wait_ms));
  // tshark: each late ACK's ack_rtt is the round trip plus the delay
  const rtts = ackRttMs(path, x.ack);
  for (const r of rtts) assert.ok(Math.abs(r - 44.05) < 0.1, `ack_rtt ${r} ms`);
  assert.ok(Math.abs(Number(m.mean_wait_ms) + Number(m.rtt_handshake_ms) - rtts.reduce((a, b) => a + b, 0) / rtts.length) < 0.2);
  assert.match(f[0].advice!.join(' '), /TCP_NODELAY/);
});

test('the same seen at the server, over IPv6, with Windows\' 200 ms delayed ACK', async () => {
  const x = exchanges({ n: 6, ackDelay: 200 * MS, split: true, at: 'server', v6: true });
  const { path, f } = await stalls(x.t, 'nagle-server6.pcapng');
  assert.equal(f.length, 1);
  assert.equal(f[0].metrics.stalls, 6);
  assert.ok(Math.abs(Number(f[0].metrics.mean_wait_ms) - 200) < 0.5, String(f[0].metrics.mean_wait_ms));
  assert.equal(f[0].metrics.cause, 'nagle');
  // at the server, tshark's ack_rtt of the late ACK is the delay alone
  for (const r of ackRttMs(path, x.ack)) assert.ok(Math.abs(r - 200) < 0.1, `ack_rtt ${r} ms`);
});

test('a small window against a receiver that acknowledges slowly: full-size segments, cause "window"', async () => {
  const t = new Trace();
  const f = new TcpFlow(t, CLIENT, 3527, SERVER, 9100, { client: 0x0100_0000, server: 0x0200_0000 }, { timestamps: false });
  f.handshake(0, 200 * US);
  const acks: number[] = [];
  let at = 5 * MS;
  for (let i = 0; i < 12; i++) {
    // four full-size segments fill the printer's window; it acknowledges them 150 ms later
    f.send('client', at, new Uint8Array(4 * f.segmentSize).fill(0x50), 'print data');
    acks.push(f.ack('server', at + 150 * MS, 'printer ACK (late)'));
    at += 150 * MS + 40 * US;
  }
  const { f: st } = await stalls(t, 'window.pcapng');
  assert.equal(st.length, 1);
  assert.equal(st[0].metrics.cause, 'window');
  assert.equal(st[0].metrics.stalls, 11, 'the last ACK released nothing');
  assert.equal(st[0].frames[0], acks[0]);
});

test('controls: prompt ACKs, whole requests, two stalls only, delayed ACKs nothing waits for', async () => {
  const cases: [string, Exchanges][] = [
    ['prompt', { n: 20, ackDelay: 0, split: true, at: 'client' }],
    ['whole', { n: 20, ackDelay: 40 * MS, split: false, at: 'client' }],
    ['two', { n: 2, ackDelay: 400 * MS, split: true, at: 'client' }],
    // the server's delayed ACK of each header, but the client's body comes 300 ms after it (the
    // client was not waiting for the ACK: its application was slow)
    ['unwaited', { n: 6, ackDelay: 40 * MS, split: true, at: 'client', bodyAfterNs: 300 * MS }],
  ];
  for (const [name, x] of cases) {
    const { f } = await stalls(exchanges(x).t, `${name}.pcapng`);
    assert.deepEqual(f, [], name);
  }
});

test('corpus: the slow printer of window-full-printer (22 waits, 3.0 s of 26 s, ACKs 65-200 ms late on a 0.2 ms LAN)', async () => {
  const path = join(corpusDir(), 'tcp/window-full-printer.pcapng');
  const f = runRules(await analyse([path])).filter((x) => x.id === 'tcp/ack-stall');
  assert.equal(f.length, 1);
  const m = f[0].metrics;
  assert.equal(m.stalls, 22);
  assert.equal(m.cause, 'window');
  assert.deepEqual(f[0].frames, [16, 15, 17]);
  assert.ok(Math.abs(ackRttMs(path, [16])[0] - 64.656) < 0.001);
  assert.ok(Number(m.total_wait_s) > 2.9 && Number(m.total_wait_s) < 3.1, String(m.total_wait_s));
});
