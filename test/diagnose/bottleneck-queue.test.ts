// tcp/bottleneck-queue: a bulk sender that keeps the receiver's window full while its round trips
// grow far beyond the handshake's is filling a queue in front of a slow link. The captures are
// simulated uploads (test/synth/tcp-conversation.ts) through a slow link whose queue sits past the
// capture point (the tap on the sending host, as on a laptop behind a cable modem), at several
// rates, windows and delays, IPv4 and IPv6; the controls are the same uploads seen from behind the
// link, on a fast link, and into a receiver that stops reading. The round trips pcapdx measures are
// checked against tshark's ack_rtt, and the corpus's failed FTP upload (a 2006 cable uplink) is
// named with its numbers.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LINKTYPE_ETHERNET } from '../synth/packets.js';
import { PcapngWriter } from '../synth/pcapng-writer.js';
import { MS, TcpConversation } from '../synth/tcp-conversation.js';
import { tempDir } from '../synth/tshark.js';
import { fields } from '../incidents/oracle.js';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import { findingProblems, type Finding } from '../../src/diagnose/finding.js';
import { MAX_FINDINGS, MIN_FULL_SEGMENTS, MIN_RTT_SAMPLES, QUEUE_MIN_NS, tcpBottleneckQueue } from '../../src/diagnose/rules/tcp-bottleneck-queue.js';
import type { AnalysedTrace, ConnectionFacts, FullWindowFacts } from '../../src/analysis/trace.js';
import { corpusDir } from '../corpus.js';

const tmp = tempDir();
after(() => tmp.done());

interface Upload {
  name: string;
  seed: number;
  v6?: boolean;
  /** the slow link's rate and where its queue is */
  bitsPerSecond: number;
  queueAfterTap: boolean;
  /** the receiver's buffer (its advertised window; no window scaling) */
  window: number;
  bytes: number;
  /** one-way delays: sender to tap, tap to receiver */
  senderToTapNs: number;
  tapToReceiverNs: number;
  /** the receiver stops reading for this long in the middle (0: never) */
  pauseNs?: number;
}

/** A client uploading `bytes` to the server; returns the capture's path. */
function upload(u: Upload): string {
  const conv = new TcpConversation({
    seed: u.seed,
    client: { ip: u.v6 ? 'fd00:1::20' : '192.168.1.20', port: 40000 + (u.seed % 20000) },
    server: { ip: u.v6 ? '2001:db8::9' : '203.0.113.9', port: 20, recvBuffer: u.window, wscale: null },
    clientToTapNs: u.senderToTapNs, tapToServerNs: u.tapToReceiverNs, bitsPerSecond: u.bitsPerSecond, queueAfterTap: u.queueAfterTap, comments: false,
  });
  conv.connect();
  if (u.pauseNs) {
    // the receiver's application stops reading four times, each time the sender fills the window
    for (let i = 0; i < 4; i++) conv.write('client', u.bytes / 8).waitDelivered('client').pauseReading('server').write('client', u.bytes / 8).idle(u.pauseNs).resumeReading('server');
  } else conv.write('client', u.bytes);
  const frames = conv.waitDelivered('client').close('client').finish();
  const path = tmp.file(`${u.name}.pcapng`);
  const w = new PcapngWriter(path);
  w.section('le', 'pcapdx test/diagnose/bottleneck-queue');
  const id = w.iface({ linkType: LINKTYPE_ETHERNET, tsresol: 9, name: 'tap0' });
  for (const f of frames) w.packet(id, f.tsSec, f.tsNsec, f.data, f.origLen, f.comment);
  w.close();
  return path;
}

async function queueFindings(path: string): Promise<Finding[]> {
  const all = runRules(await analyse([path]));
  for (const f of all) assert.deepEqual(findingProblems(f), [], `${f.id}: ${f.summary}`);
  return all.filter((f) => f.id === 'tcp/bottleneck-queue');
}

/** tshark's mean ack_rtt on the receiver's ACKs from the first window_full segment on, and that frame. */
function tsharkQueueRtt(path: string): { firstFull: number; meanMs: number; samples: number } {
  const rows = fields(path, ['tcp.analysis.window_full', 'tcp.analysis.ack_rtt', 'tcp.srcport']);
  const firstFull = Number(rows.find((r) => r['tcp.analysis.window_full'] !== '')?.['frame.number'] ?? 0);
  const rtts = rows.filter((r) => Number(r['frame.number']) > firstFull && r['tcp.analysis.ack_rtt'] !== '' && r['tcp.srcport'] === '20').map((r) => Number(r['tcp.analysis.ack_rtt']) * 1e3);
  return { firstFull, meanMs: rtts.reduce((a, b) => a + b, 0) / rtts.length, samples: rtts.length };
}

