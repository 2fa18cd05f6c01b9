import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ladder, MAX_ROWS_PER_KIND, type RowKind } from './ladder.js';

test('a flood of early modifications does not crowd out losses judged later', () => {
  const l = new Ladder();
  const row = (kind: RowKind, a: number) => ({ kind, dir: 0, a, b: null, ta: a, tb: NaN, aligned: false, note: '' });
  for (let i = 1; i <= 5000; i++) l.anomaly(row('modified', i));
  for (let i = 5001; i <= 5100; i++) l.anomaly(row('lost', i));
  assert.equal(l.anomaliesSeen, 5100);
  assert.equal(l.anomalies.filter((r) => r.kind === 'modified').length, MAX_ROWS_PER_KIND);
  assert.equal(l.anomalies.filter((r) => r.kind === 'lost').length, 100);
});
