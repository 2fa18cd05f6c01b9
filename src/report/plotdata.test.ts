import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../../test/synth/tshark.js';
import { generateIncidentA, generateIncidentB, generateIncidentD } from '../../test/incidents/index.js';
import { analyse } from '../analysis/analyse.js';
import { buildReport } from './model.js';
import { buildPlotData, chooseTimeSequenceStreams, decimate, LAT_OUTLIER, percentile } from './plotdata.js';
import { addTimeSequences, timeSequences } from './html/pass.js';

const tmp = tempDir();
after(() => tmp.done());

test('decimate keeps the first and last and at most cap, evenly', () => {
  const xs = Array.from({ length: 1000 }, (_, i) => i);
  const d = decimate(xs, 11);
  assert.equal(d.length, 11);
  assert.equal(d[0], 0);
  assert.equal(d[10], 999);
  assert.deepEqual(decimate([1, 2, 3], 10), [1, 2, 3]);
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.equal(percentile([], 50), 0);
});

test('incident A: the heartbeat timeline shows the echoes, the skipped beat where it was due, the silence and the teardown', async () => {
  const g = generateIncidentA({ path: tmp.file('a.pcapng'), seed: 1, intervalS: 60, multiple: 2, keepAlive: { server: { style: 'windows', idleS: 120 } } });
  const f = g.expect.facts;
  const trace = await analyse([g.path]);
  const model = buildReport([trace]);
  const plots = buildPlotData([trace], model);
  const hb = plots.captures[0].heartbeats.find((h) => h.stream === 0);
  assert.ok(hb, 'a timeline for stream 0');
  assert.equal(hb.kind, 'SMB2 ECHO');
  assert.deepEqual(hb.requests.map((b) => b.frame), f.echoRequests);
  assert.deepEqual(hb.responses.map((b) => b.frame), f.echoResponses);
  assert.ok(hb.periodS !== null && Math.abs(hb.periodS - f.meanIntervalS) < 0.5, `period ${hb.periodS} vs ${f.meanIntervalS}`);
  assert.equal(hb.missing.length, 1, `missing beats ${hb.missing}`);
  assert.ok(Math.abs(hb.missing[0] - f.suppressedAtS) < 1, `missing beat at ${hb.missing[0]} s, due at ${f.suppressedAtS} s`);
  assert.deepEqual(hb.teardown && { frame: hb.teardown.frame, by: hb.teardown.by }, { frame: f.teardown, by: 'client' });
  // the silence starts at the data response that suppressed the echo and runs ~2 x 60 s
  assert.equal(hb.silence?.fromFrame, f.dataResponse);
  assert.ok(hb.silence && f.silenceS !== null && Math.abs(hb.silence.to - hb.silence.from - f.silenceS) < 0.5, `silence ${JSON.stringify(hb.silence)} vs ${f.silenceS}`);
  assert.deepEqual(hb.keepAlives.map((k) => [k.frame, k.from]), f.keepAlives.map((k) => [k.frame, k.side]));
  assert.ok(hb.otherResponses.some((b) => b.frame === f.dataResponse));
  // the reconnect carries no heartbeats and gets no timeline
  assert.equal(plots.captures[0].heartbeats.length, 1);
});

test('incident D: every handshake is a latency sample equal to the generator\'s, and exactly its outliers are marked', async () => {
  const g = generateIncidentD({ path: tmp.file('d.pcapng'), seed: 4, outliers: 3 });
  const f = g.expect.facts;
  const trace = await analyse([g.path]);
  const model = buildReport([trace]);
  const L = buildPlotData([trace], model).captures[0].connectLatency;
  assert.ok(L);
  assert.equal(L.count, f.connections);
  const mine = L.points.map((p) => Math.round(p[1] * 1000)).sort((a, b) => a - b);
  const theirs = f.latenciesUs.map((v) => Math.round(v)).sort((a, b) => a - b);
  assert.deepEqual(mine, theirs);
  assert.equal(Math.round(L.p50 * 1000), Math.round(f.p50Us));
  const outlierFrames = L.points.filter((p) => p[5] & LAT_OUTLIER).map((p) => p[3]).sort((a, b) => a - b);
  assert.deepEqual(outlierFrames, f.outliers.map((o) => o.syn).sort((a, b) => a - b));
  assert.equal(L.outliers, 3);
  assert.equal(L.histogram.counts.reduce((a, b) => a + b, 0), f.connections);
  assert.equal(L.histogram.edgesMs.length, L.histogram.counts.length + 1);
});

test('incident B: the time-sequence pass finds the retransmitted SYNs of the burst connection and labels them', async () => {
  const g = generateIncidentB({ path: tmp.file('b.pcapng'), seed: 2, burst: 3, mode: 'firewall' });
  const trace = await analyse([g.path]);
  const model = buildReport([trace]);
  const streams = chooseTimeSequenceStreams(trace, model, 0);
  assert.ok(streams.length >= 1);
  const retransmitted = trace.connections.find((c) => c.stream === streams[0]);
  assert.ok(retransmitted && retransmitted.orig.retransmissions + retransmitted.resp.retransmissions > 0, 'the first choice has retransmissions');
  const plots = buildPlotData([trace], model);
  await addTimeSequences(plots, [trace], [streams]);
  const ts = plots.captures[0].timeSequences[0];
  assert.equal(ts.stream, streams[0]);
  const retrans = ts.segments.filter((s) => s[4] === 1).length;
  const expected = ts.sender === 'client' ? retransmitted.orig.retransmissions : retransmitted.resp.retransmissions;
  assert.ok(retrans > 0, 'retransmissions drawn');
  assert.equal(retrans, expected);
  // frames are those of the connection, in time order
  for (let i = 1; i < ts.segments.length; i++) assert.ok(ts.segments[i][0] >= ts.segments[i - 1][0]);
  // standard input cannot be read twice
  assert.deepEqual(await timeSequences('-', [retransmitted], 0n), []);
});