const QUEUED: Upload[] = [
  // a 2006 cable uplink: 400 kbit/s, 32 KB window, 7 ms to the server (the corpus's FTP upload)
  { name: 'cable-400k', seed: 11, bitsPerSecond: 400e3, queueAfterTap: true, window: 32768, bytes: 1_500_000, senderToTapNs: 50_000, tapToReceiverNs: 7 * MS },
  // DSL at 1 Mbit/s, a 64 KB window, 20 ms away, IPv6
  { name: 'dsl-1m-v6', seed: 12, v6: true, bitsPerSecond: 1e6, queueAfterTap: true, window: 65535, bytes: 2_000_000, senderToTapNs: 100_000, tapToReceiverNs: 20 * MS },
  // a 3 Mbit/s WAN link with a 64 KB window, 2 ms away: a queue of ~170 ms, 40 x the path
  { name: 'wan-3m', seed: 13, bitsPerSecond: 3e6, queueAfterTap: true, window: 65535, bytes: 3_000_000, senderToTapNs: 20_000, tapToReceiverNs: 2 * MS },
];

for (const u of QUEUED) {
  test(`an upload through a slow link with its queue past the capture point is named (${u.name})`, async () => {
    const path = upload(u);
    const f = await queueFindings(path);
    assert.equal(f.length, 1, 'one finding for the one upload');
    const m = f[0].metrics;
    assert.equal(m.sender, 'client');
    assert.ok(Number(m.window_full) >= MIN_FULL_SEGMENTS);
    const hsMs = Number(m.rtt_handshake_ms);
    assert.ok(Math.abs(hsMs - 2 * (u.senderToTapNs + u.tapToReceiverNs) / 1e6) < 0.5, `handshake ${hsMs} ms`);
    assert.ok(Number(m.rtt_mean_ms) >= 10 * hsMs && Number(m.rtt_mean_ms) - hsMs >= QUEUE_MIN_NS / 1e6);
    // the queue holds about the window: rate x round trip within 15 % of it
    assert.ok(Math.abs(Number(m.in_flight_bytes) - u.window) / u.window < 0.15, `in flight ${m.in_flight_bytes} vs window ${u.window}`);
    // the transfer runs at about the link's rate (payload only, so a little under it)
    const rate = Number(m.rate_kbit_s) * 1e3;
    assert.ok(rate < u.bitsPerSecond && rate > 0.8 * u.bitsPerSecond, `rate ${rate} vs link ${u.bitsPerSecond}`);
    // against tshark: the first window_full frame and the mean ack_rtt of the ACKs after it
    const ts = tsharkQueueRtt(path);
    assert.equal(f[0].frames[0], ts.firstFull);
    assert.equal(m.rtt_samples, ts.samples);
    assert.ok(Math.abs(Number(m.rtt_mean_ms) - ts.meanMs) < 0.1, `pcapdx ${m.rtt_mean_ms} ms, tshark ${ts.meanMs} ms`);
    assert.match(f[0].summary, /waited in a queue/);
  });
}

test('the same upload seen from behind the slow link (its queue before the capture point) is not named', async () => {
  const path = upload({ ...QUEUED[0], name: 'cable-behind', queueAfterTap: false });
  // the link spaces the segments before the tap: it never sees a full window, nor the queue
  assert.equal(tsharkQueueRtt(path).firstFull, 0);
  assert.deepEqual(await queueFindings(path), []);
});

/** The full-window facts of the capture's one connection: the controls below reach the rule's
 *  counts, so what keeps them quiet is the round trip. */
async function fullWindowOf(path: string) {
  const fw = (await analyse([path])).connections[0].fullWindow;
  assert.ok(fw !== null && fw.fullSegments >= MIN_FULL_SEGMENTS && fw.rttSamples >= MIN_RTT_SAMPLES, JSON.stringify(fw));
  return fw;
}

test('a window-limited upload on a fast link (full windows, short round trips) is not named', async () => {
  const path = upload({ name: 'fast', seed: 21, bitsPerSecond: 1e9, queueAfterTap: true, window: 32768, bytes: 3_000_000, senderToTapNs: 50_000, tapToReceiverNs: 7 * MS });
  const fw = await fullWindowOf(path);
  assert.ok(fw.rttMeanNs < 2 * 14.1 * MS, `round trips stay near the path's: ${fw.rttMeanNs / MS} ms`);
  assert.deepEqual(await queueFindings(path), []);
});

