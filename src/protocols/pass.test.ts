// ProtocolPass keeps undecided connections as parked numbers and gives a connection its objects
// only when its ports or a data chunk decide SMB/RPC (or it must hold out-of-order bytes). The
// exchanges, their order and the counters must be those of the former pass, which made every
// connection's objects at its first segment: that pass is rebuilt here from the same parts
// (Dispatcher, StreamDirection) and both are fed the same random traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../capture/types.js';
import type { Conn } from '../tcp/conn.js';
import { StreamDirection } from '../tcp/stream.js';
import { formatAddr } from '../wire/addr.js';
import { newPacket, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet } from '../wire/packet.js';
import { Dispatcher, MAX_CONTENT_TRIES, type TcpProtocolConnection } from './dispatch.js';
import { ProtocolPass, type SegmentRef } from './pass.js';
import { concat, ECHO_BODY, netbios, record, rpcCall, rpcReply, smb2Header, u32 } from './testkit.js';
import { plainExchange, type Exchange } from './types.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

/** The pass as it was: objects for every connection from its first segment. */
class EagerPass {
  readonly dispatcher: Dispatcher;
  private readonly conns = new Map<number, { proto: TcpProtocolConnection; dirs: StreamDirection[]; lastFrame: number }>();
  constructor(onExchange: (e: Exchange) => void) {
    this.dispatcher = new Dispatcher(onExchange);
  }
  tcp(frame: Frame, pkt: Packet, seg: SegmentRef): void {
    let cs = this.conns.get(seg.stream);
    if (!cs) {
      const c = seg.conn;
      const proto = this.dispatcher.tcpConnection({
        transport: 'tcp', stream: seg.stream,
        client: { addr: formatAddr(c.l3, [c.a0, c.a1, c.a2, c.a3]), port: c.aPort },
        server: { addr: formatAddr(c.l3, [c.b0, c.b1, c.b2, c.b3]), port: c.bPort },
      });
      cs = { proto, dirs: [new StreamDirection(proto.fromClient), new StreamDirection(proto.fromServer)], lastFrame: 0 };
      this.conns.set(seg.stream, cs);
    }
    cs.lastFrame = frame.number;
    if (cs.proto.protocol === 'none') return;
    if ((pkt.tcpFlags & TCP_ACK) !== 0) cs.dirs[1 - seg.dir].peerAck(pkt.ack, frame.number);
    cs.dirs[seg.dir].segment(pkt.seq, pkt.tcpFlags, frame.buf, frame.start + pkt.payloadOffset, pkt.payloadCaptured,
      pkt.payloadLength, frame.number, frame.tsSec, frame.tsNsec);
  }
  connectionEnded(stream: number): void {
    const cs = this.conns.get(stream);
    if (!cs) return;
    this.conns.delete(stream);
    cs.dirs[0].flush(cs.lastFrame);
    cs.dirs[1].flush(cs.lastFrame);
    cs.proto.finish();
  }
  finish(): void {
    for (const s of [...this.conns.keys()]) this.connectionEnded(s);
    this.dispatcher.finish();
  }
}

interface Seg { stream: number; dir: number; seq: number; ack: number; flags: number; payload: Uint8Array; wire: number }

const junk = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + seed * 7 + 0x41) & 0xff);

/** client and server byte streams of one connection of the given kind */
function streams(kind: number, r: () => number, id: number): [Uint8Array, Uint8Array] {
  const c: Uint8Array[] = [];
  const s: Uint8Array[] = [];
  if (kind === 3 || kind === 4) {
    // plain text first: some tries (kind 4: more than the dispatcher gives) before RPC
    c.push(junk(kind === 3 ? 20 : 400, id));
  }
  const n = 1 + Math.floor(r() * 4);
  for (let i = 1; i <= n; i++) {
    const xid = id * 100 + i;
    if (kind === 0 || kind === 5) {
      c.push(netbios(concat(smb2Header({ cmd: 13, msgId: xid }), ECHO_BODY)));
      s.push(netbios(concat(smb2Header({ cmd: 13, msgId: xid, flags: 1 }), ECHO_BODY)));
    } else if (kind === 2) {
      c.push(junk(30, xid));
      s.push(junk(50, xid));
    } else {
      c.push(record(rpcCall(xid, 100003, 3, 1, u32(1, 2, 3))));
      s.push(record(rpcReply(xid, u32(0, 1))));
    }
  }
  return [concat(...c), concat(...s)];
}

const PORTS = [445, 2049, 4242, 4242, 4242, 9000];

