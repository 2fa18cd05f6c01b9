// The corpus parity check: every TCP analysis label agrees with tshark 4.0 on >= 99.5% of the
// frames either flags (see test/parity/labels.ts and docs/tcp-parity.md). Fails when the corpus
// is missing (set PCAPDX_CORPUS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusDir } from '../../test/corpus.js';
import { labelParity, REQUIRED_AGREEMENT } from '../../test/parity/labels.js';

test('TCP labels, tcp.stream and ack_rtt agree with tshark 4.0 on the corpus', async () => {
  const dir = corpusDir(); // throws a clear error when the corpus is absent
  const report = await labelParity(dir);
  assert.ok(report.rows.length >= 15, 'every compared label has a row');
  for (const row of report.rows) {
    assert.ok(
      row.agreement >= REQUIRED_AGREEMENT,
      `${row.name}: agreement ${(row.agreement * 100).toFixed(2)}% (tshark ${row.tshark}, pcapdx ${row.pcapdx}, both ${row.both})\n` +
        report.notes.filter((n) => n.includes(` ${row.name} `)).slice(0, 20).join('\n'),
    );
  }
  assert.ok(report.ok);
});
