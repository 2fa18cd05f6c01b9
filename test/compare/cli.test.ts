// The compare command's two outputs: the terminal report (verdict first, capture-derived strings
// escaped) and the pcapdx.compare/1 JSON document with its findings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { compareCommand } from '../../src/cli/compare.js';
import { Output } from '../../src/cli/output.js';
import type { CompareDoc } from '../../src/correlate/report.js';
import { generatePair } from './twopoint.js';

const dir = mkdtempSync(join(tmpdir(), 'pcapdx-compare-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function runCli(a: string, b: string, json: boolean): Promise<{ code: number; text: string }> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const out = new Output(stream);
  const code = await compareCommand(a, b, { json }, out);
  await out.end();
  return { code, text: Buffer.concat(chunks).toString('utf8') };
}

test('terminal report: verdict first, escapes control characters from file names', async () => {
  const a = join(dir, 'clean\x1b[31m.pcap');
  const b = join(dir, 'clean.pcapng');
  const g = generatePair(a, b, { seed: 21 });
  const { code, text } = await runCli(a, b, false);
  const lines = text.split('\n');
  const sent = g.truth.filter((t) => !t.early).length;
  assert.equal(lines[0], `The network between A and B lost 0 of ${sent.toLocaleString('en-US')} packets; both ends saw the same conversation.`);
  assert.equal(code, 0);
  assert.ok(!text.includes('\x1b'), 'no raw escape reaches the terminal');
  assert.ok(text.includes('clean\\x1b[31m.pcap'));
});

test('JSON document: schema, clock, per-direction counts and findings with evidence', async () => {
  const a = join(dir, 'lossy.pcap');
  const b = join(dir, 'lossy.pcapng');
  const g = generatePair(a, b, { seed: 22, lossAb: 0.04, injectRstIn: [4], windowRewrite: 0.02, reorder: 0.02, offsetNs: 7e9 });
  const { code, text } = await runCli(a, b, true);
  assert.equal(code, 1);
  const doc = JSON.parse(text) as CompareDoc;
  assert.equal(doc.schema, 'pcapdx.compare/1');
  assert.ok(Math.abs((doc.clockOffsetSeconds as number) - 7) < 1e-3);
  assert.equal(typeof doc.clockOffsetUncertaintySeconds, 'number');
  assert.equal(typeof doc.clockDriftPpm, 'number');
  const lostAB = g.truth.filter((t) => t.fromA && t.lost && !t.early).length;
  assert.equal(doc.directions['A->B'].lost, lostAB);
  assert.equal(doc.directions['B->A'].lost, 0);
  assert.match(doc.verdict, new RegExp(`^The network between A and B lost ${lostAB} of `));
  const ids = new Set(doc.findings.map((f) => f.id));
  for (const id of ['compare/lost-in-network', 'compare/injected', 'compare/modified', 'compare/reordered']) assert.ok(ids.has(id as never), id);
  for (const f of doc.findings) {
    assert.ok(['critical', 'error', 'warning', 'info'].includes(f.severity));
    assert.ok(f.summary.length > 0 && !f.summary.includes('\n') && /\d/.test(f.summary), f.summary);
    assert.ok(f.explanation.length > 0);
    assert.ok(f.frames.length > 0 && f.frames.length <= 20);
    for (const e of f.frames) assert.ok((e.a === null || e.a >= 1) && (e.b === null || e.b >= 1) && (e.a !== null || e.b !== null));
    assert.equal(typeof f.metrics, 'object');
  }
  const lost = doc.findings.find((f) => f.id === 'compare/lost-in-network');
  assert.equal(lost?.direction, 'A->B');
  assert.equal(lost?.metrics.lost, lostAB);
});

test('captures of different traffic share nothing and say so', async () => {
  const a1 = join(dir, 'x.pcap');
  const b1 = join(dir, 'x.pcapng');
  const a2 = join(dir, 'y.pcap');
  const b2 = join(dir, 'y.pcapng');
  generatePair(a1, b1, { seed: 31, connections: 4 });
  generatePair(a2, b2, { seed: 32, connections: 4 });
  const { code, text } = await runCli(a1, b2, true);
  const doc = JSON.parse(text) as CompareDoc;
  assert.equal(doc.sharedTraffic, false);
  assert.equal(code, 1);
  assert.match(doc.verdict, /no packet in common/);
  assert.equal(doc.findings.length, 0);
});

test('JSON and terminal: capture drops and data missing at both are said apart from network loss', async () => {
  const a = join(dir, 'drops.pcap');
  const b = join(dir, 'drops.pcapng');
  const g = generatePair(a, b, { seed: 24, captureDropB: 0.03, dropBoth: 0.02, connections: 30 });
  const { code, text } = await runCli(a, b, true);
  const doc = JSON.parse(text) as CompareDoc;
  const ab = doc.directions['A->B'];
  const ba = doc.directions['B->A'];
  const droppedB = g.truth.filter((t) => t.notCapturedB);
  assert.equal(ab.notCapturedDownstream + ba.notCapturedUpstream, droppedB.length);
  assert.equal(ab.lost + ba.lost + ab.injected + ba.injected, 0);
  assert.ok(ab.missingAtBoth.ranges > 0 && ba.missingAtBoth.ranges > 0);
  assert.equal(ab.missingAtBoth.bytes + ba.missingAtBoth.bytes, g.truth.filter((t) => t.missingBoth).reduce((s, t) => s + t.len, 0));
  assert.match(doc.verdict, /^The network between A and B lost 0 of [\d,]+ packets; both ends saw the same conversation\. B's capture missed [\d,]+ packets that did cross\. [\d,]+ ranges of TCP data \([\d,]+ bytes\) are missing from both captures/);
  const ids = doc.findings.map((f) => f.id).sort();
  assert.deepEqual([...new Set(ids)], ['compare/missing-at-both', 'compare/not-captured']);
  // B missed 3% of the data segments: more than 1% of a direction is a warning, so exit code 1
  assert.ok(doc.findings.some((f) => f.id === 'compare/not-captured' && f.severity === 'warning'));
  assert.equal(code, 1);
  const term = await runCli(a, b, false);
  assert.match(term.text, /A->B: .*\n {2}captures: [\d,]+ crossed but not captured at B, [\d,]+ ranges \([\d,]+ bytes\) missing at both\n/);
});
