import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentCalls, type RecentCall } from './recent.js';

function call(i: number): RecentCall {
  return {
    program: 100003 + (i % 3), procedure: i % 22, frame: i + 1, sec: 1_700_000_000 + i, nsec: (i * 7919) % 1e9,
    replyFrame: i + 2, transport: i % 2 ? 'udp' : 'tcp', stream: i % 5 === 0 ? -1 : i, bodyAt: i % 4 === 0 ? -1 : i * 10,
    bodyStored: i % 50, bodySeq: i - 3, bodyComplete: i % 3 !== 0, bodyLen: i % 70,
  };
}

const view = (): RecentCall => call(0);

// the reference: a Map keeps insertion order; adding a key again makes it newest
test('same entries, oldest-first eviction and fields as a Map in insertion order, under churn', () => {
  let seed = 11;
  const rnd = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  const t = new RecentCalls();
  const ref = new Map<string, { pair: number; xid: number; c: RecentCall }>();
  const MAX = 3000;
  for (let i = 0; i < 60_000; i++) {
    // few pairs, XIDs from a small space so that keys come back (re-add, delete)
    const pair = rnd(4);
    const xid = (rnd(8000) * 2654435761) >>> 0; // the whole 32-bit range, as XIDs are
    const key = `${pair}/${xid}`;
    const op = rnd(10);
    if (op < 2) {
      assert.equal(t.delete(pair, xid), ref.delete(key));
    } else {
      if (t.size >= MAX) {
        const oldest = ref.keys().next().value as string;
        ref.delete(oldest);
        assert.ok(t.shift());
      }
      const c = call(i);
      t.add(pair, xid, c);
      ref.delete(key);
      ref.set(key, { pair, xid, c });
    }
    assert.equal(t.size, ref.size);
    if (i % 997 === 0) {
      for (const { pair: p, xid: x, c } of ref.values()) {
        const r = t.find(p, x);
        assert.ok(r >= 0);
        assert.deepEqual(t.load(r, view()), c);
        assert.equal(t.program(r), c.program);
        assert.equal(t.procedure(r), c.procedure);
      }
    }
  }
  // drain in order
  for (const { pair, xid, c } of ref.values()) {
    const r = t.find(pair, xid);
    assert.deepEqual(t.load(r, view()), c);
  }
  const order = [...ref.values()];
  for (let k = 0; k < order.length; k++) {
    assert.ok(t.shift());
    assert.equal(t.find(order[k].pair, order[k].xid), -1, `evicted in order ${k}`);
    if (k + 1 < order.length) assert.ok(t.find(order[k + 1].pair, order[k + 1].xid) >= 0);
  }
  assert.equal(t.size, 0);
  assert.equal(t.shift(), false);
  assert.equal(t.find(1, 2), -1);
});

test('many deletes between adds: the ring is rebuilt without losing order', () => {
  const t = new RecentCalls();
  for (let i = 0; i < 10_000; i++) {
    t.add(1, i, call(i));
    if (i % 10 !== 0) t.delete(1, i); // one in ten stays
  }
  assert.equal(t.size, 1000);
  for (let i = 0; i < 10_000; i += 10) {
    assert.ok(t.shift());
    assert.equal(t.find(1, i), -1);
  }
  assert.equal(t.size, 0);
});

test('a row reads back every field as given, at the edges of its 32-bit columns', () => {
  const t = new RecentCalls();
  const c: RecentCall = {
    program: 0xffffffff, procedure: 0x80000000, frame: 3_000_000_000, sec: 5_000_000_000, nsec: 999_999_999, replyFrame: 0xffffffff,
    transport: 'udp', stream: -1, bodyAt: -2, bodyStored: (1 << 20) + 4096, bodySeq: 2 ** 40, bodyLen: 16 << 20, bodyComplete: true,
  };
  t.add(7, 0xdeadbeef, c);
  const out: RecentCall = { ...c, program: 0, sec: 0, bodySeq: 0, transport: 'tcp' };
  assert.deepEqual(t.load(t.find(7, 0xdeadbeef), out), c);
  assert.deepEqual([t.program(t.find(7, 0xdeadbeef)), t.procedure(t.find(7, 0xdeadbeef))], [0xffffffff, 0x80000000]);
});