function connectionSegments(stream: number, r: () => number): { segs: Seg[]; port: number } {
  const kind = Math.floor(r() * 6);
  const port = PORTS[Math.floor(r() * PORTS.length)];
  const [cs, ss] = streams(kind, r, stream);
  const isn = [Math.floor(r() * 0xffffffff), Math.floor(r() * 0xffffffff)];
  const next = [(isn[0] + 1) >>> 0, (isn[1] + 1) >>> 0];
  const segs: Seg[] = [];
  const syn = r() < 0.8;
  const push = (dir: number, flags: number, payload: Uint8Array, wire = payload.length): void => {
    segs.push({ stream, dir, seq: next[dir], ack: next[1 - dir], flags: flags | (dir === 1 || segs.length > 0 ? TCP_ACK : 0), payload, wire });
    next[dir] = (next[dir] + wire + ((flags & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0)) >>> 0;
  };
  if (syn) {
    next[0] = isn[0]; next[1] = isn[1];
    push(0, TCP_SYN, new Uint8Array(0));
    push(1, TCP_SYN, new Uint8Array(0));
    push(0, 0, new Uint8Array(0));
  }
  const pos = [0, 0];
  const data = [cs, ss];
  while (pos[0] < cs.length || pos[1] < ss.length) {
    const dir = pos[0] < cs.length && (pos[1] >= ss.length || r() < 0.5) ? 0 : 1;
    const n = Math.min(data[dir].length - pos[dir], 1 + Math.floor(r() * 90));
    const chunk = data[dir].subarray(pos[dir], pos[dir] + n);
    pos[dir] += n;
    // now and then a cut by snaplen: fewer bytes captured than sent
    if (r() < 0.03) push(dir, 0, chunk.subarray(0, n >> 1), n);
    else push(dir, 0, chunk);
    if (r() < 0.3) push(1 - dir, 0, new Uint8Array(0)); // a pure ACK
  }
  const end = r();
  if (end < 0.5) {
    push(0, TCP_FIN, new Uint8Array(0));
    push(1, TCP_FIN, new Uint8Array(0));
    push(0, 0, new Uint8Array(0));
  } else if (end < 0.6) push(0, TCP_RST, new Uint8Array(0));
  // capture damage: reordering, duplicates, losses
  for (let i = 0; i + 1 < segs.length; i++) {
    const x = r();
    if (x < 0.06) [segs[i], segs[i + 1]] = [segs[i + 1], segs[i]];
    else if (x < 0.09) segs.splice(i + 1, 0, { ...segs[i] });
    else if (x < 0.11 && i > 0) segs.splice(i, 1);
  }
  return { segs, port };
}

function fakeConn(stream: number, port: number): Conn {
  const c = { l3: 4, a0: 0x0a000001, a1: 0, a2: 0, a3: 0, b0: 0x0a000002 + (stream % 3), b1: 0, b2: 0, b3: 0, aPort: 30000 + stream, bPort: port };
  return c as unknown as Conn;
}

/** `slots`: the connections have tracker slots (Conn.slot), reused by later connections once
 *  ended, and the end is announced with the slot for some and without it for others. */
function run(seed: number, conns: number, slots = false): { eager: Exchange[]; lazy: Exchange[]; eagerCounters: object; lazyCounters: object; reused: number } {
  const r = rng(seed);
  const per = Array.from({ length: conns }, (_, i) => ({ ...connectionSegments(i, r), at: 0, conn: fakeConn(i, 0) }));
  for (const [i, p] of per.entries()) p.conn = fakeConn(i, p.port);
  const eagerEx: Exchange[] = [];
  const lazyEx: Exchange[] = [];
  const eager = new EagerPass((e) => eagerEx.push(e));
  const lazy = new ProtocolPass((e) => lazyEx.push(e));
  const pkt = newPacket();
  let number = 0;
  const ended = new Set<number>();
  // a connection's first segment comes in stream order (the tracker numbers connections as it
  // first sees them), the rest interleave
  let started = 0;
  let reused = 0;
  const freeSlots: number[] = [];
  let nextSlot = 0;
  for (;;) {
    const live = per.slice(0, started).filter((p, i) => p.at < p.segs.length && !ended.has(i));
    let p = live[Math.floor(r() * live.length)];
    if (started < conns && (live.length === 0 || r() < 0.3)) {
      p = per[started++];
      if (slots) (p.conn as { slot: number }).slot = freeSlots.pop() ?? nextSlot++;
    }
    if (p === undefined) break;
    const s = p.segs[p.at++];
    number++;
    const buf = new Uint8Array(8 + s.payload.length);
    buf.set(s.payload, 8);
    const frame = { number, tsSec: 1000 + number, tsNsec: 0, buf, start: 0 } as unknown as Frame;
    pkt.seq = s.seq; pkt.ack = s.ack; pkt.tcpFlags = s.flags;
    pkt.payloadOffset = 8; pkt.payloadCaptured = s.payload.length; pkt.payloadLength = s.wire;
    const ref: SegmentRef = { conn: p.conn, dir: s.dir, stream: s.stream };
    eager.tcp(frame, pkt, ref);
    lazy.tcp(frame, pkt, ref);
    if (p.at === p.segs.length && r() < 0.5) {
      ended.add(s.stream);
      eager.connectionEnded(s.stream);
      if (!slots) lazy.connectionEnded(s.stream);
      else {
        const slot = p.conn.slot;
        lazy.connectionEnded(s.stream, r() < 0.5 ? slot : -1);
        freeSlots.push(slot);
        reused++;
      }
    }
  }
  eager.finish();
  lazy.finish();
  return { eager: eagerEx, lazy: lazyEx, eagerCounters: { ...eager.dispatcher.counters }, lazyCounters: { ...lazy.counters }, reused };
}

test('lazy connections: exchanges, their order and counters as when every connection had its objects', () => {
  let total = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const { eager, lazy, eagerCounters, lazyCounters } = run(seed, 30);
    const brief = (e: Exchange): string => `${e.stream}:${e.protocol}:${e.command}:${e.kind}:${e.id}:${e.requestFrame}-${e.responseFrame}`;
    assert.deepEqual(lazy.map(brief), eager.map(brief), `seed ${seed}`);
    assert.deepEqual(lazy.map(plainExchange), eager.map(plainExchange), `seed ${seed}`);
    // same keys in the same order (counters are printed in insertion order)
    assert.deepEqual(Object.entries(lazyCounters), Object.entries(eagerCounters), `seed ${seed}`);
    total += eager.length;
  }
  assert.ok(total > 500, `the traffic makes exchanges (${total})`);
});

