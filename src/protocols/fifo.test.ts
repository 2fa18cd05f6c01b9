import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FifoMap } from './fifo.js';

test('FifoMap gives up entries in the order they were last set, skipping deleted ones', () => {
  const m = new FifoMap<string, number>();
  m.set('a', 1);
  m.set('b', 2);
  m.set('c', 3);
  m.delete('b');
  m.set('a', 4); // set again: now the newest
  assert.equal(m.shift(), 3);
  assert.equal(m.shift(), 4);
  assert.equal(m.shift(), undefined);
  assert.equal(m.size, 0);
});

test('FifoMap against a plain model under random churn; its ring stays proportional to live entries', () => {
  let x = 12345;
  const rnd = (n: number): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
  const m = new FifoMap<number, { k: number }>();
  let model: { k: number; v: { k: number } }[] = [];
  for (let i = 0; i < 200_000; i++) {
    const op = rnd(10);
    const k = rnd(5000);
    if (op < 5) {
      const v = { k };
      m.set(k, v);
      model = model.filter((e) => e.k !== k);
      model.push({ k, v });
    } else if (op < 8) {
      m.delete(k);
      model = model.filter((e) => e.k !== k);
    } else {
      const got = m.shift();
      const want = model.shift();
      assert.equal(got, want?.v);
    }
    if (i % 5000 === 0) {
      assert.equal(m.size, model.length);
      const ring = (m as unknown as { keys: number[]; head: number });
      assert.ok(ring.keys.length - ring.head <= 2 * m.size + 1024 + 1);
    }
  }
});
