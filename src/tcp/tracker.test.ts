// Tracker and per-segment analysis on hand-made packets: one line per segment says what it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../capture/types.js';
import { L3_IPV4, PROTO_TCP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, newPacket, type Packet } from '../wire/packet.js';
import { TcpTracker, type ConnRecord } from './tracker.js';
import { KA_ONE_BYTE, KA_ZERO_BYTE, labelNames } from './labels.js';

const CLIENT = 0x0a000001; // 10.0.0.1
const SERVER = 0x0a000002; // 10.0.0.2
const S = TCP_SYN;
const SA = TCP_SYN | TCP_ACK;
const A = TCP_ACK;
const PA = TCP_PSH | TCP_ACK;
const FA = TCP_FIN | TCP_ACK;

interface Seg {
  t: number; // ms since start
  from: 'c' | 's';
  flags: number;
  seq: number;
  ack?: number;
  len?: number;
  win?: number;
  wscale?: number;
  vlan?: number;
  captured?: number; // payload bytes present (snaplen cut), default all
  cport?: number;
}

/** Feeds segments to a tracker; returns the labels (Wireshark names) and results per segment. */
function run(segs: Seg[], tracker = new TcpTracker()) {
  const pkt: Packet = newPacket();
  const frame: Frame = {
    number: 0, tsSec: 1_700_000_000, tsNsec: 0, tsDigits: 9, caplen: 0, origlen: 0, linkType: 1,
    iface: 0, data: new Uint8Array(0), offset: 0, buf: new Uint8Array(0), start: 0, filePos: -1,
  };
  const out: { labels: string[]; stream: number; dir: number; dupAckNum: number; dupAckFrame: number; ackRttNs: number; ka: number; bif: number }[] = [];
  segs.forEach((g, i) => {
    frame.number = i + 1;
    const ns = Math.round(g.t * 1e6);
    frame.tsSec = 1_700_000_000 + Math.floor(ns / 1e9);
    frame.tsNsec = ns % 1e9;
    pkt.l3 = L3_IPV4;
    pkt.proto = PROTO_TCP;
    pkt.tcpValid = true;
    const cport = g.cport ?? 50000;
    pkt.src[0] = g.from === 'c' ? CLIENT : SERVER;
    pkt.dst[0] = g.from === 'c' ? SERVER : CLIENT;
    pkt.srcPort = g.from === 'c' ? cport : 445;
    pkt.dstPort = g.from === 'c' ? 445 : cport;
    pkt.tcpFlags = g.flags;
    pkt.seq = g.seq >>> 0;
    pkt.ack = (g.ack ?? 0) >>> 0;
    pkt.window = g.win ?? 1000;
    pkt.wscale = g.wscale ?? -1;
    pkt.mss = g.flags & TCP_SYN ? 1460 : -1;
    pkt.payloadLength = g.len ?? 0;
    pkt.payloadCaptured = g.captured ?? g.len ?? 0;
    pkt.ipTotalLength = 40 + (g.len ?? 0);
    pkt.vlanKey = g.vlan ?? 0;
    pkt.vlanDepth = g.vlan ? 1 : 0;
    pkt.vlans[0] = g.vlan ?? 0;
    pkt.fragment = 0;
    const r = tracker.track(frame, pkt);
    assert.ok(r !== null);
    out.push({
      labels: labelNames(r.labels), stream: r.stream, dir: r.dir, dupAckNum: r.dupAckNum,
      dupAckFrame: r.dupAckFrame, ackRttNs: r.ackRttNs, ka: r.keepAliveStyle, bif: r.bytesInFlight,
    });
  });
  return out;
}

function handshake(cIsn: number, sIsn: number, t0 = 0): Seg[] {
  return [
    { t: t0, from: 'c', flags: S, seq: cIsn, wscale: 7 }, // SYN
    { t: t0 + 10, from: 's', flags: SA, seq: sIsn, ack: cIsn + 1, wscale: 8 }, // SYN-ACK, 10 ms RTT
    { t: t0 + 11, from: 'c', flags: A, seq: cIsn + 1, ack: sIsn + 1 }, // ACK ends the handshake
  ];
}

