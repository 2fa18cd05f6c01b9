// tcp/middlebox-reset: a RST in one end's name that arrives with another TTL (hop limit) than that
// end's own packets was sent by a device on the path. Scripted captures (test/incidents/trace.ts):
// an injector answering a SYN before the server, a firewall's idle-timeout reset of an SMB-like
// session (IPv4 and IPv6), a reset in the client's name seen at the server; and the controls: the
// server's own reset, a one-hop difference. TTLs are checked against tshark's ip.ttl/ipv6.hlim,
// and the corpus's injected reset is named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MS, S, TcpFlow, Trace, type Host } from '../incidents/trace.js';
import { ACK, RST } from '../synth/packets.js';
import { fields } from '../incidents/oracle.js';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import type { Finding } from '../../src/diagnose/finding.js';
import { scriptedCaptures } from './scripted.js';
import { corpusDir } from '../corpus.js';

const scripted = scriptedCaptures();

const CLIENT: Host = { ip: '10.8.1.20', mac: '02:00:00:00:01:20' };
const SERVER: Host = { ip: '172.20.4.9', mac: '02:00:00:00:04:09' };
const CLIENT6: Host = { ip: 'fd00:8::20', mac: '02:00:00:00:01:20' };
const SERVER6: Host = { ip: 'fd00:4::9', mac: '02:00:00:00:04:09' };

async function diagnose(t: Trace, name: string): Promise<{ path: string; all: Finding[]; mb: Finding[] }> {
  const { path, findings } = await scripted.diagnose(t, name);
  return { path, all: findings, mb: findings.filter((f) => f.id === 'tcp/middlebox-reset') };
}

/** tshark's TTL (IPv4) or hop limit (IPv6) of frame n. */
function ttlOf(path: string, n: number, v6 = false): number {
  const rows = fields(path, [v6 ? 'ipv6.hlim' : 'ip.ttl']);
  return Number(rows[n - 1][v6 ? 'ipv6.hlim' : 'ip.ttl']);
}

