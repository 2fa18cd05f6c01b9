import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { corpusDir } from '../../test/corpus.js';
import { flowsCommand } from './flows.js';

test('flows: one row per connection, VLAN copies apart, NDJSON with the same fields', async () => {
  const file = join(corpusDir(), 'tcp/keepalive-0byte-vlan.pcap');
  const lines: string[] = [];
  await flowsCommand([file], { json: false }, (s) => lines.push(s));
  assert.equal(lines[0].split('\t')[0], 'stream');
  const rows = lines.filter((l) => /^\d/.test(l));
  assert.equal(rows.length, 3); // tshark: one stream; pcapdx: one per VLAN
  assert.equal(new Set(rows.map((r) => r.split('\t')[3])).size, 3);
  const js: string[] = [];
  await flowsCommand([file], { json: true }, (s) => js.push(s));
  const recs = js.map((l) => JSON.parse(l) as { stream: number; opener: string; history: string; vlans: number[] });
  assert.deepEqual(recs.map((r) => r.stream).sort(), [0, 1, 2]);
  for (const r of recs) {
    assert.equal(r.opener, 'syn');
    assert.ok(r.history.startsWith('Sh'), r.history);
  }
  // the three copies: untagged, one tag, two tags (Q-in-Q)
  assert.deepEqual(recs.map((r) => r.vlans.length).sort(), [0, 1, 2]);
});
