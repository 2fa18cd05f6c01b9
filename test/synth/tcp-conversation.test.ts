// Conversations written to pcapng and analysed by tshark: its TCP analysis labels must be exactly
// what the simulator says it did (each frame's comment names what it is), and the sequence
// arithmetic must hold across 2^32.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PcapngWriter } from './pcapng-writer.js';
import { MS, TcpConversation, type ConversationConfig, type SynthFrame } from './tcp-conversation.js';
import { tempDir, tsharkFields, tsharkTcpLabels } from './tshark.js';

const BASE: ConversationConfig = {
  seed: 11,
  client: { ip: '10.1.0.1', port: 43210 },
  server: { ip: '10.2.0.2', port: 5001 }, // an unassigned port: tshark adds no application layer
};

function writePcapng(file: string, frames: SynthFrame[]): void {
  const w = new PcapngWriter(file);
  const id = w.iface({ linkType: frames[0].linkType, tsresol: 9 });
  for (const f of frames) w.packet(id, f.tsSec, f.tsNsec, f.data, f.origLen, f.comment);
  w.close();
}

/** The labels tshark should give each frame, from the simulator's own account of the frame. */
function expectedFromComments(frames: SynthFrame[]): Map<number, string[]> {
  const rules: [RegExp, string[]][] = [
    [/duplicate ACK/, ['duplicate_ack']],
    [/fast retransmission/, ['fast_retransmission', 'retransmission']],
    [/retransmission after RTO/, ['retransmission']],
    [/keep-alive \(/, ['keep_alive']],
    [/ACK of keep-alive/, ['keep_alive_ack']],
    [/ zero-window probe \(1 byte\)/, ['zero_window_probe']],
    [/ACK of zero-window probe/, ['zero_window_probe_ack']],
    [/window update/, ['window_update']],
    [/\[window 0\]/, ['zero_window']],
    [/fills the window advertised at the tap/, ['window_full']],
  ];
  const out = new Map<number, string[]>();
  frames.forEach((f, i) => {
    const labels = rules.filter(([re]) => re.test(f.comment)).flatMap(([, l]) => l);
    if (labels.length) out.set(i + 1, [...new Set(labels)].sort());
  });
  return out;
}

function labelsOf(frames: SynthFrame[]): Map<number, string[]> {
  const t = tempDir();
  try {
    const file = t.file('c.pcapng');
    writePcapng(file, frames);
    return tsharkTcpLabels(file);
  } finally {
    t.done();
  }
}

const show = (frames: SynthFrame[]) => frames.map((f, i) => `${i + 1}: ${f.comment}`).join('\n');

test('one segment lost after the tap: duplicate ACKs and one fast retransmission, exactly as tshark labels them', () => {
  const conv = new TcpConversation(BASE).connect().send('client', 200).send('server', 300).send('client', 10 * 1448, { lose: [3] });
  const frames = conv.close('client').finish();
  const got = labelsOf(frames);
  assert.deepEqual(got, expectedFromComments(frames), show(frames));
  const fast = [...got.values()].filter((l) => l.includes('fast_retransmission')).length;
  const dups = [...got.values()].filter((l) => l.includes('duplicate_ack')).length;
  assert.equal(fast, 1);
  // segments 4..9 arrive after the hole. The receiver had acknowledged through segment 1 (an ACK
  // every second segment) and held segment 2's ACK back, so the first out-of-order arrival still
  // moves the ACK forward; the other five repeat it: 5 duplicate ACKs
  assert.equal(dups, 5);
});

test('the last segment of a write lost: no duplicate ACKs, a retransmission after the RTO', () => {
  // the last segment of a write is lost: no later segments, so no duplicate ACKs; only the RTO
  const conv = new TcpConversation(BASE).connect().send('client', 4 * 1448, { lose: [3] });
  const frames = conv.close('client').finish();
  const got = labelsOf(frames);
  assert.deepEqual(got, expectedFromComments(frames), show(frames));
  const rto = frames.findIndex((f) => f.comment.includes('retransmission after RTO'));
  assert.ok(rto > 0, show(frames));
  // the RTO fired no earlier than the minimum (200 ms) after the original
  const orig = frames.findIndex((f) => f.comment.includes('segment 3 of the write'));
  const dt = (frames[rto].tsSec - frames[orig].tsSec) * 1e9 + frames[rto].tsNsec - frames[orig].tsNsec;
  assert.ok(dt >= 200 * MS && dt < 300 * MS, `RTO after ${dt} ns`);
});

test('a frame missing from the capture only: previous segment not captured, then ACKed unseen segment', () => {
  const conv = new TcpConversation(BASE).connect().send('client', 6 * 1448, { captureDrop: [2] });
  const frames = conv.close('client').finish();
  const got = labelsOf(frames);
  const gapAt = frames.findIndex((f) => f.comment.includes('segment 3 of the write')) + 1;
  // the first ACK that covers the dropped segment (IPv4 over Ethernet: the ACK field is at 42)
  const ackOf = (f: SynthFrame) => new DataView(f.data.buffer, f.data.byteOffset).getUint32(42);
  const seqOf = (f: SynthFrame) => new DataView(f.data.buffer, f.data.byteOffset).getUint32(38);
  const droppedEnd = seqOf(frames[gapAt - 1]);
  const ackedUnseen = frames.findIndex((f) => f.comment.startsWith('server') && ((ackOf(f) - droppedEnd) | 0) >= 0) + 1;
  assert.ok(ackedUnseen > gapAt);
  const want = expectedFromComments(frames);
  want.set(gapAt, ['lost_segment']);
  want.set(ackedUnseen, ['ack_lost_segment']);
  assert.deepEqual(got, want, show(frames));
});

test('reordering: the late segment is out-of-order, the early one follows a gap, the receiver sends a duplicate ACK', () => {
  const conv = new TcpConversation(BASE).connect().send('client', 8 * 1448, { reorder: [4] });
  const frames = conv.close('client').finish();
  const got = labelsOf(frames);
  const late = frames.findIndex((f) => f.comment.includes('segment 4 of the write')) + 1;
  const early = frames.findIndex((f) => f.comment.includes('segment 5 of the write')) + 1;
  assert.equal(late, early + 1, 'the delayed segment passes the tap right after the next one');
  const want = expectedFromComments(frames);
  want.set(early, ['lost_segment']);
  want.set(late, ['out_of_order']);
  assert.deepEqual(got, want, show(frames));
});

test('keep-alives in Linux and Windows style and their ACKs', () => {
  const conv = new TcpConversation(BASE).connect().send('client', 100).send('server', 100).idle(5000 * MS);
  conv.keepAlive('client', 'linux').idle(1000 * MS).keepAlive('server', 'windows');
  const frames = conv.close('server', 5 * MS).finish();
  const got = labelsOf(frames);
  assert.deepEqual(got, expectedFromComments(frames), show(frames));
  assert.equal([...got.values()].filter((l) => l.includes('keep_alive')).length, 2);
  assert.equal([...got.values()].filter((l) => l.includes('keep_alive_ack')).length, 2);
  const win = frames.find((f) => f.comment.includes('Windows style'));
  assert.ok(win && win.origLen === 14 + 20 + 32 + 1, 'the Windows probe carries one byte');
});

test('zero window: window full, zero window, probes and their ACKs, window update', () => {
  const conv = new TcpConversation({ ...BASE, server: { ...BASE.server, recvBuffer: 8 * 1024, wscale: null } });
  conv.connect().pauseReading('server').write('client', 20 * 1024).idle(1500 * MS).resumeReading('server').waitDelivered('client');
  const frames = conv.close('client').finish();
  const got = labelsOf(frames);
  assert.deepEqual(got, expectedFromComments(frames), show(frames));
  const all = [...got.values()].flat();
  for (const l of ['window_full', 'zero_window', 'zero_window_probe', 'zero_window_probe_ack', 'window_update']) assert.ok(all.includes(l), `${l} missing\n${show(frames)}`);
});

test('ISNs just below 2^32: sequence and ACK numbers wrap, tshark finds nothing wrong', () => {
  const cfg = { ...BASE, client: { ...BASE.client, isn: 0xffffffff }, server: { ...BASE.server, isn: 0xfffff000 } };
  const conv = new TcpConversation(cfg).connect().send('client', 3000).send('server', 50_000);
  const frames = conv.close('client').finish();
  const t = tempDir();
  try {
    const file = t.file('wrap.pcapng');
    writePcapng(file, frames);
    assert.deepEqual(tsharkTcpLabels(file), new Map());
    const rows = tsharkFields(file, ['tcp.seq', 'tcp.ack', 'tcp.len', 'tcp.flags.str', 'tcp.checksum.status'], ['tcp.relative_sequence_numbers:FALSE', 'tcp.check_checksum:TRUE']);
    assert.equal(rows[0]['tcp.seq'], String(0xffffffff));
    assert.equal(rows[1]['tcp.ack'], '0', 'SYN-ACK acknowledges ISN + 1 = 0 (mod 2^32)');
    assert.ok(rows.every((r) => r['tcp.checksum.status'] === '1'));
    // the server's last data ends at ISN + 1 + 50000 (mod 2^32), and the client ACKs exactly that
    const end = (0xfffff000 + 1 + 50_000) >>> 0;
    assert.ok(rows.some((r) => r['tcp.ack'] === String(end)));
  } finally {
    t.done();
  }
});

test('IPv6 with QinQ tags, SLL2 and raw links; snaplen cuts keep the original length', () => {
  const v6 = { ...BASE, client: { ...BASE.client, ip: '2001:db8::10' }, server: { ...BASE.server, ip: '2001:db8::20' } };
  for (const cfg of [
    { ...v6, vlans: [10, 20], qinq: true },
    { ...BASE, link: 'sll2' as const },
    { ...v6, link: 'raw' as const, snaplen: 96 },
  ]) {
    const conv = new TcpConversation(cfg).connect().send('client', 5000, { lose: [1] }).send('server', 2000);
    const frames = conv.close('client').finish();
    assert.deepEqual(labelsOf(frames), expectedFromComments(frames), `${cfg.link ?? 'ethernet'}\n${show(frames)}`);
    if (cfg.snaplen) {
      assert.ok(frames.some((f) => f.data.length === 96 && f.origLen > 96));
      assert.ok(frames.every((f) => f.data.length <= 96));
    }
  }
});

test('deterministic for a seed; another seed gives other ISNs', () => {
  const run = (seed: number) => new TcpConversation({ ...BASE, seed, jitterNs: 50_000 }).connect().send('client', 20_000, { lossRate: 0.1 }).send('server', 20_000, { reorderRate: 0.1 }).close('client').finish();
  const a = run(5);
  const b = run(5);
  const c = run(6);
  assert.deepEqual(a.map((f) => [f.tsSec, f.tsNsec, Buffer.from(f.data).toString('hex')]), b.map((f) => [f.tsSec, f.tsNsec, Buffer.from(f.data).toString('hex')]));
  assert.notDeepEqual(a[0].data, c[0].data);
  // timestamps never go backwards in the capture
  for (let i = 1; i < a.length; i++) assert.ok(a[i].tsSec * 1e9 + a[i].tsNsec >= a[i - 1].tsSec * 1e9 + a[i - 1].tsNsec);
});
