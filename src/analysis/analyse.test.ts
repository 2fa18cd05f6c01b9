import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyse, noteHealth, notePlain, recordSegment } from './analyse.js';
import { Builders } from './builders.js';
import { FACT_HEALTH, FACT_HISTORY_RESET, FACT_KEEPALIVE, healthShown } from './kept.js';
import { SegmentStore } from './segment-store.js';
import { KEY_SEGMENTS_FIRST, KEY_SEGMENTS_FLAGGED, KEY_SEGMENTS_LAST, KEY_SEGMENTS_MARKED } from './trace.js';
import { L_FAST_RETRANSMISSION, L_KEEP_ALIVE, L_RETRANSMISSION, L_WINDOW_UPDATE, L_ZERO_WINDOW } from '../tcp/labels.js';
import { corpusDir, readReference } from '../../test/corpus.js';
import { pcapFile } from '../capture/build.test-util.js';
import { L3_IPV4, newPacket, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../wire/packet.js';

// Hand-assembled IPv4 headers (checksums are not checked by the decoder and left zero).
function ipv4(src: number[], dst: number[], proto: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(20 + payload.length);
  h.set([0x45, 0, (h.length >> 8) & 0xff, h.length & 0xff, 0, 1, 0x40, 0, 64, proto, 0, 0, ...src, ...dst]);
  h.set(payload, 20);
  return h;
}
function tcp(sport: number, dport: number, seq: number, ack: number, flags: number): Uint8Array {
  const t = new Uint8Array(20);
  const v = new DataView(t.buffer);
  v.setUint16(0, sport); v.setUint16(2, dport); v.setUint32(4, seq); v.setUint32(8, ack);
  t[12] = 0x50; t[13] = flags; v.setUint16(14, 65535);
  return t;
}
function eth(ip: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + ip.length);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  f.set(ip, 14);
  return f;
}
const C = [10, 0, 0, 1];
const S = [10, 0, 0, 2];