// XIDs as clients number them: runs of consecutive numbers per pair, which the hash places in
// shared groups of cells (recent.ts home); the runs of several pairs overlap in their low bits,
// and one run crosses 2^32 (the XID wraps to 0)
test('consecutive XIDs of several pairs: the same entries and eviction order as a Map', () => {
  const t = new RecentCalls();
  const ref = new Map<string, { pair: number; xid: number }>();
  const MAX = 5000;
  const next = [0xfffff000, 0x10, 0x13, 0x7ffffff0];
  let seed = 5;
  const rnd = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  for (let i = 0; i < 40_000; i++) {
    const pair = 1 + rnd(4);
    const xid = next[pair - 1];
    next[pair - 1] = (xid + 1) >>> 0;
    if (t.size >= MAX) {
      const oldest = ref.keys().next().value as string;
      ref.delete(oldest);
      assert.ok(t.shift());
    }
    t.add(pair, xid, call(i));
    ref.set(`${pair}/${xid}`, { pair, xid });
    // a retransmission now and then: the entry goes (tracker: delete before the call is re-sent)
    if (rnd(50) === 0) {
      const back = (xid - rnd(MAX / 4)) >>> 0;
      assert.equal(t.delete(pair, back), ref.delete(`${pair}/${back}`));
    }
    assert.equal(t.size, ref.size);
    if (i % 1999 === 0) {
      for (const { pair: p, xid: x } of ref.values()) assert.ok(t.find(p, x) >= 0, `${p}/${x} found`);
      for (let p = 1; p <= 4; p++) assert.equal(t.find(p, next[p - 1]), -1, 'the next XID is not there yet');
    }
  }
  for (const { pair, xid } of ref.values()) {
    assert.ok(t.shift());
    assert.equal(t.find(pair, xid), -1);
  }
  assert.equal(t.size, 0);
});

// rows appended without hashing (an XID above its slot's maximum) and hashed later (catchUp):
// every mix of the two through re-adds, deletes, lookups of old keys, eviction and ring rebuilds,
// with a counter crossing 2^32 and one counting down (never above the maximum of its slot)
test('rows hashed late: the same entries, rows and eviction order as a Map', () => {
  let seed = 23;
  const rnd = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  const t = new RecentCalls();
  const ref = new Map<string, { pair: number; xid: number; c: RecentCall }>();
  const MAX = 2000;
  const pairs = [1, 1025, 2, 3];
  const next = [100, 5000, 0xfffffff0, 1 << 30];
  for (let i = 0; i < 50_000; i++) {
    const k = rnd(4);
    const pair = pairs[k];
    const op = rnd(100);
    if (op < 70) {
      // the next call of the pair: up for three of them, down for the last
      const xid = next[k];
      next[k] = (k === 3 ? xid - 1 : xid + 1) >>> 0;
      if (t.size >= MAX) {
        ref.delete(ref.keys().next().value as string);
        assert.ok(t.shift());
      }
      const c = call(i);
      t.add(pair, xid, c);
      ref.delete(`${pair}/${xid}`);
      ref.set(`${pair}/${xid}`, { pair, xid, c });
    } else {
      // an older XID of the pair: looked up, deleted or added again
      const xid = (k === 3 ? next[k] + 1 + rnd(3000) : next[k] - 1 - rnd(3000)) >>> 0;
      const key = `${pair}/${xid}`;
      const want = ref.get(key);
      const r = t.find(pair, xid);
      assert.equal(r >= 0, want !== undefined, `find ${key}`);
      if (want) assert.deepEqual(t.load(r, view()), want.c);
      if (op < 80) {
        assert.equal(t.delete(pair, xid), ref.delete(key));
      } else if (op < 85) {
        if (!ref.has(key) && t.size >= MAX) {
          ref.delete(ref.keys().next().value as string);
          assert.ok(t.shift());
        }
        const c = call(i);
        t.add(pair, xid, c);
        ref.delete(key);
        ref.set(key, { pair, xid, c });
      }
    }
    assert.equal(t.size, ref.size);
  }
  for (const { pair, xid, c } of ref.values()) {
    const r = t.find(pair, xid);
    assert.ok(r >= 0);
    assert.deepEqual(t.load(r, view()), c);
  }
  for (const { pair, xid } of ref.values()) {
    assert.ok(t.shift());
    assert.equal(t.find(pair, xid), -1);
  }
  assert.equal(t.size, 0);
  assert.equal(t.shift(), false);
});