test('lazy connections by tracker slot: slots reused by later connections, ends told with and without the slot', () => {
  let total = 0;
  let reusedAll = 0;
  for (let seed = 41; seed <= 80; seed++) {
    const { eager, lazy, eagerCounters, lazyCounters, reused } = run(seed, 30, true);
    assert.deepEqual(lazy.map(plainExchange), eager.map(plainExchange), `seed ${seed}`);
    assert.deepEqual(Object.entries(lazyCounters), Object.entries(eagerCounters), `seed ${seed}`);
    total += eager.length;
    reusedAll += reused;
  }
  assert.ok(total > 500, `the traffic makes exchanges (${total})`);
  assert.ok(reusedAll > 100, `slots were given back for reuse (${reusedAll})`);
});

test('SYNs and FINs of a parked connection (repeated, a new ISN before and after data, a FIN then data) leave it where the eager pass is', () => {
  const eagerEx: Exchange[] = [];
  const lazyEx: Exchange[] = [];
  const eager = new EagerPass((e) => eagerEx.push(e));
  const lazy = new ProtocolPass((e) => lazyEx.push(e));
  const pkt = newPacket();
  let number = 0;
  const send = (stream: number, dir: number, seq: number, payload: Uint8Array, flags = TCP_ACK): void => {
    const buf = new Uint8Array(payload.length);
    buf.set(payload);
    pkt.seq = seq >>> 0; pkt.ack = 1; pkt.tcpFlags = flags;
    pkt.payloadOffset = 0; pkt.payloadCaptured = payload.length; pkt.payloadLength = payload.length;
    const frame = { number: ++number, tsSec: number, tsNsec: 0, buf, start: 0 } as unknown as Frame;
    const ref = { conn: fakeConn(stream, 4242), dir, stream };
    eager.tcp(frame, pkt, ref);
    lazy.tcp(frame, pkt, ref);
  };
  const call = (xid: number): Uint8Array => record(rpcCall(xid, 100003, 3, 0));
  const reply = (xid: number): Uint8Array => record(rpcReply(xid));
  // stream 0: SYN, the SYN again, a SYN with a new ISN (restart before data), SYN-ACK twice; the
  // call at the new ISN + 1 is decoded
  send(0, 0, 1000, new Uint8Array(0), TCP_SYN);
  send(0, 0, 1000, new Uint8Array(0), TCP_SYN);
  send(0, 0, 5000, new Uint8Array(0), TCP_SYN);
  send(0, 1, 0xffffffff, new Uint8Array(0), TCP_SYN | TCP_ACK);
  send(0, 1, 0xffffffff, new Uint8Array(0), TCP_SYN | TCP_ACK);
  send(0, 0, 5001, call(1));
  send(0, 1, 0, reply(1));
  // stream 1: data first, then a SYN with a new ISN (no restart after data): the call at the new
  // ISN + 1 is a gap or old bytes, whatever the eager pass makes of it
  send(1, 0, 0, new Uint8Array(0), TCP_SYN);
  send(1, 0, 1, junk(10, 1));
  send(1, 0, 900, new Uint8Array(0), TCP_SYN);
  send(1, 0, 901, call(2));
  send(1, 0, 11, call(3));
  send(1, 1, 50, new Uint8Array(0), TCP_SYN | TCP_ACK);
  send(1, 1, 51, reply(3));
  send(1, 1, 51 + reply(3).length, reply(2));
  // stream 2: a SYN-ACK seen first (the responder's direction starts at its ISN + 1), then the
  // client's data mid-stream; a SYN carrying data is the general path
  send(2, 1, 70, new Uint8Array(0), TCP_SYN | TCP_ACK);
  send(2, 0, 300, call(4));
  send(2, 1, 71, reply(4));
  send(2, 0, 0x7fffffff, call(5), TCP_SYN);
  send(2, 1, 71 + reply(4).length, reply(5));
  // stream 3: a FIN without data ends the direction (it takes a sequence number), a repeated FIN
  // (at its old number, or at the next) changes nothing; a call after it (at FIN + 1) is in
  // order, its reply too
  send(3, 0, 10, new Uint8Array(0), TCP_SYN);
  send(3, 1, 500, new Uint8Array(0), TCP_SYN | TCP_ACK);
  send(3, 0, 11, new Uint8Array(0), TCP_FIN | TCP_ACK);
  send(3, 0, 11, new Uint8Array(0), TCP_FIN | TCP_ACK);
  send(3, 0, 12, new Uint8Array(0), TCP_FIN | TCP_ACK); // a second FIN where the first one ended
  send(3, 0, 12, call(6));
  send(3, 1, 501, reply(6));
  // stream 4: junk, then a FIN ahead of the bytes seen (a gap: the general path) and the call
  send(4, 0, 10, new Uint8Array(0), TCP_SYN);
  send(4, 0, 11, junk(5, 4));
  send(4, 0, 30, new Uint8Array(0), TCP_FIN | TCP_ACK);
  send(4, 0, 16, call(7));
  send(4, 1, 900, reply(7));
  // stream 5: a RST with payload in a started direction changes nothing: the call after it is
  // decoded; stream 6: a RST first starts the direction (mid-stream) at its sequence number, so
  // a call further on waits for the bytes between (whatever the eager pass makes of that)
  send(5, 0, 40, new Uint8Array(0), TCP_SYN);
  send(5, 0, 41, junk(8, 5), TCP_RST | TCP_ACK);
  send(5, 0, 41, call(8));
  send(5, 1, 700, reply(8));
  send(6, 0, 60, junk(4, 6), TCP_RST);
  send(6, 0, 100, call(9));
  send(6, 1, 800, reply(9));
  eager.finish();
  lazy.finish();
  assert.deepEqual(lazyEx.map(plainExchange), eagerEx.map(plainExchange));
  assert.ok(lazyEx.length >= 2, `exchanges decoded (${lazyEx.length})`);
  assert.deepEqual(Object.entries(lazy.counters), Object.entries(eager.dispatcher.counters));
});

