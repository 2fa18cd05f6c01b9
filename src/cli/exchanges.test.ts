import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEpoch, toNs } from '../bytes/time.js';
import { epoch9, epoch9Parts, select, srtRow } from './exchanges.js';

test('epoch9 prints exactly what formatEpoch(ns, 9) prints', () => {
  const cases = [0n, 1n, 999_999_999n, 1_000_000_000n, 1_000_000_001n, 1_700_000_000_123_456_789n, 12_345_678_901n,
    -1n, -1_500_000_000n, 2n ** 63n - 1n];
  let x = 1n;
  for (let i = 0; i < 64; i++) {
    cases.push(x, x - 1n, x * 7n + 3n);
    x *= 2n;
  }
  for (const ns of cases) assert.equal(epoch9(ns), formatEpoch(ns, 9), String(ns));
});

test('epoch9Parts prints what formatEpoch(toNs(sec, nsec), 9) prints, and declines out-of-range parts', () => {
  const secs = [0, 1, 9, 10, 999_999_999, 1_000_000_000, 1_700_000_000, 4_294_967_295, 2 ** 40];
  const nsecs = [0, 1, 9, 10, 123_456_789, 999_999_999, 500_000_000];
  for (const sec of secs) {
    for (const nsec of nsecs) {
      assert.equal(epoch9Parts(sec, nsec), formatEpoch(toNs(sec, nsec), 9), `${sec} ${nsec}`);
    }
  }
  for (const [sec, nsec] of [[-1, 0], [0, -1], [0, 1e9], [1.5, 0], [0, 0.5], [2 ** 60, 0]]) assert.equal(epoch9Parts(sec, nsec), null);
});

test('srtRow by selection gives exactly the sorted statistics (duplicates, runs, huge and fractional values)', () => {
  let seed = 7;
  const rnd = (n: number): number => Math.floor(((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * n);
  const reference = (lat: number[]): number[] => {
    const a = Float64Array.from(lat).sort();
    const r = (p: number): number => a[Math.max(0, Math.ceil(p * a.length) - 1)];
    let sum = 0;
    for (const v of a) sum += v;
    return [a.length, a[0], r(0.5), r(0.99), a[a.length - 1], sum];
  };
  const shapes: ((i: number, n: number) => number)[] = [
    () => rnd(1000), () => rnd(3), (i) => i, (i, n) => n - i, () => 5, (i) => (i % 2 ? 1e6 : rnd(10)),
    () => rnd(2 ** 40) * 1024, () => rnd(1000) + 0.1 * rnd(10), (i) => (i % 7) * 3e15,
  ];
  for (let iter = 0; iter < 400; iter++) {
    const n = 1 + rnd(iter < 200 ? 300 : 5000);
    const shape = shapes[iter % shapes.length];
    const lat = Array.from({ length: n }, (_, i) => shape(i, n));
    const r = srtRow({ service: 's', command: 'c', index: 0, lat });
    assert.deepEqual([r.count, r.minNs, r.medianNs, r.p99Ns, r.maxNs, r.sumNs], reference(lat), `iteration ${iter}`);
  }
});

test('select: k-th smallest with the range partitioned around it, also on inputs that defeat the pivot', () => {
  let seed = 11;
  const rnd = (n: number): number => Math.floor(((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * n);
  for (let iter = 0; iter < 300; iter++) {
    const n = 1 + rnd(2000);
    const a = Float64Array.from({ length: n }, (_, i) => (iter % 3 === 0 ? rnd(5) : iter % 3 === 1 ? (i * 7919) % n : rnd(1e9)));
    const sorted = a.slice().sort();
    const k = rnd(n);
    assert.equal(select(a, k, 0, n - 1), sorted[k]);
    for (let i = 0; i < k; i++) assert.ok(a[i] <= a[k]);
    for (let i = k + 1; i < n; i++) assert.ok(a[i] >= a[k]);
  }
});