test('a clean connection: no labels, ack_rtt, iRTT, history and state SF', () => {
  const ends: ConnRecord[] = [];
  const tr = new TcpTracker({ onEnd: (r) => ends.push(r) });
  const out = run([
    ...handshake(1000, 5000),
    { t: 12, from: 'c', flags: PA, seq: 1001, ack: 5001, len: 100 }, // request
    { t: 22, from: 's', flags: PA, seq: 5001, ack: 1101, len: 200 }, // reply acks it after 10 ms
    { t: 23, from: 'c', flags: FA, seq: 1101, ack: 5201 }, // client FIN
    { t: 33, from: 's', flags: FA, seq: 5201, ack: 1102 }, // server FIN
    { t: 34, from: 'c', flags: A, seq: 1102, ack: 5202 }, // last ACK
  ], tr);
  for (const o of out) assert.deepEqual(o.labels, []);
  assert.equal(out[1].ackRttNs, 10e6); // SYN-ACK acknowledges the SYN
  assert.equal(out[4].ackRttNs, 10e6); // reply acknowledges the request
  assert.deepEqual(out.map((o) => o.dir), [0, 1, 0, 0, 1, 0, 1, 0]);
  tr.finish();
  assert.equal(ends.length, 1);
  const c = ends[0];
  assert.equal(c.opener, 'syn');
  assert.equal(c.origAddr, '10.0.0.1');
  assert.equal(c.respPort, 445);
  assert.equal(c.handshakeRttNs, 11e6);
  assert.equal(c.history, 'ShADdFf'); // the server never sends a pure ACK
  assert.equal(c.state, 'SF');
  assert.equal(c.orig.payload, 100);
  assert.equal(c.resp.payload, 200);
  assert.equal(c.firstNs, 1_700_000_000_000_000_000n);
  assert.equal(c.lastNs - c.firstNs, 34_000_000n);
});

test('sequence numbers wrapping past 2^32 are neither lost nor retransmitted', () => {
  const isn = 0xffffff00; // 256 bytes before the wrap
  const out = run([
    ...handshake(isn, 7),
    { t: 20, from: 'c', flags: A, seq: isn + 1, ack: 8, len: 200 }, // up to 2^32 - 55
    { t: 21, from: 'c', flags: A, seq: (isn + 201) >>> 0, ack: 8, len: 200 }, // crosses the wrap
    { t: 22, from: 'c', flags: A, seq: (isn + 401) >>> 0, ack: 8, len: 200 }, // after it
    { t: 32, from: 's', flags: A, seq: 8, ack: (isn + 601) >>> 0 }, // acks all three
    { t: 300, from: 'c', flags: A, seq: (isn + 201) >>> 0, ack: 8, len: 200 }, // old data again
  ]);
  for (let i = 0; i < 7; i++) assert.deepEqual(out[i].labels, [], `segment ${i + 1}`);
  assert.equal(out[6].ackRttNs, 10e6); // the ACK matches the last segment, sent 10 ms before
  assert.deepEqual(out[7].labels, ['retransmission', 'spurious_retransmission']);
});

test('a capture that starts mid-connection: direction from the ports, analysis runs', () => {
  const ends: ConnRecord[] = [];
  const tr = new TcpTracker({ onEnd: (r) => ends.push(r) });
  const out = run([
    { t: 0, from: 's', flags: PA, seq: 900, ack: 100, len: 50 }, // server data first
    { t: 1, from: 'c', flags: A, seq: 100, ack: 950 }, // client ACK
    { t: 2, from: 's', flags: PA, seq: 950, ack: 100, len: 50 },
    { t: 400, from: 's', flags: PA, seq: 950, ack: 100, len: 50 }, // retransmitted: never acked
  ], tr);
  assert.deepEqual(out.map((o) => o.labels), [[], [], [], ['retransmission']]);
  assert.equal(out[1].ackRttNs, 1e6);
  tr.finish();
  assert.equal(ends[0].opener, 'inferred');
  assert.equal(ends[0].origPort, 50000); // the client (ephemeral port) is the originator
  assert.equal(ends[0].state, 'OTH');
  assert.equal(ends[0].handshakeRttNs, -1);
});

test('snaplen-cut payloads count with their length on the wire', () => {
  const out = run([
    ...handshake(0, 0),
    { t: 20, from: 'c', flags: A, seq: 1, ack: 1, len: 1448, captured: 54 }, // cut at 54 bytes
    { t: 21, from: 'c', flags: A, seq: 1449, ack: 1, len: 1448, captured: 0 }, // headers only
    { t: 31, from: 's', flags: A, seq: 1, ack: 2897 },
  ]);
  for (const o of out) assert.deepEqual(o.labels, []);
  assert.equal(out[4].bif, 2896);
  assert.equal(out[5].ackRttNs, 10e6);
});

