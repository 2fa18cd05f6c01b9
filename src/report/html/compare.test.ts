// The compare page as markup (no browser; test/browser/compare.test.ts opens it): sections and
// rows from a real compare model of a generated pair, the embedded data, ranking, the page when
// the captures share nothing, and hostile strings anywhere in the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareCaptures } from '../../correlate/compare.js';
import { buildModel, type CompareModel } from '../../correlate/model.js';
import { generatePair } from '../../../test/compare/twopoint.js';
import { comparePageData, renderCompareHtml } from './compare.js';
import { rankedFindings } from './compareSections.js';

const dir = mkdtempSync(join(tmpdir(), 'pcapdx-compare-html-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

let cached: CompareModel | null = null;
/** A fresh copy each call (tests mutate it). */
async function model(): Promise<CompareModel> {
  if (!cached) {
    const a = join(dir, 'a.pcap');
    const b = join(dir, 'b.pcapng');
    generatePair(a, b, { seed: 9, connections: 8, lossAb: 0.03, lossBa: 0.02, injectRstIn: [1], windowRewrite: 0.02, offsetNs: -1.5e9 });
    cached = buildModel(await compareCaptures(a, b));
  }
  return structuredClone(cached);
}

function dataOf(html: string): unknown {
  const m = /<script type="application\/json" id="pcapdx-data">([^<]*)<\/script>/.exec(html);
  assert.ok(m, 'data element');
  return JSON.parse(m[1]);
}

test('compare page: one table row per model row, marked by kind; the verdict before everything; data for the delay plot', async () => {
  const m = await model();
  const html = renderCompareHtml(m);
  const rows = [...html.matchAll(/<tr class="k-([a-z-]+)"/g)].map((x) => x[1]);
  assert.deepEqual(rows, m.ladder.rows.map((r) => r.kind));
  assert.ok(rows.includes('lost') && rows.includes('injected') && rows.includes('modified'));
  // a packet missing on one side spans that side's two cells with what happened to it
  const lostAB = m.ladder.rows.filter((r) => r.kind === 'lost' && r.direction === 'A->B').length;
  assert.equal(html.split('<td class="absent colB" colspan="2">lost: never arrived at B</td>').length - 1, lostAB);
  assert.ok(lostAB > 0);
  const order = ['id="verdict"', 'id="glance"', 'id="findings"', 'id="delay"', 'id="sides"', 'id="clock"'].map((s) => html.indexOf(s));
  assert.ok(order.every((v, i) => v > 0 && (i === 0 || v > order[i - 1])), `section order ${order}`);
  const data = dataOf(html) as ReturnType<typeof comparePageData>;
  assert.equal(data.delay.points['A->B'].length, m.delay['A->B'].length);
  assert.equal(data.delay.points['B->A'].length, m.delay['B->A'].length);
  assert.equal(data.delay.events.length, m.ladder.rows.filter((r) => r.kind !== 'matched').length);
  assert.equal(data.delay.kinds[data.delay.events[0][1]], m.ladder.rows.find((r) => r.kind !== 'matched')?.kind);
  assert.ok(Math.abs((data.delay.medians['A->B'] ?? 0) - 0.006) < 0.003, 'median delay near the generator\'s 5 ms + jitter');
});

test('findings most severe first, stable within a severity', async () => {
  const m = await model();
  const ranked = rankedFindings(m.doc);
  const rank = ['critical', 'error', 'warning', 'info'];
  for (let i = 1; i < ranked.length; i++) assert.ok(rank.indexOf(ranked[i].severity) >= rank.indexOf(ranked[i - 1].severity));
  const errors = m.doc.findings.filter((f) => f.severity === 'error');
  assert.deepEqual(ranked.filter((f) => f.severity === 'error'), errors);
  assert.ok(ranked.length > 2);
});

test('captures that share nothing: the verdict and the points, no delay plot and no table', async () => {
  const m = await model();
  m.doc.sharedTraffic = false;
  m.doc.findings = [];
  m.doc.clockOffsetSeconds = null;
  m.delay['A->B'] = [];
  m.delay['B->A'] = [];
  m.ladder.rows = [];
  const html = renderCompareHtml(m);
  assert.match(html, /<section class="verdict sev-none" id="verdict">/);
  assert.doesNotMatch(html, /<canvas|id="sbs"|id="findings"/);
  assert.match(html, /could not be related/);
});

test('hostile strings anywhere in the model render as text', async () => {
  const m = await model();
  const evil = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">\u2028';
  m.doc.a.path = `/tmp/${evil}.pcap`;
  m.doc.b.path = `C:\\caps\\${evil}.pcapng`;
  m.doc.verdict = evil;
  m.doc.findings[0].summary = evil;
  m.doc.findings[0].explanation = evil;
  m.doc.findings[0].metrics = { [evil]: evil };
  m.doc.findings[0].frames[0].note = evil;
  m.doc.a.notJudged = { [evil]: 1 };
  m.doc.translation.examples = [{ a: evil, b: evil, nat: true, seqDelta: [1] }];
  m.ladder.rows[0].note = evil;
  const html = renderCompareHtml(m);
  assert.equal((html.match(/<script/gi) ?? []).length, 2);
  assert.ok(!html.includes('<img'));
  assert.ok(!html.includes(evil));
  assert.ok(html.includes('&lt;img src=x onerror=&quot;window.pwned=2&quot;&gt;'));
  // the whole path in the column heading's tooltip, the part after the last separator shown
  assert.ok(html.includes(`<div class="side-head" title="C:\\caps\\&lt;/script&gt;`));
  assert.ok(html.includes('>B: script&gt;&lt;img src=x onerror=&quot;window.pwned=2&quot;&gt;\u2028.pcapng</div>'));
  dataOf(html); // still parses
});

test('when the model holds only the first anomalies, the page says so: per-fate totals and a warning', async () => {
  const m = await model();
  assert.doesNotMatch(renderCompareHtml(m), /id="sbs-cut"/, 'everything fits: no warning');
  const shownLost = m.ladder.rows.filter((r) => r.kind === 'lost').length;
  // as on a large pair: losses are found after the matching window, beyond the first rows
  m.ladder.anomalies += 1000;
  m.doc.directions['A->B'].lost += 1000;
  const html = renderCompareHtml(m);
  assert.match(html, /<p class="defect" id="sbs-cut"><b>Not every packet is listed:<\/b>/);
  const total = m.doc.directions['A->B'].lost + m.doc.directions['B->A'].lost;
  assert.ok(html.includes(`<span class="kind lost">lost in the network</span> <span class="shown">${shownLost}</span> <span class="note">of ${total.toLocaleString('en-US')}</span>`));
  const data = dataOf(html) as ReturnType<typeof comparePageData>;
  assert.equal(data.delay.eventsTotal, m.ladder.anomalies);
});