// a ring rebuilt (it fills, one row dead) holding hashed rows followed by rows not yet hashed:
// the boundary moves with the rows, so each is evicted from the hash exactly when it was in it
test('a rebuild with hashed and not yet hashed rows keeps the boundary', () => {
  const t = new RecentCalls();
  for (let x = 0; x < 1000; x++) t.add(1, x, call(x)); // above the maximum: appended only
  assert.ok(t.delete(1, 5)); // hashes the 1000 rows first
  for (let x = 1000; x < 1100; x++) t.add(1, x, call(x)); // the ring fills and is rebuilt meanwhile
  assert.equal(t.size, 1099);
  assert.ok(t.find(1, 10) >= 0); // hashes the rest
  for (let x = 1100; x < 1200; x++) t.add(1, x, call(x));
  for (let x = 0; x < 1200; x++) {
    if (x === 5) continue;
    const r = t.find(1, x);
    assert.ok(r >= 0, `${x} present`);
    assert.deepEqual(t.load(r, view()), call(x));
  }
  for (let x = 0; x < 1200; x++) {
    if (x === 5) continue;
    assert.ok(t.shift());
    assert.equal(t.find(1, x), -1, `${x} evicted`);
  }
  assert.equal(t.size, 0);

  // the same rebuild, then every row shifted out before any lookup (no catch-up in between)
  const u = new RecentCalls();
  for (let x = 0; x < 1000; x++) u.add(1, x, call(x));
  assert.ok(u.delete(1, 5));
  for (let x = 1000; x < 1100; x++) u.add(1, x, call(x));
  let n = 0;
  while (u.shift()) n++;
  assert.equal(n, 1099);
  for (let x = 0; x < 1100; x++) assert.equal(u.find(1, x), -1, `${x} evicted`);
});

// replies out of order (a few places, as a server answers a client's pipelined calls): a key
// below its slot's top is remembered bit by bit, so it is found, replaced and deleted as any other
test('keys added out of order are found, replaced and deleted', () => {
  const t = new RecentCalls();
  const ref = new Map<number, RecentCall>();
  const order = [3, 1, 2, 0, 7, 5, 6, 4, 30, 9, 8, 31, 10];
  for (let base = 0; base < 2000; base += 32) {
    for (const k of order) {
      const xid = base + k;
      assert.equal(t.find(2, xid), -1, `${xid} not yet added`);
      const c = call(xid);
      t.add(2, xid, c);
      ref.set(xid, c);
    }
  }
  assert.equal(t.size, ref.size);
  for (const [xid, c] of ref) assert.deepEqual(t.load(t.find(2, xid), view()), c, `${xid}`);
  // added again: replaced, not doubled; then deleted
  for (const xid of ref.keys()) t.add(2, xid, call(xid + 1));
  assert.equal(t.size, ref.size);
  for (const xid of ref.keys()) assert.deepEqual(t.load(t.find(2, xid), view()), call(xid + 1));
  for (const xid of ref.keys()) assert.ok(t.delete(2, xid), `${xid} deleted`);
  assert.equal(t.size, 0);
  assert.equal(t.shift(), false);
});
