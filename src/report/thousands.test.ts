import { test } from 'node:test';
import assert from 'node:assert/strict';
import { thousands } from './thousands.js';

test('thousands writes what toLocaleString(en-US) writes', () => {
  const values = [0, -0, 1, 9, 10, 99, 100, 999, 1000, 1001, 9999, 12345, 123456, 224319, 1000000, 1234567, 987654321, -1, -999, -1000, -1234567,
    Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5, 1234.5678, NaN, Infinity, -Infinity];
  for (let i = 0; i < 2000; i++) values.push(Math.floor(Math.random() * 10 ** (1 + (i % 15))));
  for (const v of values) assert.equal(thousands(v), v.toLocaleString('en-US'), String(v));
});
