import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builders, LABEL_KINDS, RING_FIELDS, R_FRAME, R_IPID, R_META, R_SEQ } from './builders.js';
import { SegmentStore } from './segment-store.js';
import { KEY_SEGMENTS_LAST } from './trace.js';

/** Appends a key-segment row for `frame` to one of slot s's lists (0 first, 1 marked, 2 the ring
 *  of the last ones). */
function row(B: Builders, s: number, which: 0 | 1 | 2, frame: number): void {
  if (which === 2) {
    const o = B.lastRow(s);
    const v = B.rings.v;
    v[o + R_FRAME] = frame;
    v[o + R_SEQ] = frame * 10;
    v[o + R_META] = 5;
    v[o + R_IPID] = -1;
    return;
  }
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
  // 3 * KEY_SEGMENTS_LAST + 3 more into the ring, with a marked one among them: the newest
  // KEY_SEGMENTS_LAST stay, and the marked one is merged between them by frame
  const last = 4 + 3 * KEY_SEGMENTS_LAST + 3;
  for (let f = 4; f <= last; f++) row(B, 0, f === last - 2 ? 1 : 2, f);
  const n = 4 + KEY_SEGMENTS_LAST;
  assert.equal(B.kept(0), n);
  assert.equal(B.moveRows(0, store), n);
  const want = [1, 2, 3];
  for (let f = last - KEY_SEGMENTS_LAST; f <= last; f++) want.push(f);
  assert.deepEqual(store.facts(0, n, 0n).map((s) => s.frame), want);
  // meta 5: sent by the responder, keep-alive style 2
  const s = store.fact(n - 1, 0n);
  assert.deepEqual([s.dir, s.keepAliveStyle, s.ipId, s.seq], [1, 2, -1, last * 10]);
  assert.equal(store.fact(n - 3, 0n).frame, last - 2, 'the marked row');
});

test('a ring that never filled merges from its start; ring blocks are reused after the slot is freed', () => {
  const B = new Builders();
  const store = new SegmentStore();
  B.start(4, 1);
  row(B, 4, 0, 1);
  row(B, 4, 2, 2);
  row(B, 4, 1, 3);
  row(B, 4, 2, 4);
  assert.equal(B.moveRows(4, store), 4);
  assert.deepEqual(store.facts(0, 4, 0n).map((s) => s.frame), [1, 2, 3, 4]);
  const block = B.lastRow(4) - RING_FIELDS * 2;
  B.free(4);
  // many slots with a ring each: more blocks than the pool starts with; the freed block first
  B.start(9, 2);
  assert.equal(B.lastRow(9), block);
  for (let s = 10; s < 300; s++) {
    B.start(s, s);
    for (let f = 0; f <= KEY_SEGMENTS_LAST; f++) row(B, s, 2, s * 100 + f);
  }
  for (let s = 10; s < 300; s += 97) {
    const at = store.length;
    assert.equal(B.moveRows(s, store), KEY_SEGMENTS_LAST);
    assert.deepEqual(store.facts(at, store.length, 0n).map((x) => x.frame), Array.from({ length: KEY_SEGMENTS_LAST }, (_, i) => s * 100 + i + 1));
  }
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
    B.labels.v[at + (s % LABEL_KINDS)] += s;
  }
  for (let s = 2; s < 202; s++) {
    const at = B.labelAt(s);
    for (let i = 0; i < LABEL_KINDS; i++) assert.equal(B.labels.v[at + i], i === s % LABEL_KINDS ? s : 0, `slot ${s} label ${i}`);
  }
  const freed = B.labelAt(7);
  B.free(7);
  assert.equal(B.labelAt(7), -1);
  // the next block handed out is the freed one, zeroed
  B.start(1, 11);
  const at = B.labelBlock(1);
  assert.equal(at, freed);
  for (let i = 0; i < LABEL_KINDS; i++) assert.equal(B.labels.v[at + i], 0);
  // a slot restarted without being freed gives its block back too
  B.start(1, 12);
  assert.equal(B.labelAt(1), -1);
});

test('freeing a slot that holds no connection gives back nothing (the pool stays sound)', () => {
  const B = new Builders();
  const store = new SegmentStore();
  B.start(0, 1);
  row(B, 0, 0, 1);
  // slots 1 and 5000 were never started: their list heads are zero, not rows of theirs
  B.free(1);
  B.free(5000);
  B.start(2, 2);
  row(B, 2, 0, 2);
  row(B, 2, 0, 3);
  assert.equal(B.moveRows(0, store), 1);
  assert.equal(B.moveRows(2, store), 2);
  assert.deepEqual(store.facts(0, 3, 0n).map((s) => s.frame), [1, 2, 3]);
});
