import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../synth/tshark.js';
import { generateIncidentA, type IncidentAParams } from './incident-a.js';
import { checkGenerated, sameBytes } from './helpers.js';
import { fields, framesWhere, framesWith } from './oracle.js';

const tmp = tempDir();
after(() => tmp.done());

const FIELDS = ['tcp.stream', 'tcp.flags.str', 'smb2.cmd', 'smb2.msg_id', 'smb2.flags.response', 'tcp.analysis.keep_alive', 'tcp.analysis.keep_alive_ack',
  'tcp.analysis.retransmission', 'tcp.analysis.lost_segment', 'frame.time_relative'];

async function run(name: string, p: Omit<IncidentAParams, 'path'>) {
  const g = generateIncidentA({ ...p, path: tmp.file(name) });
  const warnings = await checkGenerated(g);
  const rows = fields(g.path, FIELDS);
  const f = g.expect.facts;
  // every SMB2 ECHO (request and response) where the generator put one, and nowhere else
  assert.deepEqual(framesWhere(rows, 'smb2.cmd', '13'), [...f.echoRequests, ...f.echoResponses].sort((a, b) => a - b));
  for (const n of f.echoRequests) assert.equal(rows[n - 1]['smb2.flags.response'], '0', `frame ${n} is a request`);
  for (const n of f.echoResponses) assert.equal(rows[n - 1]['smb2.flags.response'], '1', `frame ${n} is a response`);
  // the data response is a READ response
  assert.equal(rows[f.dataResponse - 1]['smb2.cmd'], '8');
  // keep-alives: tshark labels exactly ours, and their ACKs; no loss or retransmission anywhere
  assert.deepEqual(framesWith(rows, 'tcp.analysis.keep_alive'), f.keepAlives.map((k) => k.frame));
  assert.deepEqual(framesWith(rows, 'tcp.analysis.keep_alive_ack'), f.keepAlives.map((k) => k.ack));
  assert.deepEqual(framesWith(rows, 'tcp.analysis.retransmission'), []);
  assert.deepEqual(framesWith(rows, 'tcp.analysis.lost_segment'), []);
  return { g, rows, warnings };
}

test('A as in seed 000: 60 s echoes drifting to ~61.5 s, echo skipped after a READ response, teardown 2 x 60 s after it, Windows keep-alive just before', async () => {
  const { g, rows, warnings } = await run('a-seed.pcapng', { seed: 1, intervalS: 60, multiple: 2, keepAlive: { server: { style: 'windows', idleS: 120 } } });
  const f = g.expect.facts;
  assert.equal(g.expect.incident, 'A');
  assert.deepEqual(warnings, []);
  // drift: regular echo intervals are 60 s + ~1.5 s
  assert.ok(Math.abs(f.meanIntervalS - 61.5) < 0.15, `mean interval ${f.meanIntervalS}`);
  // the skipped beat: no echo within 1.5 x interval after the last regular one
  const times = f.echoRequests.map((n) => Number(rows[n - 1]['frame.time_relative']));
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.equal(gaps.filter((x) => x > 1.5 * 60).length, 1, `gaps ${gaps}`);
  // the skipped echo was due one drifted period after the last regular one, after the READ response
  const beforeGap = Number(rows[f.echoRequests[3] - 1]['frame.time_relative']);
  assert.ok(Math.abs(f.suppressedAtS - beforeGap - f.meanIntervalS) < 0.3, `due at ${f.suppressedAtS}`);
  assert.ok(f.suppressedAtS > Number(rows[f.dataResponse - 1]['frame.time_relative']));
  // silence: between 2 x 60 and 2 x 60 + 1 s, measured from the READ response to the FIN
  assert.ok(f.silenceS !== null && f.silenceS > 120 && f.silenceS < 121, `silence ${f.silenceS}`);
  const tResp = Number(rows[f.dataResponse - 1]['frame.time_relative']);
  const tDown = Number(rows[(f.teardown as number) - 1]['frame.time_relative']);
  assert.ok(Math.abs(tDown - tResp - (f.silenceS as number)) < 1e-6);
  // last echo, its response, then the client's FIN; the reconnect is a new stream with NEGOTIATE
  assert.ok(f.finalEcho !== null && f.finalEchoResponse !== null && f.teardown !== null);
  assert.equal(f.finalEchoResponse + 1, f.teardown);
  assert.match(rows[f.teardown - 1]['tcp.flags.str'], /F/);
  assert.equal(rows[(f.reconnectSyn as number) - 1]['tcp.stream'], '1');
  assert.equal(rows[(f.reconnectNegotiate as number) - 1]['smb2.cmd'], '0');
  // the Windows keep-alive (one old byte) comes from the server after 120 s, before the last echo
  assert.equal(f.keepAlives.length, 1);
  assert.ok(f.keepAlives[0].frame < f.finalEcho);
  const td = g.expect.findings.find((x) => x.rule === 'heartbeat/timeout-teardown');
  assert.equal(td?.knownDefect, 'linux-cifs-echo-race');
  assert.equal(td?.metrics.timeout_multiple, 2);
});

