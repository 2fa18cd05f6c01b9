import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../synth/tshark.js';
import { generateIncidentB, type IncidentBParams } from './incident-b.js';
import { checkGenerated, sameBytes } from './helpers.js';
import { fields, framesWhere, framesWith } from './oracle.js';

const tmp = tempDir();
after(() => tmp.done());

const FIELDS = ['tcp.srcport', 'tcp.dstport', 'tcp.flags.str', 'tcp.seq', 'tcp.ack', 'icmp.type', 'icmp.code', 'rpc.xid', 'rpc.program',
  'portmap.port', 'tcp.analysis.reused_ports', 'tcp.analysis.retransmission', 'tcp.analysis.ack_lost_segment'];

async function run(name: string, p: Omit<IncidentBParams, 'path'>) {
  const g = generateIncidentB({ ...p, path: tmp.file(name) });
  const warnings = await checkGenerated(g);
  const rows = fields(g.path, FIELDS);
  const f = g.expect.facts;
  // portmap said which port, and the burst goes there
  assert.equal(rows[f.getportReply - 1]['portmap.port'], String(f.serverPort));
  assert.equal(rows[f.getportCall - 1]['rpc.xid'], rows[f.getportReply - 1]['rpc.xid']);
  // the burst: SYNs from one source port, different ISNs
  const synSeqs = f.burstSyns.map((n) => rows[n - 1]);
  for (const r of synSeqs) {
    assert.equal(r['tcp.flags.str'].replace(/·/g, '').trim(), 'S');
    assert.equal(r['tcp.srcport'], String(f.clientPort));
    assert.equal(r['tcp.dstport'], String(f.serverPort));
  }
  assert.deepEqual(synSeqs.map((r) => Number(r['tcp.seq'])), f.isns);
  assert.equal(new Set(f.isns).size, f.isns.length);
  // tshark sees every later SYN of the burst as the port being reused
  for (const n of f.burstSyns.slice(1)) assert.ok(rows[n - 1]['tcp.analysis.reused_ports'] !== '', `frame ${n} reused ports`);
  // the SYN-ACK acknowledges the first ISN, which the client has replaced
  assert.equal(Number(rows[f.synAck - 1]['tcp.ack']), (f.ackedIsn + 1) >>> 0);
  assert.notEqual(f.ackedIsn, f.newestIsn);
  return { g, rows, warnings };
}

test('B with a client firewall, mirroring seed 002 frames 809763-810903: 4 SYNs, stale SYN-ACKs, ICMP 3/13 quoting them', async () => {
  const { g, rows, warnings } = await run('b-fw.pcapng', { seed: 5, mode: 'firewall', burst: 4 });
  const f = g.expect.facts;
  assert.deepEqual(framesWhere(rows, 'icmp.type', '3'), f.icmp);
  for (const n of f.icmp) assert.equal(rows[n - 1]['icmp.code'], '13');
  // the quoted packet is the server's SYN-ACK: tshark decodes the quoted TCP ports in the same fields
  for (const n of f.icmp) {
    assert.equal(rows[n - 1]['tcp.srcport'], String(f.serverPort));
    assert.equal(rows[n - 1]['tcp.dstport'], String(f.clientPort));
    assert.equal(Number(rows[n - 1]['tcp.ack']), (f.ackedIsn + 1) >>> 0);
  }
  assert.equal(f.icmp.length, f.staleSynAcks.length);
  // the client re-sends its newest SYN after 1 s, 3 s, 7 s (back-off 1, 2, 4)
  assert.ok(f.synRetransmissions.length >= 3);
  for (const n of f.synRetransmissions) {
    assert.equal(Number(rows[n - 1]['tcp.seq']), f.newestIsn);
    assert.ok(rows[n - 1]['tcp.analysis.retransmission'] !== '');
  }
  assert.equal(f.completedAck, null);
  // tshark's only complaint is the one a diagnosis explains: SYN-ACKs acknowledging unseen data
  for (const w of warnings) assert.match(w.message, /ACKed segment that wasn't captured|ACKed unseen/i, `${w.frame}: ${w.message}`);
  assert.ok(warnings.some((w) => w.frame === f.synAck));
});

test('B with ICMP code 10 (iptables icmp-host-prohibited, the text of the seed trace) and 2 SYNs, finally completing', async () => {
  const { g, rows } = await run('b-fw10.pcapng', { seed: 6, mode: 'firewall', burst: 2, icmpCode: 10, completes: true, retrySeconds: 8 });
  const f = g.expect.facts;
  for (const n of f.icmp) assert.equal(rows[n - 1]['icmp.code'], '10');
  assert.ok(f.completedAck !== null && f.durationS > 8);
  assert.equal(g.expect.findings.find((x) => x.rule === 'tcp/handshake-failed')?.metrics.completed, 'yes');
});

test('B without a firewall, mirroring seed 002 frames 48-62: SYN pairs, RST from the client, RST,ACK from the server, three cycles in milliseconds', async () => {
  const { g, rows } = await run('b-rst.pcapng', { seed: 8, mode: 'rst', burst: 2, program: 'nfs', completes: true });
  const f = g.expect.facts;
  assert.equal(f.serverPort, 2049);
  assert.equal(f.rstCycles.length, 3);
  assert.deepEqual(framesWith(rows, 'icmp.type'), []);
  for (const c of f.rstCycles) {
    const [s1, s2, sa, rst, ra] = c.map((n) => rows[n - 1]);
    assert.equal(Number(sa['tcp.ack']), (Number(s1['tcp.seq']) + 1) >>> 0);
    assert.equal(rst['tcp.flags.str'].replace(/·/g, '').trim(), 'R');
    assert.equal(rst['tcp.seq'], sa['tcp.ack']); // RST at SEG.ACK of the unacceptable SYN-ACK
    assert.equal(ra['tcp.seq'], '0');
    assert.equal(Number(ra['tcp.ack']), (Number(s2['tcp.seq']) + 1) >>> 0);
  }
  assert.ok(f.durationS < 0.05, `cycles within milliseconds: ${f.durationS}`);
  assert.ok(f.completedAck !== null);
  assert.ok(g.expect.findings.find((x) => x.rule === 'tcp/syn-burst')?.metrics.rst_cycles === 3);
});

test('B generation is deterministic and validates the burst size', () => {
  const a = generateIncidentB({ path: tmp.file('d1.pcapng'), seed: 2, mode: 'firewall', burst: 3 });
  const b = generateIncidentB({ path: tmp.file('d2.pcapng'), seed: 2, mode: 'firewall', burst: 3 });
  assert.ok(sameBytes(a.path, b.path));
  assert.throws(() => generateIncidentB({ path: tmp.file('x'), seed: 1, mode: 'rst', burst: 5 }), /burst/);
});
