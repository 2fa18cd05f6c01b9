import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PayloadRing, RingPool, RING_BYTES } from './payload-ring.js';

const bytes = (n: number, f: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(i) & 0xff);

test('a retransmission with the same bytes is quiet; one with other bytes names offset, count and first frame', () => {
  const pool = new RingPool();
  const r = pool.get() as PayloadRing;
  const seq0 = 0xffff_f000; // wraps within the stream
  const data = bytes(20000, (i) => i * 7);
  for (let i = 0; i < 20; i++) r.take((seq0 + i * 1000) >>> 0, data, i * 1000, 1000, 10 + i, false, pool.stats, pool);
  assert.equal(r.take((seq0 + 5000) >>> 0, data, 5000, 1000, 99, true, pool.stats, pool), null);
  const bad = data.slice(5000, 6000);
  bad.fill(0, 100, 116);
  bad[100] = data[5100]; // first zeroed byte happens to match: the difference starts at 101
  const d = r.take((seq0 + 5000) >>> 0, bad, 0, 1000, 100, true, pool.stats, pool);
  assert.ok(d);
  assert.equal(d.firstDiff, 101);
  assert.equal(d.firstFrame, 15);
  assert.equal(d.differing, bad.slice(100, 116).filter((b, i) => b !== data[5100 + i]).length);
  assert.equal(pool.stats.compared, 2);
  assert.equal(pool.stats.differing, 1);
});

test('bytes older than the ring are not compared, and counted', () => {
  const pool = new RingPool();
  const r = pool.get() as PayloadRing;
  const chunk = bytes(1000, (i) => i);
  let seq = 1;
  for (let i = 0; i < (RING_BYTES / 1000) + 10; i++, seq += 1000) r.take(seq, chunk, 0, 1000, i + 1, false, pool.stats, pool);
  assert.equal(r.take(1, bytes(1000, () => 0), 0, 1000, 999, true, pool.stats, pool), null);
  assert.equal(pool.stats.notCompared, 1);
  assert.equal(r.bytes, RING_BYTES);
});
