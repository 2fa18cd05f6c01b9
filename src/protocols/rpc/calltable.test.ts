import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallTable } from './calltable.js';

interface V { id: number }

test('behaves like a Map in insertion order under random sets, deletes and evictions', () => {
  let seed = 99;
  const rnd = (n: number): number => Math.floor(((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * n);
  const t = new CallTable<V>();
  const ref = new Map<string, V>(); // insertion order = eviction order (values are set once)
  let id = 0;
  for (let step = 0; step < 60000; step++) {
    // few pairs and XIDs near 2^32 so keys collide in the hash and in their low bits
    const pair = rnd(5);
    const xid = (0xfffff000 + rnd(3000)) >>> 0;
    const k = `${pair}|${xid}`;
    const op = rnd(10);
    if (op < 5) {
      const v = { id: id++ };
      ref.delete(k); // a new value takes the newest position
      ref.set(k, v);
      t.set(pair, xid, v);
    } else if (op < 7) {
      assert.equal(t.delete(pair, xid), ref.delete(k));
    } else if (op < 8) {
      const v = ref.get(k);
      ref.delete(k);
      assert.equal(t.take(pair, xid), v);
    } else if (op < 9) {
      const first = ref.entries().next();
      const got = t.shift();
      if (first.done) assert.equal(got, undefined);
      else {
        assert.equal(got, first.value[1]);
        ref.delete(first.value[0]);
      }
    }
    assert.equal(t.get(pair, xid), ref.get(k));
    assert.equal(t.has(pair, xid), ref.has(k));
    assert.equal(t.size, ref.size);
  }
  assert.deepEqual(t.values(), [...ref.values()]);
  for (const [k, v] of ref) {
    const [p, x] = k.split('|').map(Number);
    assert.equal(t.get(p, x), v);
  }
});

test('grows past its first capacity and evicts the oldest first', () => {
  const t = new CallTable<V>();
  for (let i = 0; i < 5000; i++) t.set(1, i * 7919, { id: i });
  assert.equal(t.size, 5000);
  for (let i = 0; i < 5000; i += 2) t.delete(1, i * 7919);
  assert.deepEqual([t.shift()?.id, t.shift()?.id, t.size], [1, 3, 2498]);
  t.clear();
  assert.equal(t.size, 0);
  assert.equal(t.shift(), undefined);
});
