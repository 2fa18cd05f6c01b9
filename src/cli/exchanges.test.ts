import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEpoch } from '../bytes/time.js';
import { epoch9 } from './exchanges.js';

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