test('an injector answers the SYN with a RST before the server does; the server\'s SYN-ACK follows', async () => {
  const t = new Trace();
  const f = new TcpFlow(t, CLIENT, 51_000, SERVER, 443, { client: 0x1000_0000, server: 0x7000_0000 }, { clientTtl: 64, serverTtl: 51 });
  const syn = f.syn(0);
  const rst = f.seg('server', 3 * MS, { flags: RST | ACK, seq: 0, ack: f.client.nxt, ttl: 60 }, 'RST/ACK injected 4 hops from the client');
  const synAck = f.synAck(40 * MS);
  f.ack('client', 40 * MS + 50_000);
  f.send('client', 41 * MS, new Uint8Array(300).fill(0x16), 'client hello');
  const { path, mb } = await diagnose(t, 'inject.pcapng');
  assert.equal(mb.length, 1);
  assert.equal(mb[0].severity, 'warning', 'the connection went on');
  assert.deepEqual(mb[0].frames, [rst, syn, synAck], 'the reset first, then the SYN it answered and the real SYN-ACK');
  assert.equal(mb[0].metrics.rst_ttl, ttlOf(path, rst));
  assert.equal(mb[0].metrics.sender_ttl, ttlOf(path, synAck));
  assert.equal(mb[0].metrics.claimed_sender, 'server');
  assert.equal(mb[0].metrics.connection_survived, 'yes');
  assert.match(mb[0].summary, /TTL 60, where the server's own packets arrive with 51/);
});

for (const v6 of [false, true]) {
  test(`a firewall's idle timeout resets an SMB session in the server's name after 20 minutes of silence (${v6 ? 'IPv6' : 'IPv4'})`, async () => {
    const t = new Trace();
    const f = new TcpFlow(t, v6 ? CLIENT6 : CLIENT, 49_812, v6 ? SERVER6 : SERVER, 445, { client: 0x2200_0000, server: 0x9100_0000 }, { clientTtl: 64, serverTtl: 118 });
    f.handshake(0, 2 * MS);
    f.send('client', 5 * MS, new Uint8Array(180).fill(1), 'client request');
    f.send('server', 7 * MS, new Uint8Array(240).fill(2), 'server response');
    const last = f.ack('client', 8 * MS);
    const rst = f.seg('server', 20 * 60 * S, { flags: RST | ACK, ttl: 62 }, 'RST from the firewall, 2 hops away, in the server\'s name');
    const { path, mb, all } = await diagnose(t, `idle-${v6 ? 6 : 4}.pcapng`);
    assert.equal(mb.length, 1);
    assert.equal(mb[0].severity, 'error', 'the connection ended there');
    assert.deepEqual(mb[0].frames, [rst, last]);
    assert.equal(mb[0].metrics.rst_ttl, ttlOf(path, rst, v6));
    assert.equal(mb[0].metrics.sender_ttl, ttlOf(path, 2, v6));
    assert.equal(mb[0].metrics.idle_before_s, 1200 - 0.008);
    assert.match(mb[0].explanation, /after 1200\.0 s of silence on the connection: the usual mark of a firewall's idle timeout/);
    assert.match(mb[0].advice!.join(' '), /keep-alives/);
    assert.match(all.find((x) => x.id === 'tcp/resets')!.summary, /1 by a middlebox as server\./);
  });
}

test('seen at the server: a RST in the client\'s name with another hop limit', async () => {
  const t = new Trace();
  const f = new TcpFlow(t, CLIENT, 40_002, SERVER, 2049, { client: 0x3300_0000, server: 0x4400_0000 }, { clientTtl: 57, serverTtl: 64 });
  f.handshake(0, 30 * MS);
  f.send('client', 31 * MS, new Uint8Array(120).fill(3), 'client call');
  f.send('server', 32 * MS, new Uint8Array(120).fill(4), 'server reply');
  const rst = f.seg('client', 2 * S, { flags: RST | ACK, ttl: 250 }, 'RST in the client\'s name');
  const { mb } = await diagnose(t, 'client-name.pcapng');
  assert.equal(mb.length, 1);
  assert.equal(mb[0].metrics.claimed_sender, 'client');
  assert.equal(mb[0].metrics.rst_frame, rst);
  assert.match(mb[0].summary, /in the name of the client 10\.8\.1\.20:40002/);
});

test('controls: the server\'s own reset, and a reset one hop off (a route change), are not named', async () => {
  for (const [name, ttl] of [['own', 118], ['one-hop', 117]] as const) {
    const t = new Trace();
    const f = new TcpFlow(t, CLIENT, 49_900, SERVER, 445, { client: 0x2200_0000, server: 0x9100_0000 }, { clientTtl: 64, serverTtl: 118 });
    f.handshake(0, 2 * MS);
    f.send('client', 5 * MS, new Uint8Array(180).fill(1), 'client request');
    f.seg('server', 6 * MS, { flags: RST | ACK, ttl }, 'server RST');
    const { mb, all } = await diagnose(t, `${name}.pcapng`);
    assert.deepEqual(mb, [], name);
    assert.doesNotMatch(all.find((x) => x.id === 'tcp/resets')!.summary, /middlebox/, name);
  }
});

test('corpus: the injected RST/ACK of port-reuse-rst-inject (TTL 46 against 49, IP ID copied from the SYN)', async () => {
  const path = join(corpusDir(), 'tcp/port-reuse-rst-inject.pcap');
  const all = runRules(await analyse([path]));
  const mb = all.filter((f) => f.id === 'tcp/middlebox-reset');
  // tcp/resets no longer says the server refused the connection
  assert.match(all.find((f) => f.id === 'tcp/resets')!.summary, /1 by a middlebox as server\./);
  assert.equal(mb.length, 1);
  assert.deepEqual(mb[0].frames, [2, 1, 3]);
  assert.equal(mb[0].metrics.rst_ttl, ttlOf(path, 2));
  assert.equal(mb[0].metrics.sender_ttl, ttlOf(path, 3));
  assert.equal(mb[0].metrics.ip_id_copied_from, 1);
  assert.equal(mb[0].severity, 'warning');
});
