import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seqGt, seqLe } from '../bytes/seq.js';
import { MAX_UNACKED_SEGMENTS, UnackedRing } from './unacked.js';
import { uniform } from '../../test/synth/rng.js';

/** Wireshark's list, literally: every ACK walks every segment. The ring must agree with it. */
class NaiveList {
  segs: { seq: number; next: number; frame: number; ts: number }[] = [];
  ackedFrame = 0;
  ackedTs = 0;
  push(seq: number, next: number, frame: number, ts: number): void {
    if (this.segs.length >= MAX_UNACKED_SEGMENTS) return;
    this.segs.push({ seq, next, frame, ts });
  }
  ack(ack: number): void {
    this.ackedFrame = 0;
    const keep = [];
    for (const s of this.segs) {
      if (seqLe(s.next, ack)) {
        if (s.next === ack && this.ackedFrame === 0) {
          this.ackedFrame = s.frame;
          this.ackedTs = s.ts;
        }
        continue;
      }
      if (seqGt(ack, s.seq)) s.seq = ack;
      keep.push(s);
    }
    this.segs = keep;
  }
  span(base: number): number {
    if (this.segs.length === 0) return 0;
    let first = 0xffffffff;
    let last = 0;
    for (const s of this.segs) {
      first = Math.min(first, (s.seq - base) >>> 0);
      last = Math.max(last, (s.next - base) >>> 0);
    }
    return (last - first) >>> 0;
  }
}


function runScenario(seed: number, steps: number, isn: number, outOfOrder: number): void {
  const r = uniform(seed);
  const ring = new UnackedRing();
  const ref = new NaiveList();
  let sent = isn; // highest sequence number sent
  let acked = isn;
  let frame = 1;
  for (let i = 0; i < steps; i++) {
    const x = r();
    if (x < 0.6) {
      // a data segment: usually new data, sometimes back in sequence (retransmission, reordering)
      const len = 1 + Math.floor(r() * 1448);
      let seq = sent;
      if (r() < outOfOrder) seq = (acked + Math.floor(r() * Math.max(1, (sent - acked) >>> 0))) >>> 0;
      const next = (seq + len) >>> 0;
      if (seqGt(next, sent)) sent = next;
      const ts = frame * 1000 + 0.5;
      ring.push(seq, next, frame, ts);
      ref.push(seq, next, frame, ts);
      frame++;
    } else {
      // an ACK: mostly at a segment end, sometimes in the middle, sometimes old
      const inFlight = (sent - acked) >>> 0;
      let a = (acked + Math.floor(r() * (inFlight + 1))) >>> 0;
      if (r() < 0.5 && ref.segs.length > 0) a = ref.segs[Math.floor(r() * ref.segs.length)].next;
      if (r() < 0.05) a = (acked - Math.floor(r() * 3000)) >>> 0;
      ring.ack(a);
      ref.ack(a);
      if (seqGt(a, acked)) acked = a;
      assert.equal(ring.ackedFrame, ref.ackedFrame, `seed ${seed} step ${i}: acked frame`);
      if (ref.ackedFrame !== 0) assert.equal(ring.ackedTs, ref.ackedTs);
    }
    assert.equal(ring.count, ref.segs.length, `seed ${seed} step ${i}: count`);
    assert.equal(ring.span(isn), ref.span(isn), `seed ${seed} step ${i}: span`);
  }
}

test('the ring agrees with a naive walk of every segment, in order and out of order', () => {
  for (let seed = 1; seed <= 40; seed++) runScenario(seed, 2000, (seed * 0x9e3779b9) >>> 0, seed % 4 === 0 ? 0 : 0.1);
});

test('heavy reordering (a large side list) still agrees', () => {
  for (let seed = 100; seed < 110; seed++) runScenario(seed, 3000, 0xfffff000, 0.6);
});

test('sequence numbers wrapping around 2^32 inside the ring', () => {
  for (let seed = 200; seed < 210; seed++) runScenario(seed, 3000, 0xffffffff - 50_000, 0.05);
});

test('at most MAX_UNACKED_SEGMENTS are recorded; an ACK of everything empties the ring', () => {
  const ring = new UnackedRing();
  for (let i = 0; i < MAX_UNACKED_SEGMENTS + 10; i++) ring.push(i * 10, i * 10 + 10, i + 1, i);
  assert.equal(ring.count, MAX_UNACKED_SEGMENTS);
  ring.push(5, 15, 99_999, 0); // out of order, also refused while full
  assert.equal(ring.count, MAX_UNACKED_SEGMENTS);
  ring.ack(MAX_UNACKED_SEGMENTS * 10);
  assert.equal(ring.count, 0);
  assert.equal(ring.ackedFrame, MAX_UNACKED_SEGMENTS);
  assert.equal(ring.span(0), 0);
});

test('the oldest of several segments ending at the ACK wins, in the ring or out of order', () => {
  const ring = new UnackedRing();
  ring.push(100, 200, 1, 10);
  ring.push(200, 300, 2, 20);
  ring.push(100, 200, 3, 30); // retransmission of frame 1: out of order
  ring.ack(150); // cuts frame 1 and its retransmission
  assert.equal(ring.ackedFrame, 0);
  assert.equal(ring.span(0), 150);
  ring.ack(200);
  assert.equal(ring.ackedFrame, 1);
  assert.equal(ring.ackedTs, 10);
  assert.equal(ring.count, 1);

  // an out-of-order entry older than the ring's match: the main ring emptied meanwhile
  const r2 = new UnackedRing();
  r2.push(1000, 1100, 1, 1);
  r2.push(500, 600, 2, 2); // goes back: side list
  r2.ack(1100); // empties the main ring, the side entry stays (it ends before 1100? no: removed)
  assert.equal(r2.count, 0);
  r2.push(1100, 1200, 3, 3);
  r2.push(1050, 1300, 4, 4); // side
  r2.push(1200, 1300, 5, 5); // main again
  r2.ack(1300);
  assert.equal(r2.ackedFrame, 4, 'frame 4 was sent before frame 5');
});
