// The compare model (src/correlate/model.ts): what an HTML renderer takes without recomputing.
// Checked against a generated pair whose every packet's fate is known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareCaptures } from '../../src/correlate/compare.js';
import { MAX_ANOMALY_ROWS, MAX_MATCHED_ROWS } from '../../src/correlate/ladder.js';
import { buildModel, MAX_DELAY_POINTS } from '../../src/correlate/model.js';
import { generatePair } from './twopoint.js';

const dir = mkdtempSync(join(tmpdir(), 'pcapdx-compare-model-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('model: document, bounded delay points on one time axis, ladder rows with every anomaly marked', async () => {
  const a = join(dir, 'm.pcap');
  const b = join(dir, 'm.pcapng');
  // B's clock 3 s ahead: the model must put both columns on A's clock
  const g = generatePair(a, b, { seed: 41, lossAb: 0.02, lossBa: 0.02, captureDropB: 0.01, windowRewrite: 0.01, injectRstIn: [5], upstreamLoss: 0.01, offsetNs: 3e9, connections: 40 });
  const res = await compareCaptures(a, b);
  const m = buildModel(res);
  assert.equal(m.schema, 'pcapdx.compare-model/1');
  assert.equal(m.doc.schema, 'pcapdx.compare/1');
  assert.match(m.timeZero ?? '', /^1700000000\.\d{9}$/);
  for (const k of ['A->B', 'B->A'] as const) {
    const pts = m.delay[k];
    assert.ok(pts.length > 100 && pts.length <= MAX_DELAY_POINTS, `${k} ${pts.length}`);
    for (let i = 1; i < pts.length; i++) assert.ok(pts[i].t >= pts[i - 1].t);
    // generator: 5 ms base + up to 2 ms jitter, plus queueing behind earlier packets
    for (const p of pts) assert.ok(p.delay > 0.004 && p.delay < 0.02, `${k} delay ${p.delay}`);
  }
  const rows = m.ladder.rows;
  assert.ok(rows.length <= MAX_ANOMALY_ROWS + MAX_MATCHED_ROWS);
  assert.equal(rows.filter((r) => r.kind === 'matched').length, Math.min(MAX_MATCHED_ROWS, m.ladder.matched));
  for (let i = 1; i < rows.length; i++) assert.ok((rows[i].tA ?? rows[i].tB ?? 0) >= (rows[i - 1].tA ?? rows[i - 1].tB ?? 0));
  // every lost, injected and not-captured packet of the truth is a row of its kind, by frame
  const byKind = (k: string): Set<string> => new Set(rows.filter((r) => r.kind === k).map((r) => `${r.a ?? '-'}/${r.b ?? '-'}`));
  const lost = byKind('lost');
  for (const t of g.truth.filter((x) => x.lost && !x.early)) assert.ok(lost.has(t.fromA ? `${t.frameA}/-` : `-/${t.frameB}`), `lost ${t.frameA}/${t.frameB}`);
  const inj = byKind('injected');
  for (const t of g.truth.filter((x) => x.injected)) assert.ok(inj.has(`${t.frameA || '-'}/${t.frameB || '-'}`));
  // B's capture dropped them: downstream of A->B packets, upstream of B->A ones; seen at A only
  const down = byKind('not-captured-downstream');
  const up = byKind('not-captured-upstream');
  const dropped = g.truth.filter((x) => x.notCapturedB);
  assert.ok(dropped.length > 3);
  for (const t of dropped) assert.ok((t.fromA ? down : up).has(`${t.frameA}/-`), `not captured ${t.frameA}`);
  assert.ok(byKind('modified').size > 0 && byKind('missing-at-both').size > 0);
  for (const r of rows) {
    if (r.tA !== null && r.tB !== null && r.kind !== 'missing-at-both') {
      // a matched pair on one axis: the copy downstream is later by the one-way delay
      const d = r.direction === 'A->B' ? r.tB - r.tA : r.tA - r.tB;
      assert.ok(d > 0.004 && d < 0.03, `${r.kind} ${r.a}/${r.b} delay ${d}`);
    }
  }
});
