import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyse } from './analyse.js';
import { corpusDir, readReference } from '../../test/corpus.js';
import { pcapFile } from '../capture/build.test-util.js';
import { TCP_ACK, TCP_SYN } from '../wire/packet.js';

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
    assert.ok(frames.length <= 16 + 48 + 8);
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
