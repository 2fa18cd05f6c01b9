import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NOT_PARKED, ParkedIndex } from './undecided.js';
import { protocolByPort, RPC_PORTS, SMB_PORTS } from './dispatch.js';

test('ParkedIndex: an entry answers for its stream only; a reused entry hands back the table slot it held', () => {
  const p = new ParkedIndex();
  assert.equal(p.get(3, 10), NOT_PARKED);
  assert.equal(p.set(3, 10, 7), -1);
  assert.equal(p.get(3, 10), 7);
  assert.equal(p.get(3, 11), NOT_PARKED, 'a later connection on the slot is not parked');
  // the same connection given up: no table slot to give back (the pass frees it itself)
  assert.equal(p.set(3, 10, -1), -1);
  assert.equal(p.get(3, 10), -1);
  assert.equal(p.set(3, 10, 5), -1);
  // the slot reused by stream 11 while stream 10 was never announced ended
  assert.equal(p.set(3, 11, 2), 5);
  assert.equal(p.get(3, 10), NOT_PARKED);
  p.clear(3);
  assert.equal(p.get(3, 11), NOT_PARKED);
  assert.equal(p.set(3, 12, 4), -1, 'a cleared entry held nothing');
  // past the initial size: grows, keeps the entries
  assert.equal(p.set(5000, 99, 1), -1);
  assert.equal(p.get(5000, 99), 1);
  assert.equal(p.get(3, 12), 4);
  p.clear(1 << 20); // beyond the entries: nothing
});

test('protocolByPort: the port table gives what the SMB and RPC port lists say, SMB first', () => {
  const byLists = (a: number, b: number): string | null =>
    SMB_PORTS.includes(b) || SMB_PORTS.includes(a) ? 'smb' : RPC_PORTS.includes(b) || RPC_PORTS.includes(a) ? 'rpc' : null;
  const partners = [0, 1, 80, 1023, 40000, 65535, ...SMB_PORTS, ...RPC_PORTS];
  let named = 0;
  for (let p = 0; p < 65536; p++) {
    for (const q of partners) {
      const want = byLists(p, q);
      assert.equal(protocolByPort(p, q), want, `${p} -> ${q}`);
      assert.equal(protocolByPort(q, p), byLists(q, p), `${q} -> ${p}`);
      if (want !== null) named++;
    }
  }
  assert.ok(named > 0);
  assert.equal(protocolByPort(445, 2049), 'smb');
  assert.equal(protocolByPort(2049, 139), 'smb');
  assert.equal(protocolByPort(50000, 111), 'rpc');
  assert.equal(protocolByPort(50000, 8080), null);
});
