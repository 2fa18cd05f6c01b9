// The whole corpus against tshark 4.0: every capture read to the end with the reference's frame
// count, and per frame the time, addresses, ports, TCP flags, seq, ack and payload length equal
// to the reference. Deliberate differences are listed (with reasons) in test/parity/fields.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusDir } from './corpus.js';
import { fieldParity } from './parity/fields.js';

test('corpus: frame count and per-frame fields equal tshark 4.0 reference', async () => {
  const dir = corpusDir();
  const r = await fieldParity(dir);
  const table = r.rows.map((x) => `${x.name.padEnd(22)} ${x.both}/${x.tshark} ${(x.agreement * 100).toFixed(3)}%`).join('\n');
  console.log(`field parity over ${r.files} captures, ${r.frames} frames:\n${table}`);
  for (const d of r.deliberate) console.log(`deliberate difference: ${d}`);
  assert.ok(r.files >= 100, `expected the ~104 corpus captures, found ${r.files}`);
  assert.deepEqual(r.notes, [], 'every difference from tshark must be fixed or listed as deliberate');
});
