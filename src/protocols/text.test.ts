import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex, hex16, hex32, hex32Cached } from './text.js';

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

test('hex16: the text of hex(b, off, 16) for any bytes, cached or not (colliding slots included)', () => {
  const r = rand(7);
  const b = new Uint8Array(40_000);
  for (let i = 0; i < b.length; i++) b[i] = r() & 0xff;
  // 20,000 distinct values through 4,096 slots: hits, misses and overwritten slots
  for (let round = 0; round < 2; round++) {
    for (let off = 0; off + 16 <= b.length; off += 2) assert.equal(hex16(b, off), hex(b, off, 16), `offset ${off}`);
  }
  // the same bytes elsewhere give the same string object
  const c = b.slice(100, 116);
  assert.equal(hex16(c, 0), hex16(b, 100));
  // near the end of the array: what hex() gives (clamped)
  assert.equal(hex16(b, b.length - 8), hex(b, b.length - 8, 16));
  assert.equal(hex16(b, b.length - 8).length, 16);
  // values that differ in one byte only
  const d = new Uint8Array(16);
  const seen = new Set<string>();
  for (let i = 0; i < 16; i++) {
    d.fill(0);
    d[i] = 1;
    seen.add(hex16(d, 0));
  }
  assert.equal(seen.size, 16);
});

test('hex32Cached: the text of hex32 for any 32-bit value', () => {
  const r = rand(11);
  const vals = [0, 1, 0xffffffff, 0x80000000, 4096, 4096 * 2];
  for (let i = 0; i < 20_000; i++) vals.push(r());
  for (let round = 0; round < 2; round++) for (const v of vals) assert.equal(hex32Cached(v), hex32(v), `value ${v}`);
});
