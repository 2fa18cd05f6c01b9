import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SegmentColumns, SegmentStore } from './segment-store.js';

/** A pool row with every column derived from `i` (so a misplaced copy shows). */
function fill(p: SegmentColumns, r: number, i: number): void {
  p.frame[r] = i + 1;
  p.rel[r] = i * 1000 + 7;
  p.seq[r] = (i * 2654435761) >>> 0;
  p.ack[r] = (i * 40503) >>> 0;
  p.len[r] = i % 1460;
  p.win[r] = i % 65536;
  p.labels[r] = i & 0xffff;
  p.flags[r] = i & 0x1ff;
  p.ipId[r] = i % 3 === 0 ? -1 : i & 0xffff;
  p.meta[r] = i & 7;
}

test('rows appended across chunk boundaries read back column by column and as facts', () => {
  const pool = new SegmentColumns(4);
  const store = new SegmentStore();
  // 65,536 rows is one chunk: 150,000 rows fill two and start a third
  const n = 150_000;
  for (let i = 0; i < n; i++) {
    fill(pool, i & 3, i);
    assert.equal(store.appendFrom(pool, i & 3), i);
  }
  assert.equal(store.length, n);
  for (const i of [0, 1, 65_535, 65_536, 65_537, 131_071, 131_072, n - 1]) {
    assert.equal(store.frameAt(i), i + 1, `frame of row ${i}`);
    assert.equal(store.relAt(i), i * 1000 + 7);
    assert.equal(store.seqAt(i), (i * 2654435761) >>> 0);
    assert.equal(store.ackAt(i), (i * 40503) >>> 0);
    assert.equal(store.lenAt(i), i % 1460);
    assert.equal(store.flagsAt(i), i & 0x1ff);
    assert.equal(store.dirAt(i), i & 1);
    assert.deepEqual(store.fact(i, 10n ** 18n), {
      frame: i + 1, ns: 10n ** 18n + BigInt(i * 1000 + 7), dir: i & 1, flags: i & 0x1ff, seq: (i * 2654435761) >>> 0, ack: (i * 40503) >>> 0,
      len: i % 1460, win: i % 65536, labels: i & 0xffff, keepAliveStyle: (i & 7) >> 1, ipId: i % 3 === 0 ? -1 : i & 0xffff,
    });
  }
  const run = store.facts(65_530, 65_540, 0n);
  assert.deepEqual(run.map((s) => s.frame), [65_531, 65_532, 65_533, 65_534, 65_535, 65_536, 65_537, 65_538, 65_539, 65_540]);
  // three chunks of 43-byte rows: the store holds what it uses plus at most one chunk
  assert.equal(store.bytes, 3 * 65_536 * 43);
});

test('an empty store holds no chunk', () => {
  const store = new SegmentStore();
  assert.equal(store.length, 0);
  assert.equal(store.bytes, 0);
  assert.deepEqual(store.facts(0, 0, 0n), []);
});