test('A, 10 s interval over IPv6 with RST teardown and Linux keep-alives (no payload) from the client', async () => {
  const { g, rows } = await run('a-v6.pcapng', {
    seed: 7, intervalS: 10, multiple: 2, ipv6: true, teardown: 'rst',
    keepAlive: { client: { style: 'linux', idleS: 7 }, server: { style: 'windows', idleS: 9 } }, // the shorter idle time always fires first
  });
  const f = g.expect.facts;
  assert.ok(f.silenceS !== null && f.silenceS > 20 && f.silenceS < 21, `silence ${f.silenceS}`);
  assert.match(rows[(f.teardown as number) - 1]['tcp.flags.str'], /R/);
  assert.ok(f.keepAlives.length >= 2);
  assert.ok(f.keepAlives.every((k) => k.side === 'client' && k.style === 'linux'));
  assert.equal(g.expect.findings.find((x) => x.rule === 'tcp/keepalive')?.metrics.style, 'linux');
});

test('A with a fixed client (k = 3): the skipped echo is survived; a teardown needs a server that stops answering', async () => {
  const ride = await run('a-fixed-ok.pcapng', { seed: 3, intervalS: 60, multiple: 3 });
  assert.equal(ride.g.expect.incident, 'control');
  assert.equal(ride.g.expect.facts.teardown, null);
  assert.ok(ride.g.expect.quiet.includes('heartbeat/timeout-teardown'));
  assert.deepEqual(ride.g.expect.findings.map((x) => x.rule), ['heartbeat/drift']);

  const stall = await run('a-fixed-stall.pcapng', { seed: 4, intervalS: 30, multiple: 3, serverStalls: true });
  const f = stall.g.expect.facts;
  assert.ok(f.unansweredEchoes.length >= 1);
  for (const n of f.unansweredEchoes) {
    const id = stall.rows[n - 1]['smb2.msg_id'];
    assert.equal(stall.rows.filter((r) => r['smb2.msg_id'] === id).length, 1, `echo ${id} has no response`);
  }
  assert.ok(f.silenceS !== null && f.silenceS > 90 && f.silenceS < 91, `silence ${f.silenceS}`);
  const td = stall.g.expect.findings.find((x) => x.rule === 'heartbeat/timeout-teardown');
  assert.equal(td?.metrics.cause, 'echoes-unanswered');
  assert.equal(td?.knownDefect, undefined);
});

test('A generation is deterministic for a seed and varies with it', () => {
  const p = { seed: 11, intervalS: 30, multiple: 2 as const };
  const a = generateIncidentA({ ...p, path: tmp.file('d1.pcapng') });
  const b = generateIncidentA({ ...p, path: tmp.file('d2.pcapng') });
  const c = generateIncidentA({ ...p, seed: 12, path: tmp.file('d3.pcapng') });
  assert.ok(sameBytes(a.path, b.path));
  assert.deepEqual(a.expect, b.expect);
  assert.ok(!sameBytes(a.path, c.path));
});

test('A rejects parameters for which the scenario cannot happen', () => {
  assert.throws(() => generateIncidentA({ path: tmp.file('x'), seed: 1, intervalS: 60, multiple: 2, driftS: 0.5 }), /driftS/);
  assert.throws(() => generateIncidentA({ path: tmp.file('x'), seed: 1, intervalS: 7, multiple: 2 }), /intervalS/);
});