/** A hand-made connection with full-window facts: the rule's thresholds one at a time. */
function handMade(hsNs: number, rttMeanNs: number, bytesPerS: number): AnalysedTrace {
  const fw: FullWindowFacts = { dir: 0, fullSegments: 100, firstFullFrame: 10, rttSamples: 100, rttMeanNs, rttMaxNs: rttMeanNs, rttMaxFrame: 20 };
  const c = {
    stream: 0, origAddr: '10.0.0.1', origPort: 40000, respAddr: '10.0.0.2', respPort: 20, handshakeRttNs: hsNs, fullWindow: fw,
    orig: { payload: bytesPerS * 10 }, resp: { payload: 0 }, firstNs: 0n, lastNs: 10_000_000_000n, keySegments: [],
  } as unknown as ConnectionFacts;
  return { labelCounts: { window_full: 100 }, connections: [c] } as unknown as AnalysedTrace;
}

test('a trace of many queued uploads gives at most MAX_FINDINGS findings, the longest queues, and counts the rest', () => {
  const one = (stream: number, rttMs: number) => (handMade(5 * MS, rttMs * MS, 40_000).connections[0] as unknown as Record<string, unknown> & { stream: number });
  const conns = Array.from({ length: MAX_FINDINGS + 5 }, (_, i) => Object.assign(one(i, 200 + i), { stream: i }));
  const f = tcpBottleneckQueue.run({ labelCounts: { window_full: 1 }, connections: conns } as unknown as AnalysedTrace);
  assert.equal(f.length, MAX_FINDINGS);
  assert.equal(f[0].connection?.stream, MAX_FINDINGS + 4, 'the longest queue first');
  assert.equal(f[MAX_FINDINGS - 1].metrics.more_connections, 5);
});

test('thresholds: 10 x the handshake, 100 ms of queue, several segments in flight', () => {
  const named = (hs: number, rtt: number, rate: number) => tcpBottleneckQueue.run(handMade(hs, rtt, rate)).length === 1;
  // a long path (a satellite hop, 500 ms): a 4 s round trip is a queue, 4.9 s is not named (the rule errs quiet)
  assert.equal(named(500 * MS, 5000 * MS, 50_000), true);
  assert.equal(named(500 * MS, 4990 * MS, 50_000), false);
  // a short path: 10 x is not enough below 100 ms of queue
  assert.equal(named(5 * MS, 104 * MS, 500_000), false);
  assert.equal(named(5 * MS, 106 * MS, 500_000), true);
  // a window of a segment or two: round trips of the receiver's delayed-ACK timer (200 ms), not a queue
  assert.equal(named(1 * MS, 200 * MS, 14_600), false);
  assert.equal(named(1 * MS, 200 * MS, 40_000), true);
});

test('a receiver that stops reading (zero windows) is not a queue', async () => {
  const path = upload({ name: 'paused', seed: 22, bitsPerSecond: 1e9, queueAfterTap: true, window: 32768, bytes: 800_000, senderToTapNs: 50_000, tapToReceiverNs: 2 * MS, pauseNs: 1500 * MS });
  await fullWindowOf(path);
  const all = runRules(await analyse([path]));
  assert.deepEqual(all.filter((f) => f.id === 'tcp/bottleneck-queue'), []);
  assert.ok(all.some((f) => f.id === 'tcp/zero-window' || f.id === 'tcp/zero-window-stall'), 'the pauses are named as what they are');
});

test('corpus: the failed FTP upload ran through a queue of ~0.7 s at ~360 kbit/s (tshark: window_full from frame 78)', async () => {
  const f = await queueFindings(join(corpusDir(), 'tcp/window-full-ftp-upload-failed.pcap'));
  assert.equal(f.length, 1);
  const m = f[0].metrics;
  assert.equal(f[0].frames[0], 78);
  assert.equal(m.window_full, 611);
  assert.ok(Number(m.rtt_mean_ms) > 700 && Number(m.rtt_mean_ms) < 750, String(m.rtt_mean_ms));
  assert.equal(m.rtt_handshake_ms, 14.093);
  assert.ok(Number(m.rate_kbit_s) > 350 && Number(m.rate_kbit_s) < 380, String(m.rate_kbit_s));
  // its end: the receiver's side resets first at frame 1637, after 611 labelled segments used up
  // the marked key segments (SYN, FIN and RST have rows of their own beyond them)
  const resets = runRules(await analyse([join(corpusDir(), 'tcp/window-full-ftp-upload-failed.pcap')])).find((x) => x.id === 'tcp/resets');
  assert.equal(resets?.frames[0], 1637);
  // the printer fills its window 3 times: a burst, not a queue
  assert.deepEqual(await queueFindings(join(corpusDir(), 'tcp/window-full-printer.pcapng')), []);
});
