import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyStore, MAX_RETAINED_BODY, MAX_RETAINED_TOTAL } from './retained.js';

interface R { id: number; len: number; at: number; seq: number }

function body(id: number, n: number): Uint8Array {
  const b = new Uint8Array(n + 3);
  for (let i = 0; i < n; i++) b[3 + i] = (id * 31 + i * 7) & 0xff;
  return b;
}

function holds(store: BodyStore, r: R): boolean {
  if (!store.live(r.seq)) return false;
  for (let i = 0; i < r.len; i++) if (store.bytes[r.at + i] !== ((r.id * 31 + i * 7) & 0xff)) return false;
  return true;
}

test('bodies are kept intact, the oldest dropped first, never more than the budget', () => {
  let seed = 7;
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const store = new BodyStore();
  const all: R[] = [];
  let evicted = 0;
  for (let id = 0; id < 400; id++) {
    // mostly small and mid-sized, sometimes the largest allowed, sometimes empty
    const x = rnd();
    const n = x < 0.05 ? 0 : x < 0.15 ? MAX_RETAINED_BODY : Math.floor(rnd() * 300_000);
    store.evicted = 0;
    const at = store.retain(body(id, n), 3, n);
    const r: R = { id, len: n, at, seq: store.lastSeq };
    assert.equal(r.seq, id, 'bodies are numbered in retain order');
    evicted += store.evicted;
    all.push(r);
    // live bodies: exactly the newest ones whose sizes fit the budget, with their bytes
    let sum = 0;
    let firstLive = all.length;
    for (let i = all.length - 1; i >= 0 && sum + all[i].len <= MAX_RETAINED_TOTAL; i--) {
      sum += all[i].len;
      firstLive = i;
    }
    for (let i = 0; i < all.length; i++) assert.equal(store.live(all[i].seq), i >= firstLive, `body ${i} after ${id}`);
    assert.ok(holds(store, r), `newest ${id}`);
    assert.ok(holds(store, all[firstLive]), `oldest live after ${id}`);
  }
  assert.equal(evicted, all.filter((r) => !store.live(r.seq)).length);
  assert.ok(evicted > 100, 'the budget was exercised');
  assert.ok(!store.live(all.length), 'a number not given out is not live');
  for (const r of all) if (store.live(r.seq)) assert.ok(holds(store, r), `final ${r.id}`);
});

test('many small bodies: the queue grows past its first size with every body intact, then the oldest go first', () => {
  const store = new BodyStore();
  const all: R[] = [];
  for (let id = 0; id < 5000; id++) {
    const n = 1 + (id % 300);
    const at = store.retain(body(id, n), 3, n);
    all.push({ id, len: n, at, seq: store.lastSeq });
  }
  for (const r of all) assert.ok(holds(store, r), `body ${r.id}`);
  // 63 bodies of 1 MiB + 8 KiB push out about half of the small ones (750 KB of them)
  const big = (1 << 20) + 8192;
  for (let id = 5000; id < 5063; id++) {
    const at = store.retain(body(id, big), 3, big);
    all.push({ id, len: big, at, seq: store.lastSeq });
  }
  let sum = 0;
  let firstLive = all.length;
  for (let i = all.length - 1; i >= 0 && sum + all[i].len <= MAX_RETAINED_TOTAL; i--) {
    sum += all[i].len;
    firstLive = i;
  }
  assert.ok(firstLive > 0 && firstLive < 5000, `first live ${firstLive}`);
  for (let i = 0; i < all.length; i++) {
    assert.equal(store.live(all[i].seq), i >= firstLive, `body ${i}`);
    if (i >= firstLive) assert.ok(holds(store, all[i]), `bytes of ${i}`);
  }
});
