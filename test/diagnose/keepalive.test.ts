// Keep-alive-shaped segments sent into a closed window are zero-window probes (the persist
// timer), answered by the receiver's zero-window ACKs; real keep-alives keep their style name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import { buildReport } from '../../src/report/model.js';
import { corpusDir } from '../corpus.js';

test('zero-window-dead-probes: persist probes answered by zero-window ACKs, and the stall shows them', async () => {
  const f = runRules(await analyse([`${corpusDir()}/tcp/zero-window-dead-probes.pcapng`]));
  const ka = f.find((x) => x.id === 'tcp/keepalive');
  assert.ok(ka);
  assert.match(ka.summary, /^3 zero-window probes .* 3 answered\.$/);
  assert.equal(ka.metrics.into_zero_window, 3);
  assert.deepEqual(ka.frames, [3, 4, 5, 6, 7, 8]);
  const stall = f.find((x) => x.id === 'tcp/zero-window-stall');
  assert.ok(stall);
  assert.deepEqual(stall.frames, [2, 3, 4, 5, 6, 7, 8]);
});

test('Windows one-byte keep-alives on an open window stay keep-alives, with their answers', async () => {
  const f = runRules(await analyse([`${corpusDir()}/smb/smb2-win10-keepalive-1byte.pcap`]));
  const ka = f.filter((x) => x.id === 'tcp/keepalive');
  assert.equal(ka.length, 1);
  assert.match(ka[0].summary, /^3 TCP keep-alives from both sides .* one-byte \(Windows style\), 3 answered\.$/);
  assert.equal(ka[0].metrics.into_zero_window, 0);
});

test('nfsv3-tcp-zero-window: many short zero windows are named as flow control (info), not a stall', async () => {
  const trace = await analyse([`${corpusDir()}/nfs-rpc/nfsv3-tcp-zero-window.pcap.gz`]);
  const f = runRules(trace);
  assert.equal(f.filter((x) => x.id === 'tcp/zero-window-stall').length, 0);
  const zw = f.filter((x) => x.id === 'tcp/zero-window');
  assert.equal(zw.length, 1);
  assert.equal(zw[0].severity, 'info');
  // tshark's reference flags 1796 frames tcp.analysis.zero_window in this capture
  assert.equal(zw[0].metrics.zero_window_segments, 1796);
  assert.equal(zw[0].metrics.episodes, 1254);
  assert.ok(Number(zw[0].metrics.longest_s) < 5);
  assert.match(zw[0].summary, /^10\.6\.136\.214:2049 closed its receive window 1254 times .* within 104 ms/);
  // the capture starts mid-connection with the NFS server taken as originator: its WRITE replies,
  // key segments (82, 83) or exchange rows only (12076), are drawn in the same direction
  const model = buildReport([trace]);
  const ladder = model.findings.find((x) => x.id === 'tcp/zero-window')!.ladder;
  const dirOf = (n: number) => ladder.find((r) => r.frame === n)?.dir;
  assert.equal(dirOf(83), 'c>s');
  assert.equal(dirOf(12076), 'c>s');
});

test('zero-window-dead-probes: a window closed for seconds is a stall, not the info finding', async () => {
  const f = runRules(await analyse([`${corpusDir()}/tcp/zero-window-dead-probes.pcapng`]));
  assert.equal(f.filter((x) => x.id === 'tcp/zero-window').length, 0);
  assert.equal(f.filter((x) => x.id === 'tcp/zero-window-stall').length, 1);
});

test('portmap-tcp-unanswered-calls: calls the server never answers are named, those in the last second are not', async () => {
  const trace = await analyse([`${corpusDir()}/nfs-rpc/portmap-tcp-unanswered-calls.pcapng.gz`]);
  const un = runRules(trace).filter((x) => x.id === 'rpc/unanswered-calls');
  assert.equal(un.length, 1);
  const cap = trace.captures[0];
  const counted = trace.exchanges.filter((e) => e.kind === 'unanswered' && e.requestNs !== null && cap.lastNs! - e.requestNs >= 1_000_000_000n).length;
  assert.ok(counted > 0 && counted < 5000, `${counted} calls at least 1 s before the end`);
  assert.equal(un[0].metrics.calls, counted);
  assert.equal(un[0].metrics.server_answered_later, 0);
  assert.equal(un[0].frames[0], 4);
  assert.match(un[0].summary, /portmapv2 calls to 10\.0\.0\.2:111\/tcp got no reply .* the server answered no later call\.$/);
});

// ------------------------------------------------------------------ a peer that stopped answering

import { after } from 'node:test';
import { tempDir } from '../synth/tshark.js';
import { MS, S, TcpFlow, Trace, type Host } from '../incidents/trace.js';
import { ACK, FIN, RST } from '../synth/packets.js';
import { fields } from '../incidents/oracle.js';

const tmp = tempDir();
after(() => tmp.done());
const CLIENT: Host = { ip: '10.30.0.7', mac: '02:00:00:00:30:07' };
const SERVER: Host = { ip: '10.30.0.2', mac: '02:00:00:00:30:02' };
const CLIENT6: Host = { ip: 'fd00:30::7', mac: '02:00:00:00:30:07' };
const SERVER6: Host = { ip: 'fd00:30::2', mac: '02:00:00:00:30:02' };

