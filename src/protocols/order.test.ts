import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReorderWindow } from './order.js';

function run(capacity: number, keys: number[]): { out: string[]; late: number; maxHeld: number } {
  const out: string[] = [];
  const w = new ReorderWindow<string>(capacity, (s) => out.push(s));
  let maxHeld = 0;
  keys.forEach((k, i) => {
    w.push(k, `${k}#${i}`);
    maxHeld = Math.max(maxHeld, w.size);
  });
  w.flush();
  return { out, late: w.late, maxHeld };
}

test('displacement within the window: released in key order, equal keys in arrival order', () => {
  const { out, late, maxHeld } = run(3, [5, 2, 4, 2, 9, 7, 8, 6, 10]);
  assert.deepEqual(out, ['2#1', '2#3', '4#2', '5#0', '6#7', '7#5', '8#6', '9#4', '10#8']);
  assert.equal(late, 0);
  assert.equal(maxHeld, 3);
});

test('an item later than the window is released at once and counted', () => {
  // window 2: after 1, 3, 4 and 5 arrive, 1 and 3 are out; 2 comes too late
  const { out, late } = run(2, [1, 3, 4, 5, 2, 6]);
  assert.deepEqual(out, ['1#0', '3#1', '2#4', '4#2', '5#3', '6#5']);
  assert.equal(late, 1);
});

test('random displacements below the capacity come out sorted; memory stays at the capacity', () => {
  let s = 12345;
  const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const keys = Array.from({ length: 5000 }, (_, i) => i);
  // each key moves later by up to 60 places: never more than 60 smaller keys wait behind it
  const moved = keys.map((k) => ({ k, at: k + rnd() * 60 })).sort((a, b) => a.at - b.at).map((x) => x.k);
  const { out, late, maxHeld } = run(64, moved);
  assert.equal(late, 0);
  assert.deepEqual(out.map((x) => Number(x.split('#')[0])), keys);
  assert.equal(maxHeld, 64);
});
