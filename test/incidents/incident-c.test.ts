import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../synth/tshark.js';
import { generateIncidentC, type IncidentCVariant } from './incident-c.js';
import { checkGenerated, sameBytes } from './helpers.js';
import { expertProblems, fields, framesWith } from './oracle.js';

const tmp = tempDir();
after(() => tmp.done());

const FIELDS = ['tcp.stream', 'tcp.seq', 'tcp.len', 'rpc.xid', 'rpc.msgtyp', 'rpc.program', 'rpc.procedure', 'rpc.repframe', 'nfs.count3',
  'tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission', 'tcp.payload'];

function gen(v: IncidentCVariant, seed = 3, writeSize?: number) {
  return generateIncidentC({ path: tmp.file(`c-${v}-${seed}.pcapng`), seed, variant: v, writeSize });
}

test('C as in seed 003: NFSv3 WRITE re-sent after its reply, same XID, 0xdeadbeef data, same connection', async () => {
  const g = gen('same-connection');
  await checkGenerated(g);
  const rows = fields(g.path, FIELDS);
  const f = g.expect.facts;
  const orig = rows[f.originalCall.at(-1)! - 1];
  const re = rows[f.retransmittedCall.at(-1)! - 1];
  // tshark reassembles both calls: NFS (100003) WRITE (7), equal XIDs
  for (const r of [orig, re]) {
    assert.equal(r['rpc.program'], '100003');
    assert.equal(r['rpc.procedure'], '7');
    assert.equal(r['rpc.msgtyp'], '0');
    assert.equal(r['nfs.count3'], '8192');
  }
  assert.equal(orig['rpc.xid'], re['rpc.xid']);
  assert.equal(Number(orig['rpc.xid']), f.xid);
  // sent after the reply to the original, on the same stream
  assert.ok(f.reply < f.retransmittedCall[0]);
  assert.equal(rows[f.reply - 1]['rpc.msgtyp'], '1');
  assert.equal(orig['tcp.stream'], re['tcp.stream']);
  // the retransmitted bytes really are 0xdeadbeef and the original's are not
  assert.match(rows[f.retransmittedCall[1] - 1]['tcp.payload'], /^(deadbeef)+/);
  assert.doesNotMatch(rows[f.originalCall[1] - 1]['tcp.payload'], /deadbeef/);
  assert.ok(f.firstDiffOffset > 0 && f.differingBytes > 8000);
  // new data, not a TCP retransmission
  assert.deepEqual(framesWith(rows, 'tcp.analysis.retransmission'), []);
  const e = g.expect.findings[0];
  assert.equal(e.rule, 'rpc/retransmission-differs');
  assert.equal(e.metrics.after_reply, 'yes');
});

test('C on a new connection: the reply to the original on the half-closed connection, the bogus retransmission on the next', async () => {
  const g = gen('new-connection', 9, 16384);
  await checkGenerated(g);
  const rows = fields(g.path, FIELDS);
  const f = g.expect.facts;
  const orig = rows[f.originalCall.at(-1)! - 1];
  const re = rows[f.retransmittedCall.at(-1)! - 1];
  assert.equal(orig['rpc.xid'], re['rpc.xid']);
  assert.notEqual(orig['tcp.stream'], re['tcp.stream']);
  assert.equal(re['nfs.count3'], '16384');
  assert.ok(f.reply < f.retransmittedCall[0]);
  assert.equal(g.expect.findings[0].metrics.same_connection, 'no');
});

test('C control: an identical retransmission before the reply is not an incident', async () => {
  const g = gen('identical');
  await checkGenerated(g);
  const rows = fields(g.path, FIELDS);
  const f = g.expect.facts;
  assert.equal(rows[f.originalCall.at(-1)! - 1]['rpc.xid'], rows[f.retransmittedCall.at(-1)! - 1]['rpc.xid']);
  assert.equal(f.differingBytes, 0);
  assert.ok(f.retransmittedCall[0] < f.reply);
  assert.equal(g.expect.incident, 'control');
  // only the minute the server took to answer is reported (tcp/slow-first-response), not the
  // retransmission
  assert.deepEqual(g.expect.findings.map((x) => x.rule), ['tcp/slow-first-response']);
  assert.ok(g.expect.quiet.includes('rpc/retransmission-differs'));
});

test('C at TCP level: a fast retransmission with 16 other bytes; tshark flags the overlap in both, the payloads differ only in the faulty one', async () => {
  const g = gen('tcp-differs');
  const f = g.expect.facts;
  await checkGenerated(g, [f.tcpRetransmission as number]);
  const x = expertProblems(g.path);
  assert.match(x.errors[0].message, /overlaps old data/);
  const rows = fields(g.path, FIELDS);
  const a = rows[(f.tcpFirst as number) - 1];
  const b = rows[(f.tcpRetransmission as number) - 1];
  assert.equal(a['tcp.seq'], b['tcp.seq']);
  assert.equal(a['tcp.len'], b['tcp.len']);
  assert.ok(b['tcp.analysis.fast_retransmission'] !== '');
  assert.notEqual(a['tcp.payload'], b['tcp.payload']);
  const firstHexDiff = [...a['tcp.payload']].findIndex((c, i) => c !== b['tcp.payload'][i]);
  assert.equal(Math.floor(firstHexDiff / 2), f.tcpFirstDiffOffset);

  // tshark 4.0 reports the same reassembly error for an identical retransmission of a segment of
  // an already reassembled PDU: its error does not tell the two apart; the payloads do
  const c = gen('tcp-identical');
  await checkGenerated(c, [c.expect.facts.tcpRetransmission as number]);
  const rc = fields(c.path, FIELDS);
  const fc = c.expect.facts;
  assert.equal(rc[(fc.tcpFirst as number) - 1]['tcp.payload'], rc[(fc.tcpRetransmission as number) - 1]['tcp.payload']);
  assert.ok(rc[(fc.tcpRetransmission as number) - 1]['tcp.analysis.fast_retransmission'] !== '');
  assert.equal(c.expect.incident, 'control');
});

test('C generation is deterministic', () => {
  const a = generateIncidentC({ path: tmp.file('d1.pcapng'), seed: 4, variant: 'same-connection' });
  const b = generateIncidentC({ path: tmp.file('d2.pcapng'), seed: 4, variant: 'same-connection' });
  assert.ok(sameBytes(a.path, b.path));
  assert.throws(() => generateIncidentC({ path: tmp.file('x'), seed: 1, variant: 'identical', writeSize: 1001 }), /writeSize/);
});