test('capture drops: lost_segment, then ack_lost_segment on the ACK that covers the gap', () => {
  const out = run([
    ...handshake(0, 0),
    { t: 20, from: 'c', flags: A, seq: 1, ack: 1, len: 1000 },
    // (1001..2000 not captured)
    { t: 22, from: 'c', flags: A, seq: 2001, ack: 1, len: 1000 }, // beyond the next expected byte
    { t: 30, from: 's', flags: A, seq: 1, ack: 3001 }, // acknowledges data never seen
  ]);
  assert.deepEqual(out[4].labels, ['lost_segment']);
  assert.deepEqual(out[5].labels, ['ack_lost_segment']);
  assert.equal(out[5].ackRttNs, 8e6);
});

test('duplicate ACKs are numbered and a fast retransmission follows them', () => {
  const out = run([
    ...handshake(0, 0),
    { t: 20, from: 'c', flags: A, seq: 1, ack: 1, len: 1000 },
    { t: 20.1, from: 'c', flags: A, seq: 2001, ack: 1, len: 1000 }, // 1001 lost on the way... and in the capture
    { t: 30, from: 's', flags: A, seq: 1, ack: 1001 }, // frame 6: acks the first
    { t: 30.1, from: 's', flags: A, seq: 1, ack: 1001 }, // dup #1
    { t: 30.2, from: 's', flags: A, seq: 1, ack: 1001 }, // dup #2
    { t: 30.3, from: 'c', flags: A, seq: 1001, ack: 1, len: 1000 }, // fast retransmission
  ]);
  assert.deepEqual(out[4].labels, ['lost_segment']);
  assert.deepEqual(out[6].labels, ['duplicate_ack']);
  assert.equal(out[6].dupAckNum, 1);
  assert.equal(out[6].dupAckFrame, 6);
  assert.equal(out[7].dupAckNum, 2);
  assert.deepEqual(out[8].labels, ['retransmission', 'fast_retransmission']);
});

test('keep-alives in both styles, and their ACKs', () => {
  const out = run([
    ...handshake(0, 0),
    { t: 20, from: 'c', flags: PA, seq: 1, ack: 1, len: 10 },
    { t: 30, from: 's', flags: A, seq: 1, ack: 11 },
    { t: 60_000, from: 'c', flags: A, seq: 10, ack: 1 }, // Linux: no payload at next-1
    { t: 60_010, from: 's', flags: A, seq: 1, ack: 11 }, // its ACK
    { t: 120_000, from: 'c', flags: A, seq: 10, ack: 1, len: 1 }, // Windows: the last byte again
    { t: 120_010, from: 's', flags: A, seq: 1, ack: 11 },
  ]);
  assert.deepEqual(out[5].labels, ['keep_alive']);
  assert.equal(out[5].ka, KA_ZERO_BYTE);
  assert.deepEqual(out[6].labels, ['keep_alive_ack']);
  assert.deepEqual(out[7].labels, ['keep_alive']);
  assert.equal(out[7].ka, KA_ONE_BYTE);
  assert.deepEqual(out[8].labels, ['keep_alive_ack']);
});

test('zero window, probe and probe ACK, then window update', () => {
  const out = run([
    ...handshake(0, 0),
    { t: 20, from: 'c', flags: A, seq: 1, ack: 1, len: 100 },
    { t: 30, from: 's', flags: A, seq: 1, ack: 101, win: 0 }, // receiver full
    { t: 300, from: 'c', flags: A, seq: 101, ack: 1, len: 1 }, // probe
    { t: 310, from: 's', flags: A, seq: 1, ack: 101, win: 0 }, // probe not accepted
    { t: 900, from: 's', flags: A, seq: 1, ack: 101, win: 500 }, // window opens
  ]);
  assert.deepEqual(out[4].labels, ['zero_window']);
  assert.deepEqual(out[5].labels, ['zero_window_probe']);
  assert.deepEqual(out[6].labels, ['zero_window', 'zero_window_probe_ack']);
  assert.deepEqual(out[7].labels, ['window_update']);
});

