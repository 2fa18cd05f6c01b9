import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_HELD_SEGMENTS, StreamDirection, type GapReason, type StreamSink } from './stream.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../wire/packet.js';

type Ev = { kind: 'data'; text: string; at: number; frame: number } | { kind: 'gap'; bytes: number; at: number; reason: GapReason } | { kind: 'end'; how: string };

function recorder(): { sink: StreamSink; ev: Ev[]; text(): string } {
  const ev: Ev[] = [];
  return {
    ev,
    sink: {
      onData: (b, off, len, at, frame) => ev.push({ kind: 'data', text: Buffer.from(b.subarray(off, off + len)).toString('latin1'), at, frame }),
      onGap: (bytes, at, _f, reason) => ev.push({ kind: 'gap', bytes, at, reason }),
      onEnd: (how) => ev.push({ kind: 'end', how }),
    },
    text: () => ev.map((e) => (e.kind === 'data' ? e.text : e.kind === 'gap' ? `[${e.reason}:${e.bytes}]` : `<${e.how}>`)).join(''),
  };
}

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
let frameNo = 0;
function seg(d: StreamDirection, seq: number, data: string, flags = TCP_ACK, wireLen = data.length): void {
  const b = bytes('xx' + data); // payload at offset 2, as inside a frame
  d.segment(seq, flags, b, 2, data.length, wireLen, ++frameNo, 0, 0);
}

test('SYN start: in-order bytes, offsets from ISN+1, FIN ends', () => {
  const r = recorder();
  const d = new StreamDirection(r.sink);
  seg(d, 1000, '', TCP_SYN);
  seg(d, 1001, 'hello ');
  seg(d, 1007, 'world', TCP_ACK | TCP_FIN);
  assert.equal(r.text(), 'hello world<fin>');
  assert.deepEqual(r.ev.filter((e) => e.kind === 'data').map((e) => (e as { at: number }).at), [0, 6]);
});

test('mid-stream start reports a midstream gap first', () => {
  const r = recorder();
  const d = new StreamDirection(r.sink);
  seg(d, 5000, 'abc');
  assert.equal(r.text(), '[midstream:0]abc');
});

test('retransmitted and overlapping bytes are delivered once', () => {
  const r = recorder();
  const d = new StreamDirection(r.sink);
  seg(d, 0, '', TCP_SYN);
  seg(d, 1, 'abcd');
  seg(d, 1, 'abcd'); // full retransmission
  seg(d, 3, 'cdefg'); // overlaps 2 bytes
  seg(d, 4294967295 + 1, ''); // empty ACK
  assert.equal(r.text(), 'abcdefg');
  assert.equal(d.stats.duplicateBytes, 6);
});

test('out-of-order segments are held and delivered when the hole fills', () => {
  const r = recorder();
  const d = new StreamDirection(r.sink);
  seg(d, 0, '', TCP_SYN);
  seg(d, 5, 'efgh');
  seg(d, 9, 'ij');
  assert.equal(r.text(), '');
  seg(d, 1, 'abcd');
  assert.equal(r.text(), 'abcdefghij');
});

test('sequence numbers wrap around 2^32', () => {
  const r = recorder();
  const d = new StreamDirection(r.sink);
  seg(d, 0xfffffffd, '', TCP_SYN); // data starts at 0xfffffffe
  seg(d, 0x00000000, 'cd'); // held: after the wrap
  seg(d, 0xfffffffe, 'ab', TCP_ACK);
  seg(d, 0xffffffff, 'bc'); // overlap across the wrap
  assert.equal(r.text(), 'abcd');
});

test("the peer's ACK past a hole declares it lost and releases held data", () => {
  const r = recorder();
  const d = new StreamDirection(r.sink);
  seg(d, 0, '', TCP_SYN);
  seg(d, 1, 'ab');
  seg(d, 6, 'fg'); // bytes 3..5 never captured
  d.peerAck(3, 99); // not past the hole: nothing
  assert.equal(r.text(), 'ab');
  d.peerAck(8, 100);
  assert.equal(r.text(), 'ab[lost:3]fg');
});

test('snaplen-cut payload becomes a snaplen gap of the missing bytes', () => {
  const r = recorder();
  const d = new StreamDirection(r.sink);
  seg(d, 0, '', TCP_SYN);
  seg(d, 1, 'abc', TCP_ACK, 10); // 10 bytes on the wire, 3 captured
  seg(d, 11, 'k');
  assert.equal(r.text(), 'abc[snaplen:7]k');
  assert.equal(d.stats.snaplenGaps, 1);
});

test('reorder buffer overflow declares the hole and counts it', () => {
  const r = recorder();
  const d = new StreamDirection(r.sink);
  seg(d, 0, '', TCP_SYN);
  for (let i = 0; i <= MAX_HELD_SEGMENTS; i++) seg(d, 100 + i, 'x'); // hole at 1..99
  assert.equal(d.stats.overflowGaps, 1);
  assert.ok(r.text().startsWith('[overflow:99]x'));
});

test('flush delivers held segments at end of capture; RST ends', () => {
  const r = recorder();
  const d = new StreamDirection(r.sink);
  seg(d, 0, '', TCP_SYN);
  seg(d, 4, 'd');
  d.flush(50);
  seg(d, 5, '', TCP_RST);
  assert.equal(r.text(), '[lost:3]d<rst>');
});

test('segment views are copied when held (the frame buffer may be reused)', () => {
  const r = recorder();
  const d = new StreamDirection(r.sink);
  seg(d, 0, '', TCP_SYN);
  const b = bytes('later');
  d.segment(3, TCP_ACK, b, 0, 5, 5, 1, 0, 0);
  b.fill(0x21);
  seg(d, 1, 'ab');
  assert.equal(r.text(), 'ablater');
});

test('parked numbers resume a direction exactly; rebind moves the rest of a segment to the new sink', () => {
  // one direction throughout, against the same segments through parked numbers and a fresh
  // object per segment (as the protocol pass runs its undecided connections)
  const whole = recorder();
  const d = new StreamDirection(whole.sink);
  const parts = recorder();
  let parked = { running: false, next: 0, offset: 0, fin: false };
  const segs: [number, string, number][] = [[7000, '', TCP_SYN], [7001, 'ab', TCP_ACK], [7001, 'abcd', TCP_ACK], [7005, 'ef', TCP_ACK | TCP_FIN], [7005, 'ef', TCP_ACK | TCP_FIN]];
  for (const [s, text, flags] of segs) {
    seg(d, s, text, flags);
    const p = new StreamDirection(parts.sink);
    p.unpark(parked.running, parked.next, parked.offset, parked.fin);
    seg(p, s, text, flags);
    assert.ok(p.canPark);
    parked = { running: p.isRunning, next: p.nextSeq, offset: p.position, fin: p.finSeen };
  }
  assert.equal(parts.text(), whole.text());
  assert.equal(whole.text(), 'abcdef<fin>');

  // rebind inside onData: the snaplen gap of the same segment reaches the new sink
  const second = recorder();
  let d2: StreamDirection | null = null;
  const first: StreamSink = {
    onData: () => d2!.rebind(second.sink),
    onGap: () => assert.fail('the gap belongs to the new sink'),
  };
  d2 = new StreamDirection(first);
  seg(d2, 100, '', TCP_SYN);
  seg(d2, 101, 'abc', TCP_ACK, 10);
  assert.equal(second.text(), '[snaplen:7]');
});