/** An idle connection whose client sends keep-alives every `interval` (Linux: zero-byte; Windows:
 *  the last byte again); the server answers the first `answered`, then nothing; the client ends
 *  with `end` after the last probe (or the capture just ends). Returns the path and the frames. */
function deadPeer(o: { name: string; probes: number; answered: number; interval: number; style: 'linux' | 'windows'; end: 'rst' | 'fin' | 'none'; v6?: boolean }) {
  const t = new Trace();
  const f = new TcpFlow(t, o.v6 ? CLIENT6 : CLIENT, 50_500, o.v6 ? SERVER6 : SERVER, 2049, { client: 0x4000_0000, server: 0x5000_0000 });
  f.handshake(0, 1 * MS);
  f.send('client', 5 * MS, new Uint8Array(200).fill(1), 'request');
  f.send('server', 6 * MS, new Uint8Array(300).fill(2), 'reply');
  f.ack('client', 7 * MS);
  const probes: number[] = [];
  let at = 7 * MS;
  for (let i = 0; i < o.probes; i++) {
    at += o.interval;
    const seq = (f.client.nxt - 1) >>> 0;
    probes.push(f.seg('client', at, { flags: ACK, seq, payload: o.style === 'windows' ? new Uint8Array([1]) : undefined }, `keep-alive ${i + 1}`));
    if (i < o.answered) f.ack('server', at + 1 * MS, 'keep-alive ACK');
  }
  let end = 0;
  if (o.end !== 'none') end = f.seg('client', at + 1 * S, { flags: o.end === 'rst' ? RST | ACK : FIN | ACK }, `client ${o.end.toUpperCase()} (keep-alive timer gave up)`);
  const path = tmp.file(`${o.name}.pcapng`);
  t.write(path);
  return { path, probes, end };
}

test('Linux keep-alives the peer stopped answering, then the client resets: a warning with the probes', async () => {
  const d = deadPeer({ name: 'linux-dead', probes: 9, answered: 2, interval: 75 * S, style: 'linux', end: 'rst' });
  // tshark labels every probe a keep-alive and answers none after the second
  const rows = fields(d.path, ['tcp.analysis.keep_alive', 'tcp.analysis.keep_alive_ack']);
  assert.deepEqual(rows.filter((r) => r['tcp.analysis.keep_alive'] !== '').map((r) => Number(r['frame.number'])), d.probes);
  assert.equal(rows.filter((r) => r['tcp.analysis.keep_alive_ack'] !== '').length, 2);
  const ka = runRules(await analyse([d.path])).filter((x) => x.id === 'tcp/keepalive');
  assert.equal(ka.length, 1);
  assert.equal(ka[0].severity, 'warning');
  assert.equal(ka[0].metrics.ended_by, 'rst');
  assert.equal(ka[0].metrics.answered, 2);
  // the first two probes were answered, the other 7 not
  assert.equal(ka[0].metrics.unanswered_at_end, 7);
  assert.match(ka[0].summary, /^7 TCP keep-alives from the client 10\.30\.0\.7 .* went unanswered over 7\.5 min|^7 TCP keep-alives .* went unanswered over 450\.0 s .* reset the connection \(frame \d+\): the server 10\.30\.0\.2 had stopped answering\.$/);
  assert.equal(ka[0].frames[0], d.probes[2]);
  assert.equal(ka[0].frames[ka[0].frames.length - 1], d.end);
});

test('Windows one-byte keep-alives over IPv6, the capture ending with them', async () => {
  const d = deadPeer({ name: 'win-dead', probes: 10, answered: 0, interval: 1 * S, style: 'windows', end: 'none', v6: true });
  const ka = runRules(await analyse([d.path])).filter((x) => x.id === 'tcp/keepalive');
  assert.equal(ka.length, 1);
  assert.equal(ka[0].severity, 'warning');
  assert.equal(ka[0].metrics.ended_by, 'capture end');
  assert.equal(ka[0].metrics.style, 'windows');
  assert.equal(ka[0].metrics.unanswered_at_end, 10);
  assert.match(ka[0].summary, /^10 TCP keep-alives from the client fd00:30::7 .* over 9\.00 s .* the capture ends with them: the server fd00:30::2 had stopped answering\.$/);
});

test('more probes than the key segments keep: the count is a floor and says so', async () => {
  const d = deadPeer({ name: 'win-dead-long', probes: 80, answered: 0, interval: 1 * S, style: 'windows', end: 'none', v6: true });
  const ka = runRules(await analyse([d.path])).filter((x) => x.id === 'tcp/keepalive');
  assert.equal(ka.length, 1);
  assert.equal(ka[0].severity, 'warning');
  assert.equal(ka[0].metrics.ended_by, 'capture end');
  assert.equal(ka[0].metrics.style, 'windows');
  assert.match(ka[0].summary, /^At least 8 TCP keep-alives from the client fd00:30::7 /);
});

test('controls: keep-alives all answered, or only two unanswered at the end, stay info', async () => {
  for (const [name, answered, probes] of [['all', 5, 5], ['two', 3, 5]] as const) {
    const d = deadPeer({ name, probes, answered, interval: 60 * S, style: 'linux', end: 'fin' });
    const ka = runRules(await analyse([d.path])).filter((x) => x.id === 'tcp/keepalive');
    assert.equal(ka.length, 1, name);
    assert.equal(ka[0].severity, 'info', name);
  }
});
