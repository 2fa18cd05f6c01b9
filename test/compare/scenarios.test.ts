// pcapdx compare on generated capture pairs whose every packet is known (twopoint.ts): A is pcap
// with Ethernet, B is pcapng with Linux SLL2. For each scenario the test checks that every lost,
// injected, modified and reordered packet is found, by frame number, that nothing else is flagged,
// and that the clock offset is recovered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareCaptures, type CompareResult } from '../../src/correlate/compare.js';
import type { Evidence } from '../../src/correlate/matcher.js';
import { generatePair, type PairConfig, type Truth } from './twopoint.js';

const dir = mkdtempSync(join(tmpdir(), 'pcapdx-compare-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function run(cfg: Partial<PairConfig>): Promise<{ res: CompareResult; truth: Truth[] }> {
  const a = join(dir, `a${++n}.pcap`);
  const b = join(dir, `b${n}.pcapng`);
  const g = generatePair(a, b, cfg);
  const res = await compareCaptures(a, b, { maxEvidence: 1e9 });
  return { res, truth: g.truth };
}

const key = (e: Evidence): string => `${e.a ?? '-'}/${e.b ?? '-'}`;
const keys = (l: Evidence[]): string[] => l.map(key).sort();
const tkey = (t: Truth): string => `${t.frameA || '-'}/${t.frameB || '-'}`;

/** Asserts the result against the truth, per direction (0 = A->B, sent by clients). */
function check(res: CompareResult, truth: Truth[]): void {
  for (const d of [0, 1] as const) {
    const fromA = d === 0;
    const st = res.directions[d].stats;
    const mine = truth.filter((t) => t.fromA === fromA && !t.early);
    // lost: sent at the near point only; evidence holds the near frame
    assert.deepEqual(keys(st.ev.lost), mine.filter((t) => t.lost).map((t) => (fromA ? `${t.frameA}/-` : `-/${t.frameB}`)).sort(), `lost ${d}`);
    assert.deepEqual(keys(st.ev.injected), mine.filter((t) => t.injected).map(tkey).sort(), `injected ${d}`);
    assert.deepEqual(keys(st.ev.reordered), mine.filter((t) => t.reordered).map(tkey).sort(), `reordered ${d}`);
    const mod = st.ev.modified.filter((e) => e.note !== 'mss').map(key).sort();
    assert.deepEqual(mod, mine.filter((t) => t.modified).map(tkey).sort(), `modified ${d}`);
    // dropped by a capture: judged by the sequence evidence, not as lost or injected
    const down = fromA ? (t: Truth) => t.notCapturedB : (t: Truth) => t.notCapturedA;
    const up = fromA ? (t: Truth) => t.notCapturedA : (t: Truth) => t.notCapturedB;
    assert.deepEqual(keys(st.ev.notCapturedDown), mine.filter(down).map((t) => (fromA ? `${t.frameA}/-` : `-/${t.frameB}`)).sort(), `not captured downstream ${d}`);
    assert.deepEqual(keys(st.ev.notCapturedUp), mine.filter(up).map((t) => (fromA ? `-/${t.frameB}` : `${t.frameA}/-`)).sort(), `not captured upstream ${d}`);
    assert.equal(st.missingBothBytes, mine.filter((t) => t.missingBoth).reduce((s, t) => s + t.len, 0), `bytes missing at both ${d}`);
    const delivered = mine.filter((t) => !t.lost && !t.injected && !t.notCapturedA && !t.notCapturedB && !t.missingBoth).length;
    assert.equal(res.directions[d].matched, delivered, `matched ${d}`);
  }
}

test('no loss: every packet matched both ways, nothing flagged, offset 0 within 1 ms', async () => {
  const { res, truth } = await run({ seed: 11 });
  check(res, truth);
  for (const d of res.directions) {
    assert.equal(d.lost + d.injected + d.modified + d.reordered, 0);
    assert.ok(d.matched > 300);
    assert.equal(d.hops?.min, 3);
    assert.ok(d.delay && d.delay.median > 0.005 && d.delay.median < 0.007, `delay ${d.delay?.median}`);
  }
  assert.ok(Math.abs(res.clockOffsetSeconds as number) < 1e-3, `offset ${res.clockOffsetSeconds}`);
  assert.equal(res.natPairs, 0);
  assert.equal(res.seqShiftedPairs, 0);
  assert.equal(res.a.unjudged.flowNotSeen + res.b.unjudged.flowNotSeen, 0);
});

test('random loss in each direction: exactly the lost packets, by frame', async () => {
  const { res, truth } = await run({ seed: 12, lossAb: 0.03, lossBa: 0.05, connections: 30 });
  check(res, truth);
  assert.ok(res.directions[0].lost > 5 && res.directions[1].lost > 5);
});

test('constant clock offset of one hour and 250 ms: recovered within 1 ms', async () => {
  const offsetNs = 3600e9 + 250e6;
  const { res, truth } = await run({ seed: 13, offsetNs, lossAb: 0.01 });
  check(res, truth);
  assert.ok(Math.abs((res.clockOffsetSeconds as number) - offsetNs / 1e9) < 1e-3, `offset ${res.clockOffsetSeconds}`);
});

test('B clock 2 s behind and drifting +50 ppm over a long capture: drift measured', async () => {
  const { res, truth } = await run({ seed: 14, offsetNs: -2e9, driftPpm: 50, connections: 40, gapNs: 20_000_000, exchanges: 3, responseSegments: 2 });
  check(res, truth);
  const fit = res.clock;
  assert.ok(fit && fit.method === 'two-way');
  assert.ok(Math.abs(fit.drift * 1e6 - 50) < 5, `drift ${fit.drift * 1e6} ppm`);
  // the offset at the start of the common window: B ran -2 s + 50 ppm * t
  const expect = -2 + 50e-6 * (fit.t0 / 1e9);
  assert.ok(Math.abs((res.clockOffsetSeconds as number) - expect) < 1e-3, `offset ${res.clockOffsetSeconds} vs ${expect}`);
});

test('NAT of addresses and ports with sequence randomisation and MSS clamping: modelled, not flagged', async () => {
  const { res, truth } = await run({ seed: 15, nat: true, seqDelta: 0x9e3779b9, mssClampTo: 1360, lossAb: 0.02 });
  check(res, truth);
  assert.ok(res.natPairs > 20, `nat pairs ${res.natPairs}`);
  assert.ok(res.seqShiftedPairs >= 20, `seq-shifted pairs ${res.seqShiftedPairs}`);
  const mss = res.directions[0].fields.find((f) => f.field === 'mss');
  assert.ok(mss && mss.examples[0] === '1460 -> 1360', JSON.stringify(mss));
  assert.equal(res.directions[1].fields.length, 0);
});

test('a middlebox injects a RST towards both ends: both found as injected', async () => {
  const { res, truth } = await run({ seed: 16, injectRstIn: [2, 9] });
  check(res, truth);
  assert.equal(res.directions[0].injected, 2);
  assert.equal(res.directions[1].injected, 2);
  assert.match(res.directions[1].stats.ev.injected[0].note ?? '', /RST/);
});

test('a path that reorders and rewrites windows: reordered and modified packets found', async () => {
  const { res, truth } = await run({ seed: 17, reorder: 0.03, windowRewrite: 0.02, connections: 30 });
  check(res, truth);
  assert.ok(res.directions[0].reordered + res.directions[1].reordered > 10);
  assert.ok(res.directions[0].modified + res.directions[1].modified > 5);
});

test('B starts capturing 150 ms late: the missing start is not loss', async () => {
  const { res, truth } = await run({ seed: 18, bLateNs: 150e6, lossBa: 0.02 });
  check(res, truth);
  assert.ok(res.a.unjudged.outsideWindow > 20, `outside ${res.a.unjudged.outsideWindow}`);
});

test('capture drops at either point: told apart from network loss by the receivers\' ACKs and the senders\' streams', async () => {
  const { res, truth } = await run({ seed: 19, lossAb: 0.02, lossBa: 0.02, captureDropA: 0.02, captureDropB: 0.02, connections: 30 });
  check(res, truth);
  for (const d of res.directions) {
    assert.ok(d.stats.notCapturedDown > 3 && d.stats.notCapturedUp > 3, `${d.from}->${d.to}: ${d.stats.notCapturedDown}/${d.stats.notCapturedUp}`);
    assert.ok(d.lost > 3);
  }
});

test('segments missing at both points: lost upstream of both (re-sent) or dropped by both captures (acknowledged)', async () => {
  const { res, truth } = await run({ seed: 20, upstreamLoss: 0.02, dropBoth: 0.02, connections: 30 });
  check(res, truth);
  for (const d of res.directions) {
    assert.ok(d.stats.missingBoth > 3, `${d.from}->${d.to}: ${d.stats.missingBoth}`);
    assert.equal(d.lost + d.injected, 0);
    for (const e of d.stats.ev.missingBoth) assert.ok(e.a !== null && e.b !== null && /bytes before these frames, (acknowledged|retransmitted)$/.test(e.note ?? ''), JSON.stringify(e));
  }
  const how = new Set(res.directions.flatMap((d) => d.stats.ev.missingBoth.map((e) => (e.note ?? '').replace(/.*, /, ''))));
  assert.deepEqual([...how].sort(), ['acknowledged', 'retransmitted']);
});

test('a connection whose every SYN is lost between the points: a whole flow lost, when the same service crossed', async () => {
  const { res, truth } = await run({ seed: 23, lostConnections: [3, 9], clientHosts: 4 });
  check(res, truth);
  assert.equal(res.directions[0].stats.flowsLost, 2);
  assert.equal(res.directions[0].lost, 6);
  assert.equal(res.a.unjudged.flowNotSeen, 0);
});

test('a flow seen at one point only, with no other flow of its service at both: not judged (a filter, or another route)', async () => {
  const { res } = await run({ seed: 23, lostConnections: [3, 9] });
  assert.equal(res.directions[0].lost, 0);
  assert.equal(res.directions[0].stats.flowsLost, 0);
  assert.equal(res.a.unjudged.flowNotSeen, 6);
});
