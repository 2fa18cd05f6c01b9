// Connections are recycled (free list) and memory depends on the connections open at once only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../capture/types.js';
import { L3_IPV4, PROTO_TCP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, newPacket } from '../wire/packet.js';
import { Conn, Dir } from './conn.js';
import { TcpTracker } from './tracker.js';

const ACCESSORS_DIR = ['baseSeq', 'window', 'nextSeq', 'nextSeqTime', 'maxSeqToBeAcked', 'lastAck', 'lastAckTime',
  'lastSynSeq', 'lastSynAckSeq', 'lastFinSeq', 'lastRstSeq', 'ipBytes', 'payload', 'baseSet', 'winScale',
  'nextSeqFrame', 'dupAckNum', 'lastNonDupAck', 'lastSegmentFlags', 'validBif', 'pkts', 'retransmissions', 'sawSyn',
  'sawSynAck', 'sawFin', 'sawRst', 'sawData', 'sawAck', 'retransCount', 'gapCount', 'zeroWinCount', 'mss'] as const;
const ACCESSORS_CONN = ['firstTime', 'lastTime', 'mruSynTime', 'firstRtt', 'closeTime', 'a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2', 'b3'] as const;

/** Where a Conn's or Dir's numbers are in the slab (differs between slots; not state). */
const VIEW_FIELDS = new Set(['o', 'historyStart']);

/** Every observable value of a Dir: own fields (not the slab or ring) and the slab accessors. */
function dirState(d: Dir): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) if (typeof v !== 'object' && !VIEW_FIELDS.has(k)) o[k] = v;
  for (const k of ACCESSORS_DIR) o[k] = d[k];
  o.unacked = [d.unacked.count, d.unacked.mainCount, d.unacked.sideCount, d.unacked.capacity, d.unacked.sideCapacity];
  return o;
}

function connState(c: Conn): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if ((typeof v !== 'object' || v === null) && !VIEW_FIELDS.has(k)) o[k] = v;
  for (const k of ACCESSORS_CONN) o[k] = c[k];
  o.history = c.history;
  o.vlans = [...c.vlans];
  o.d0 = dirState(c.d0);
  o.d1 = dirState(c.d1);
  return o;
}

/** Feeds `n` sequential connections (handshake, request, response, FIN both ways, last ACK). */
function feed(tr: TcpTracker, n: number, onConn?: (i: number) => void): void {
  const pkt = newPacket();
  pkt.l3 = L3_IPV4;
  pkt.proto = PROTO_TCP;
  pkt.tcpValid = true;
  pkt.window = 1000;
  const frame = { number: 0, tsSec: 1_700_000_000, tsNsec: 0, buf: new Uint8Array(0), start: 0 } as unknown as Frame;
  let ns = 0;
  const seg = (fromClient: boolean, cl: number, port: number, flags: number, seq: number, ack: number, len: number): void => {
    frame.number++;
    ns += 1000;
    frame.tsSec = 1_700_000_000 + Math.floor(ns / 1e9);
    frame.tsNsec = ns % 1e9;
    pkt.src[0] = fromClient ? cl : 0xc0a80001;
    pkt.dst[0] = fromClient ? 0xc0a80001 : cl;
    pkt.srcPort = fromClient ? port : 80;
    pkt.dstPort = fromClient ? 80 : port;
    pkt.tcpFlags = flags;
    pkt.seq = seq >>> 0;
    pkt.ack = ack >>> 0;
    pkt.payloadLength = len;
    pkt.ipTotalLength = 40 + len;
    pkt.mss = flags & TCP_SYN ? 1460 : -1;
    pkt.wscale = flags & TCP_SYN ? 7 : -1;
    tr.track(frame, pkt);
  };
  for (let i = 1; i <= n; i++) {
    const cl = (0x0a000000 + (i % 5000)) >>> 0;
    const port = 1024 + (i % 60000);
    const c = Math.imul(i, 0x9e3779b1) >>> 0;
    const s = Math.imul(i, 0x85ebca6b) >>> 0;
    seg(true, cl, port, TCP_SYN, c, 0, 0);
    seg(false, cl, port, TCP_SYN | TCP_ACK, s, c + 1, 0);
    seg(true, cl, port, TCP_ACK, c + 1, s + 1, 0);
    seg(true, cl, port, TCP_PSH | TCP_ACK, c + 1, s + 1, 200);
    seg(false, cl, port, TCP_PSH | TCP_ACK, s + 1, c + 201, 1000);
    seg(true, cl, port, TCP_FIN | TCP_ACK, c + 201, s + 1001, 0);
    seg(false, cl, port, TCP_FIN | TCP_ACK, s + 1001, c + 202, 0);
    seg(true, cl, port, TCP_ACK, c + 202, s + 1002, 0);
    onConn?.(i);
  }
}

test('a reset Conn is indistinguishable from a new one', () => {
  const fresh = connState(new Conn());
  let seen = 0;
  const tr = new TcpTracker({
    maxClosed: 4,
    onEndConn: (c) => {
      seen++;
      // the Conn is reset right after this call: check a copy of it on the next connection
      queueReset.push(c);
    },
  });
  const queueReset: Conn[] = [];
  let checked = 0;
  feed(tr, 50, () => {
    for (const c of queueReset.splice(0)) {
      if (c.inTable) continue; // already reused by a newer connection
      assert.deepEqual(connState(c), fresh);
      checked++;
    }
  });
  assert.ok(seen >= 40 && checked >= 20, `${seen} ended, ${checked} checked`);
  // a used Conn, reset by hand
  const c = new Conn();
  c.a0 = 0xffffffff; c.firstTime = 12345.5; c.d0.nextSeq = 4e9; c.d1.ipBytes = 1e12; c.addHistory(0x53);
  c.d0.unacked.push(1, 2, 3, 4);
  c.d0.unacked.push(0, 1, 5, 6); // out of order: side list
  c.reset();
  assert.deepEqual(connState(c), fresh);
});

test('sequential connections: the table stays bounded, Conns are reused, every one is reported once', () => {
  const streams = new Set<number>();
  const objects = new Set<Conn>();
  const tr = new TcpTracker({
    maxClosed: 1000,
    onEndConn: (c) => {
      assert.ok(!streams.has(c.stream));
      streams.add(c.stream);
      objects.add(c);
    },
  });
  let maxOpen = 0;
  feed(tr, 20_000, () => { maxOpen = Math.max(maxOpen, tr.stats.open); });
  tr.finish();
  assert.equal(streams.size, 20_000);
  assert.ok(maxOpen <= 1002, `table held ${maxOpen}`);
  assert.ok(tr.stats.peakOpen <= 1002, `peak ${tr.stats.peakOpen}`);
  // far fewer objects than connections: released Conns came back from the free list
  assert.ok(objects.size <= 1100, `${objects.size} Conn objects for 20,000 connections`);
});
