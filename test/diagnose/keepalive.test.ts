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