test('a connection on an unknown port is decided by content, then given up after the tries', () => {
  const ex: Exchange[] = [];
  const pass = new ProtocolPass((e) => ex.push(e));
  const pkt = newPacket();
  let number = 0;
  const send = (stream: number, dir: number, seq: number, payload: Uint8Array, flags = TCP_ACK): void => {
    const buf = new Uint8Array(payload.length);
    buf.set(payload);
    pkt.seq = seq; pkt.ack = 1; pkt.tcpFlags = flags;
    pkt.payloadOffset = 0; pkt.payloadCaptured = payload.length; pkt.payloadLength = payload.length;
    pass.tcp({ number: ++number, tsSec: number, tsNsec: 0, buf, start: 0 } as unknown as Frame, pkt, { conn: fakeConn(stream, 4242), dir, stream });
  };
  // stream 0: two plain-text chunks, then an RPC call and its reply: decoded
  send(0, 0, 0, new Uint8Array(0), TCP_SYN);
  send(0, 0, 1, junk(10, 1));
  send(0, 0, 11, junk(10, 2));
  const call = record(rpcCall(77, 100003, 3, 0));
  send(0, 0, 21, call);
  send(0, 1, 100, record(rpcReply(77)));
  // stream 1: MAX_CONTENT_TRIES plain chunks first: the call after them is left alone
  send(1, 0, 0, new Uint8Array(0), TCP_SYN);
  let seq = 1;
  for (let i = 0; i < MAX_CONTENT_TRIES; i++) {
    send(1, 0, seq, junk(10, i));
    seq += 10;
  }
  send(1, 0, seq, record(rpcCall(78, 100003, 3, 0)));
  send(1, 1, 100, record(rpcReply(78)));
  pass.finish();
  assert.deepEqual(ex.map((e) => [e.stream, e.requestFrame, e.responseFrame]), [[0, 4, 5]]);
  assert.equal(pass.counters.tcp_rpc_connections, 1);
});