test('an ICMP administratively-prohibited error quoting a SYN-ACK is tied to its connection and direction', async () => {
  const synack = ipv4(S, C, 6, tcp(304, 800, 5000, 1001, TCP_SYN | TCP_ACK));
  const icmp = new Uint8Array(8 + 28);
  icmp.set([3, 13, 0, 0, 0, 0, 0, 0]);
  icmp.set(synack.subarray(0, 28), 8); // quoted IP header + 8 bytes of TCP, as RFC 792 requires
  const file = pcapFile({}, [
    { sec: 100, frac: 0, data: eth(ipv4(C, S, 6, tcp(800, 304, 1000, 0, TCP_SYN))) },
    { sec: 100, frac: 200, data: eth(synack) },
    { sec: 100, frac: 300, data: eth(ipv4(C, S, 1, icmp)) },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-an-'));
  writeFileSync(join(dir, 'b.pcap'), file);
  const t = await analyse([join(dir, 'b.pcap')]);
  assert.equal(t.icmpErrors.length, 1);
  const e = t.icmpErrors[0];
  assert.deepEqual([e.frame, e.type, e.code, e.from, e.stream, e.quotedDir], [3, 3, 13, '10.0.0.1', 0, 1]);
  assert.deepEqual(e.quoted, { src: '10.0.0.2', dst: '10.0.0.1', proto: 6, srcPort: 304, dstPort: 800, seq: 5000 });
  assert.equal(t.connections.length, 1);
  assert.deepEqual(t.connections[0].keySegments.map((s) => [s.frame, s.dir, s.seq]), [[1, 0, 1000], [2, 1, 5000]]);
  assert.equal(t.connections[0].keySegments[1].ns, 100_000_200_000n);
});

test('a corpus capture: connections, labels and SMB2 exchanges in one pass, labels as tshark counts them', async () => {
  const rel = 'smb/smb2-echo-macos-dlt-null.pcap';
  const t = await analyse([`${corpusDir()}/${rel}`]);
  const ref = readReference(rel);
  const countCol = (name: string): number => ref.rows.filter((r) => r[ref.col(name)] !== '').length;
  assert.equal(t.labelCounts.window_update ?? 0, countCol('tcp.analysis.window_update'));
  assert.equal(t.labelCounts.duplicate_ack ?? 0, countCol('tcp.analysis.duplicate_ack'));
  const echoes = t.exchanges.filter((e) => e.command === 'ECHO');
  assert.ok(echoes.length >= 30, `ECHO exchanges: ${echoes.length}`);
  assert.ok(echoes.every((e) => e.kind === 'pair' && e.latencyNs >= 0));
  // key segments are a bounded, ordered subset of each connection's segments
  for (const c of t.connections) {
    const frames = c.keySegments.map((s) => s.frame);
    assert.deepEqual(frames, [...frames].sort((a, b) => a - b));
    assert.ok(frames.length <= KEY_SEGMENTS_FIRST + KEY_SEGMENTS_MARKED + KEY_SEGMENTS_FLAGGED + KEY_SEGMENTS_LAST);
    assert.equal(c.segmentsOmitted + frames.length, c.orig.pkts + c.resp.pkts);
  }
});

test('connection times stay exact when the first TCP frame is months after the capture\'s first frame', async () => {
  // a UDP datagram at 0 s, then a handshake 2^24 s (194 days, more ns than a number holds
  // exactly) later at sub-microsecond steps: the times go through the bigint path
  const udp = new Uint8Array(8 + 4);
  udp.set([0, 53, 0, 53, 0, 12, 0, 0]);
  const later = 2 ** 24;
  const file = pcapFile({ nanos: true }, [
    { sec: 0, frac: 0, data: eth(ipv4(C, S, 17, udp)) },
    { sec: later, frac: 1, data: eth(ipv4(C, S, 6, tcp(800, 304, 1000, 0, TCP_SYN))) },
    { sec: later, frac: 3, data: eth(ipv4(S, C, 6, tcp(304, 800, 5000, 1001, TCP_SYN | TCP_ACK))) },
    { sec: later + 1, frac: 7, data: eth(ipv4(C, S, 6, tcp(800, 304, 1001, 5001, TCP_ACK))) },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-an-'));
  writeFileSync(join(dir, 'late.pcap'), file);
  const t = await analyse([join(dir, 'late.pcap')]);
  assert.equal(t.connections.length, 1);
  const c = t.connections[0];
  const at = (sec: number, ns: number): bigint => BigInt(sec) * 1_000_000_000n + BigInt(ns);
  assert.equal(c.firstNs, at(later, 1));
  assert.equal(c.lastNs, at(later + 1, 7));
  assert.equal(c.baseNs, 0n);
  assert.deepEqual([c.firstFrame, c.lastFrame, c.origAddr, c.respAddr, c.origPort, c.respPort], [2, 4, '10.0.0.1', '10.0.0.2', 800, 304]);
});

test('connection times relative to a capture whose first frame is its first TCP frame', async () => {
  const file = pcapFile({ nanos: true }, [
    { sec: 1_700_000_000, frac: 999_999_999, data: eth(ipv4(C, S, 6, tcp(800, 304, 1000, 0, TCP_SYN))) },
    { sec: 1_700_000_001, frac: 250, data: eth(ipv4(S, C, 6, tcp(304, 800, 5000, 1001, TCP_SYN | TCP_ACK))) },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-an-'));
  writeFileSync(join(dir, 'near.pcap'), file);
  const t = await analyse([join(dir, 'near.pcap')]);
  const c = t.connections[0];
  assert.equal(c.firstNs, 1_700_000_000_999_999_999n);
  assert.equal(c.lastNs, 1_700_000_001_000_000_250n);
  assert.equal(c.connect?.setupNs, 250 + 1);
  assert.equal(c.state, 'S1');
  assert.equal(c.opener, 'syn');
  assert.equal(c.endReason, 'end');
});

test('the common-segment path (notePlain) leaves the builders as recordSegment + noteHealth do', () => {
  // random segments of a few connections: mostly plain (no label, no SYN/FIN/RST), among them
  // SYNs, FINs, RSTs and labelled ones (zero windows opening an episode that a plain segment may
  // close, retransmissions, duplicates), in-order data, jumps ahead (holes) and ACKs of holes
  let seed = 12345;
  /** 0 .. n - 1 (xorshift32: an LCG's low bits repeat too soon for the choices made here) */
  const rnd = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return Math.floor(((seed >>> 0) / 2 ** 32) * n);
  };
  const fast = new Builders();
  const slow = new Builders();
  const p = newPacket();
  const next = [[0, 0], [0, 0], [0, 0]].map((x) => x.map(() => rnd(1 << 30) * 4));
  const streams = [0, 0, 0];
  const synSeq = [-1, -1, -1];
  /** a new connection starts with its handshake: 0 SYN next, 1 SYN-ACK next, 2 any segment */
  const phase = [0, 0, 0];
  /** per connection, which unusual events it may have (bits: zero windows, retransmissions,
   *  keep-alives, holes, capture duplicates), so that connections with one kind only are among them */
  const mix = [31, 31, 31];
  /** the last data segment per connection and direction (seq, length, time), for capture duplicates */
  const lastData = [0, 1, 2].map(() => [[0, 0, 0], [0, 0, 0]]);
  let now = 0;
  let handshakes = 0;
  let zeroWindows = 0;
  let duplicates = 0;
  const cols = (B: Builders) => Object.entries(B).filter(([, v]) => ArrayBuffer.isView(v)) as [string, Float64Array][];
  /** every typed-array column and the label counts, and the key segments slot b's connection
   *  hands to the store, are the same both ways (checked before each connection is dropped) */
  const same = (b: number) => {
    for (const [[k, x], [, y]] of cols(fast).map((c, i) => [c, cols(slow)[i]])) assert.deepEqual(Array.from(x), Array.from(y), k);
    assert.deepEqual(Array.from(fast.labels.v), Array.from(slow.labels.v));
    zeroWindows += slow.zeroWindows[b];
    duplicates += slow.captureDuplicates[b];
    const sf = new SegmentStore();
    const ss = new SegmentStore();
    fast.moveRows(b, sf);
    slow.moveRows(b, ss);
    assert.ok(sf.length > 0);
    assert.deepEqual(sf.facts(0, sf.length, 0n), ss.facts(0, ss.length, 0n));
  };
  let plain = 0;
  for (let frame = 1; frame <= 6000; frame++) {
    const b = rnd(3);
    if (rnd(100) === 0 || frame <= 3) {
      if (frame > 3) same(b);
      streams[b]++;
      synSeq[b] = -1;
      phase[b] = 0;
      mix[b] = rnd(2) ? rnd(32) : 1 << rnd(6); // every mix, and often a single kind (or none: 32)
      fast.free(b);
      slow.free(b);
    }
    for (const B of [fast, slow]) if (!B.holds(b, streams[b])) B.start(b, streams[b]);
    const dir = (phase[b] < 2 ? phase[b] : rnd(2)) as 0 | 1;
    const kind = phase[b] < 2 ? 0 : rnd(20);
    if (phase[b] < 2) phase[b]++;
    let flags = TCP_ACK | (rnd(2) ? TCP_PSH : 0);
    let labels = 0;
    // a SYN from the originator, a SYN-ACK acknowledging it from the responder
    if (kind === 0) flags = dir === 0 ? TCP_SYN : TCP_SYN | TCP_ACK;
    else if (kind === 1) flags |= TCP_FIN;
    else if (kind === 2) flags = TCP_RST | (rnd(2) ? TCP_ACK : 0);
    else if (kind === 3 && mix[b] & 1) labels = L_ZERO_WINDOW;
    else if (kind === 4 && mix[b] & 2) labels = L_RETRANSMISSION | (rnd(2) ? L_FAST_RETRANSMISSION : 0);
    else if (kind === 5 && mix[b] & 4) labels = L_KEEP_ALIVE;
    else if (kind === 6) labels = L_WINDOW_UPDATE;
    let len = rnd(3) === 0 ? 0 : 1 + rnd(1448);
    let seq = next[b][dir];
    // the capture seeing the last data segment again 1 µs later
    const dup = kind === 7 && (mix[b] & 16) !== 0 && lastData[b][dir][1] > 0;
    let rel = now;
    if (dup) {
      labels = L_RETRANSMISSION;
      [seq, len, rel] = lastData[b][dir];
      rel += 1000;
    } else {
      // 50 µs apart, now and then a silence past the RTO minimum
      now += 50_000 + (rnd(40) === 0 ? 250e6 : rnd(1000));
      if (rnd(15) === 0 && mix[b] & 8) seq = (seq + 1 + rnd(5000)) >>> 0; // a hole
      else if (labels & L_RETRANSMISSION) seq = (seq - len) >>> 0;
      next[b][dir] = (seq + len) >>> 0;
      rel = now;
    }
    if (len > 0 && (flags & TCP_SYN) === 0) lastData[b][dir] = [seq, len, rel];
    p.l3 = L3_IPV4;
    p.ipId = rnd(4) === 0 ? 0 : rnd(65536);
    p.tcpFlags = flags;
    p.seq = seq;
    p.ack = (next[b][1 - dir] - (rnd(4) === 0 ? rnd(8000) : 0)) >>> 0;
    if (flags === TCP_SYN && synSeq[b] < 0) synSeq[b] = seq;
    if (flags === (TCP_SYN | TCP_ACK)) p.ack = (synSeq[b] + 1) >>> 0;
    if (dir === 0 && flags === TCP_ACK && slow.synAckFrame[b] > 0 && slow.hsRtt[b] < 0) handshakes++;
    p.payloadLength = len;
    p.window = labels & L_ZERO_WINDOW ? 0 : rnd(10) === 0 ? 0 : 1 + rnd(65535);
    const ka = labels & L_KEEP_ALIVE ? 1 + rnd(2) : 0;
    if (labels === 0 && (flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0) {
      plain++;
      notePlain(fast, b, frame, rel, dir, p, ka);
    } else {
      recordSegment(fast, b, frame, rel, dir, p, labels, ka);
      noteHealth(fast, b, frame, rel, dir, p, labels);
    }
    recordSegment(slow, b, frame, rel, dir, p, labels, ka);
    noteHealth(slow, b, frame, rel, dir, p, labels);
  }
  assert.ok(plain > 3000, `${plain} plain segments`);
  assert.ok(handshakes > 20, `${handshakes} handshakes`);
  for (let b = 0; b < 3; b++) same(b);
  assert.ok(zeroWindows > 10, `${zeroWindows} zero-window episodes`);
  assert.ok(duplicates > 10, `${duplicates} capture duplicates`);
});

test('the trace\'s fact rows are its connections in order, and their screen columns read as the getters do', async () => {
  // many connections (a scan), keep-alives and zero windows, retransmissions
  const rels = ['tcp/syn-scan.pcapng', 'tcp/ftp-brute-keepalive-zero-window.pcap', 'tcp/connection-lost-rto.pcap'];
  const t = await analyse(rels.map((r) => `${corpusDir()}/${r}`));
  const facts = t.connectionFacts!;
  assert.equal(facts.length, t.connections.length);
  const s = facts.screenColumns();
  assert.equal(s.n, t.connections.length);
  let health = 0;
  let keepAlives = 0;
  t.connections.forEach((c, k) => {
    const ka = c.keepAlives;
    assert.deepEqual(
      [s.rowStart[k], s.rowEnd[k], s.capture[k], s.origPort[k], s.respPort[k], s.setupNs[k], (s.facts[k] & FACT_KEEPALIVE) !== 0, (s.facts[k] & FACT_HEALTH) !== 0,
        (s.facts[k] & FACT_HISTORY_RESET) !== 0, s.durationNs[k]],
      [c.keyRowStart, c.keyRowEnd, c.capture, c.origPort, c.respPort, c.setupNs ?? NaN, ka.zeroByte + ka.oneByte > 0, healthShown(c), /[Rr]/.test(c.history),
        Number(c.lastNs - c.firstNs)],
      `connection ${k}`,
    );
    health += (s.facts[k] & FACT_HEALTH) !== 0 ? 1 : 0;
    keepAlives += (s.facts[k] & FACT_KEEPALIVE) !== 0 ? 1 : 0;
  });
  assert.ok(t.connections.length > 100 && health > 0 && keepAlives > 0, `${t.connections.length} connections, ${health} with health, ${keepAlives} keep-alives`);
});
