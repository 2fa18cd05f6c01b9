import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builders, LABEL_KINDS } from './builders.js';
import { SegmentStore } from './segment-store.js';

/** Appends a key-segment row for `frame` to one of slot s's lists (0 first, 1 marked, 2 last). */
function row(B: Builders, s: number, which: 0 | 1 | 2, frame: number): void {
  const r = B.append(s, which);
  B.rows.frame[r] = frame;
  B.rows.seq[r] = frame * 10;
}

test('a slot holds only the stream it was started for, also past the initial columns', () => {
  const B = new Builders();
  // fresh slots hold nothing, whatever the stream (stream 0 included: the columns start at zero)
  assert.equal(B.holds(0, 0), false);
  assert.equal(B.holds(100_000, 0), false);
  B.start(3, 0);
  assert.equal(B.holds(3, 0), true);
  assert.equal(B.holds(3, 1), false);
  // a tracker slot beyond the columns grows them; the new slots hold nothing either
  B.start(5000, 42);
  assert.equal(B.holds(5000, 42), true);
  assert.equal(B.holds(4999, 0), false);
  assert.equal(B.holds(3, 0), true, 'growing keeps what the slots held');
  B.free(3);
  assert.equal(B.holds(3, 0), false);
});

test('key segments are merged into the store in frame order and their rows reused', () => {
  const B = new Builders();
  const store = new SegmentStore();
  B.start(7, 1);
  row(B, 7, 0, 1);
  row(B, 7, 0, 2);
  row(B, 7, 1, 4);
  row(B, 7, 2, 3);
  row(B, 7, 2, 6);
  row(B, 7, 1, 5);
  assert.equal(B.kept(7), 6);
  assert.equal(B.moveRows(7, store), 6);
  assert.deepEqual(store.facts(0, 6, 0n).map((s) => [s.frame, s.seq]), [[1, 10], [2, 20], [3, 30], [4, 40], [5, 50], [6, 60]]);
  B.free(7);
  // the same tracker slot, later another connection: a fresh builder over the freed rows
  B.start(7, 9);
  assert.equal(B.kept(7), 0);
  assert.equal(B.seen[7], 0);
  row(B, 7, 0, 20);
  assert.equal(B.moveRows(7, store), 1);
  assert.equal(store.frameAt(6), 20);
});

test('a slot restarted without being freed gives its rows back first', () => {
  const B = new Builders();
  const store = new SegmentStore();
  B.start(2, 1);
  for (let f = 1; f <= 10; f++) row(B, 2, 0, f);
  // the tracker reuses a slot only after ending its connection; should a builder be left over,
  // the new connection must not inherit its segments
  B.start(2, 5);
  assert.equal(B.kept(2), 0);
  row(B, 2, 0, 99);
  assert.equal(B.moveRows(2, store), 1);
  assert.equal(store.frameAt(0), 99);
});

test('the ring of the last segments keeps the newest ones, merged after the first and marked ones', () => {
  const B = new Builders();
  const store = new SegmentStore();
  B.start(0, 3);
  for (let f = 1; f <= 2; f++) row(B, 0, 0, f);
  row(B, 0, 1, 3);
  // twelve more into a ring of three: the last three stay (the ring's size is the caller's bound)
  for (let f = 4; f <= 15; f++) {
    if (B.lastN[0] < 3) row(B, 0, 2, f);
    else {
      const r = B.rotateLast(0);
      B.rows.frame[r] = f;
      B.rows.seq[r] = f * 10;
      B.rows.meta[r] = 5;
      B.rows.ipId[r] = -1;
    }
  }
  assert.equal(B.moveRows(0, store), 6);
  assert.deepEqual(store.facts(0, 6, 0n).map((s) => s.frame), [1, 2, 3, 13, 14, 15]);
  // meta 5: sent by the responder, keep-alive style 2
  const s = store.fact(5, 0n);
  assert.deepEqual([s.dir, s.keepAliveStyle, s.ipId, s.seq], [1, 2, -1, 150]);
});

test('label counts live in blocks taken by labelled slots only, zeroed and reused after the slot is freed', () => {
  const B = new Builders();
  B.start(1, 10);
  assert.equal(B.labelAt(1), -1, 'no block before a labelled segment');
  // 200 labelled slots: more blocks than the pool starts with
  for (let s = 2; s < 202; s++) {
    B.start(s, 100 + s);
    const at = B.labelBlock(s);
    assert.equal(B.labelBlock(s), at, 'the same block for the same slot');
    B.labels.counts[at + (s % LABEL_KINDS)] += s;
  }
  for (let s = 2; s < 202; s++) {
    const at = B.labelAt(s);
    for (let i = 0; i < LABEL_KINDS; i++) assert.equal(B.labels.counts[at + i], i === s % LABEL_KINDS ? s : 0, `slot ${s} label ${i}`);
  }
  const freed = B.labelAt(7);
  B.free(7);
  assert.equal(B.labelAt(7), -1);
  // the next block handed out is the freed one, zeroed
  B.start(1, 11);
  const at = B.labelBlock(1);
  assert.equal(at, freed);
  for (let i = 0; i < LABEL_KINDS; i++) assert.equal(B.labels.counts[at + i], 0);
  // a slot restarted without being freed gives its block back too
  B.start(1, 12);
  assert.equal(B.labelAt(1), -1);
});