test('window_full with the handshake window scale', () => {
  const out = run([
    { t: 0, from: 'c', flags: S, seq: 0, wscale: 2 },
    { t: 10, from: 's', flags: SA, seq: 0, ack: 1, wscale: 2 },
    { t: 11, from: 'c', flags: A, seq: 1, ack: 1, win: 1000 },
    { t: 12, from: 's', flags: A, seq: 1, ack: 1, win: 100 }, // 100 << 2 = 400 bytes
    { t: 20, from: 'c', flags: A, seq: 1, ack: 1, len: 300 },
    { t: 21, from: 'c', flags: A, seq: 301, ack: 1, len: 100 }, // reaches the edge
  ]);
  assert.deepEqual(out[4].labels, []);
  assert.deepEqual(out[5].labels, ['window_full']);
});

test('a SYN with a new ISN on the same ports starts a new stream (reused_ports)', () => {
  const ends: ConnRecord[] = [];
  const tr = new TcpTracker({ onEnd: (r) => ends.push(r) });
  const out = run([
    ...handshake(1000, 5000),
    { t: 20, from: 'c', flags: TCP_RST, seq: 1001 },
    { t: 30, from: 'c', flags: S, seq: 90000 }, // new ISN
    { t: 40, from: 's', flags: SA, seq: 7000, ack: 90001 },
    { t: 41, from: 'c', flags: S, seq: 90000 }, // same ISN again: a retransmission
  ], tr);
  assert.deepEqual(out.map((o) => o.stream), [0, 0, 0, 0, 1, 1, 1]);
  assert.deepEqual(out[4].labels, ['reused_ports']);
  assert.deepEqual(out[6].labels, ['retransmission']);
  assert.equal(ends[0].endReason, 'reused');
  assert.equal(ends[0].state, 'RSTO');
  assert.equal(tr.stats.reused, 1);
});

test('VLAN: the same flow on two VLANs is two connections (tshark: one, with retransmissions)', () => {
  const segs: Seg[] = [];
  for (const vlan of [10, 20]) {
    for (const g of handshake(1000, 5000, vlan)) segs.push({ ...g, vlan });
  }
  const out = run(segs);
  assert.deepEqual(out.map((o) => o.stream), [0, 0, 0, 1, 1, 1]);
  for (const o of out) assert.deepEqual(o.labels, []); // tshark: retransmissions from frame 4 on
});

test('VLAN: one direction tagged and the other untagged is still one connection', () => {
  const out = run([
    { t: 0, from: 'c', flags: S, seq: 1, vlan: 3137 },
    { t: 1, from: 's', flags: SA, seq: 9, ack: 2 }, // untagged
    { t: 2, from: 'c', flags: A, seq: 2, ack: 10, vlan: 3137 },
  ]);
  assert.deepEqual(out.map((o) => o.stream), [0, 0, 0]);
  assert.equal(out[1].ackRttNs, 1e6);
});

test('the table is bounded: the least recently active connection is evicted and counted', () => {
  const ends: ConnRecord[] = [];
  const tr = new TcpTracker({ maxConnections: 2, onEnd: (r) => ends.push(r) });
  run([
    { t: 0, from: 'c', flags: S, seq: 1, cport: 1001 },
    { t: 1, from: 'c', flags: S, seq: 1, cport: 1002 },
    { t: 2, from: 'c', flags: S, seq: 1, cport: 1003 },
  ], tr);
  assert.equal(tr.stats.evictedFull, 1);
  assert.equal(tr.stats.open, 2);
  assert.equal(ends[0].origPort, 1001);
  assert.equal(ends[0].endReason, 'evicted');
});

test('closed connections are released after their grace period, idle ones after the timeout', () => {
  const ends: ConnRecord[] = [];
  const tr = new TcpTracker({ closedGraceNs: 1e9, idleTimeoutNs: 10e9, onEnd: (r) => ends.push(r) });
  run([
    ...handshake(0, 0),
    { t: 20, from: 'c', flags: TCP_RST | TCP_ACK, seq: 1, ack: 1 }, // closed
    { t: 30, from: 'c', flags: S, seq: 5, cport: 2000 }, // another connection, stays open
    { t: 5000, from: 'c', flags: S, seq: 5, cport: 2000 }, // 5 s later: the first one is gone
    { t: 20000, from: 'c', flags: S, seq: 9, cport: 3000 }, // 15 s of silence: the second is idle
  ], tr);
  assert.deepEqual(ends.map((e) => [e.origPort, e.endReason]), [[50000, 'closed'], [2000, 'idle']]);
  assert.equal(tr.stats.releasedClosed, 1);
  assert.equal(tr.stats.evictedIdle, 1);
});
