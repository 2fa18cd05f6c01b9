import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyStore, MAX_RETAINED_BODY, MAX_RETAINED_TOTAL, type Retainer } from './retained.js';

interface R extends Retainer { id: number; len: number }

function body(id: number, n: number): Uint8Array {
  const b = new Uint8Array(n + 3);
  for (let i = 0; i < n; i++) b[3 + i] = (id * 31 + i * 7) & 0xff;
  return b;
}

function holds(store: BodyStore<R>, r: R): boolean {
  if (r.bodyAt < 0 || r.bodyStored !== r.len) return false;
  for (let i = 0; i < r.len; i++) if (store.bytes[r.bodyAt + i] !== ((r.id * 31 + i * 7) & 0xff)) return false;
  return true;
}

test('bodies are kept intact, the oldest dropped first, never more than the budget', () => {
  let seed = 7;
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const store = new BodyStore<R>();
  const all: R[] = [];
  let evicted = 0;
  for (let id = 0; id < 400; id++) {
    // mostly small and mid-sized, sometimes the largest allowed, sometimes empty
    const x = rnd();
    const n = x < 0.05 ? 0 : x < 0.15 ? MAX_RETAINED_BODY : Math.floor(rnd() * 300_000);
    const r: R = { id, len: n, bodyAt: -1, bodyStored: 0 };
    store.evicted = 0;
    store.retain(r, body(id, n), 3, n);
    evicted += store.evicted;
    all.push(r);
    // live bodies: exactly the newest ones whose sizes fit the budget, with their bytes
    let sum = 0;
    let firstLive = all.length;
    for (let i = all.length - 1; i >= 0 && sum + all[i].len <= MAX_RETAINED_TOTAL; i--) {
      sum += all[i].len;
      firstLive = i;
    }
    for (let i = 0; i < all.length; i++) assert.equal(all[i].bodyAt >= 0, i >= firstLive, `body ${i} after ${id}`);
    assert.ok(holds(store, r), `newest ${id}`);
    assert.ok(holds(store, all[firstLive]), `oldest live after ${id}`);
  }
  assert.equal(evicted, all.filter((r) => r.bodyAt < 0).length);
  assert.ok(evicted > 100, 'the budget was exercised');
  for (const r of all) if (r.bodyAt >= 0) assert.ok(holds(store, r), `final ${r.id}`);
});
