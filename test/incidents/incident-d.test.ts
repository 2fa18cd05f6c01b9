import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../synth/tshark.js';
import { generateIncidentD, percentile } from './incident-d.js';
import { checkGenerated, sameBytes } from './helpers.js';
import { fields } from './oracle.js';

const tmp = tempDir();
after(() => tmp.done());

const FIELDS = ['tcp.srcport', 'tcp.dstport', 'tcp.flags.str', 'tcp.seq', 'tcp.ack', 'frame.time_relative', 'tcp.analysis.reused_ports',
  'tcp.analysis.retransmission', 'tcp.analysis.ack_lost_segment'];
const flags = (r: Record<string, string>) => r['tcp.flags.str'].replace(/·/g, '').trim();

test('D as in seed 004: SYN answered by a bare ACK for the previous connection, client RST, SYN re-sent 1 s later', async () => {
  const g = generateIncidentD({ path: tmp.file('d.pcapng'), seed: 3, connections: 200, outliers: 2 });
  const warnings = await checkGenerated(g);
  const rows = fields(g.path, FIELDS);
  const f = g.expect.facts;
  assert.equal(f.outliers.length, 2);
  for (const o of f.outliers) {
    const [syn, ch, rst, re, sa] = [o.syn, o.challengeAck, o.rst, o.synResend, o.synAck].map((n) => rows[n - 1]);
    assert.equal(flags(syn), 'S');
    assert.ok(syn['tcp.analysis.reused_ports'] !== '', 'tshark sees the port reused');
    // the answer is a bare ACK whose ack number does not acknowledge the SYN
    assert.equal(flags(ch), 'A');
    assert.notEqual(Number(ch['tcp.ack']), (Number(syn['tcp.seq']) + 1) >>> 0);
    assert.equal(Number(ch['tcp.ack']), o.challengeAckNo);
    assert.ok(ch['tcp.analysis.ack_lost_segment'] !== '', 'tshark: ACKed unseen segment');
    // ... and belongs to the previous connection on the 4-tuple, which ended with the client's RST,ACK
    const prevLast = rows[o.prevLast - 1];
    assert.equal(prevLast['tcp.srcport'], syn['tcp.srcport']);
    assert.equal(flags(prevLast), 'AR');
    assert.equal(Number(prevLast['tcp.seq']), o.challengeAckNo);
    assert.equal(Number(prevLast['tcp.ack']), o.challengeSeq);
    // client RST at the challenge ACK's ack number, then the same SYN (same ISN) about 1 s later
    assert.equal(flags(rst), 'R');
    assert.equal(rst['tcp.seq'], ch['tcp.ack']);
    assert.equal(re['tcp.seq'], syn['tcp.seq']);
    assert.ok(re['tcp.analysis.retransmission'] !== '');
    const wait = Number(re['frame.time_relative']) - Number(ch['frame.time_relative']);
    assert.ok(wait >= 1.0 && wait < 1.05, `wait ${wait}`);
    assert.ok(Math.abs(wait * 1000 - o.waitMs) < 1e-3);
    assert.equal(Number(sa['tcp.ack']), (Number(syn['tcp.seq']) + 1) >>> 0);
  }
  // latency: normal set-up below a millisecond, outliers above a second
  assert.ok(f.p50Us > 150 && f.p50Us < 1000, `p50 ${f.p50Us}`);
  assert.ok(f.maxUs > 1e6);
  assert.equal(f.latenciesUs.filter((x) => x > 5000).length, 2);
  // tshark warns about the client RSTs and the two challenge ACKs, nothing else
  for (const w of warnings) assert.match(w.message, /Connection reset|ACKed segment that wasn't captured/, `${w.frame}: ${w.message}`);
});

test('D with a fixed client (9603d47bad46): the SYN is re-sent about 10 ms after the challenge ACK', async () => {
  const g = generateIncidentD({ path: tmp.file('d-fixed.pcapng'), seed: 5, connections: 160, outliers: 1, fixedClient: true });
  await checkGenerated(g);
  const o = g.expect.facts.outliers[0];
  assert.ok(o.waitMs >= 10 && o.waitMs < 11, `wait ${o.waitMs}`);
  assert.equal(g.expect.findings.find((x) => x.rule === 'tcp/challenge-ack-on-syn')?.metrics.client_kernel, 'fixed');
});

test('D control: the same traffic with port reuse and no stale state has no outliers', async () => {
  const g = generateIncidentD({ path: tmp.file('d-ok.pcapng'), seed: 6, connections: 160, outliers: 0 });
  await checkGenerated(g);
  const rows = fields(g.path, FIELDS);
  assert.ok(rows.filter((r) => r['tcp.analysis.reused_ports'] !== '').length > 0, 'ports are reused');
  assert.equal(rows.filter((r) => flags(r) === 'A' && r['tcp.analysis.ack_lost_segment'] !== '').length, 0);
  assert.ok(g.expect.facts.maxUs < 1000);
  assert.equal(g.expect.incident, 'control');
  assert.ok(g.expect.quiet.includes('tcp/challenge-ack-on-syn') && g.expect.quiet.includes('tcp/connect-latency-outliers'));
});

test('nearest-rank percentiles and determinism', () => {
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
  assert.equal(percentile([1, 2, 3, 4], 0.99), 4);
  assert.equal(percentile([5], 0.999), 5);
  const a = generateIncidentD({ path: tmp.file('x1.pcapng'), seed: 9, connections: 130, outliers: 1 });
  const b = generateIncidentD({ path: tmp.file('x2.pcapng'), seed: 9, connections: 130, outliers: 1 });
  assert.ok(sameBytes(a.path, b.path));
  assert.throws(() => generateIncidentD({ path: tmp.file('x3'), seed: 1, connections: 100 }), /source ports/);
});
