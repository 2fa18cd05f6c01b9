import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../dispatch.js';
import type { Endpoint, Exchange, MessageEvent } from '../types.js';
import { concat, opaque, record, rpcCall, rpcReply, str, u32, u64 } from '../testkit.js';
import { Xdr } from './xdr.js';
import { newRpcHeader, parseRpcHeader } from './message.js';
import { uaddrPort } from './portmap.js';
import { MAX_ADDRESS_PAIRS } from './tracker.js';

const CLIENT: Endpoint = { addr: '10.1.1.1', port: 800 };
const SERVER: Endpoint = { addr: '10.1.1.2', port: 2049 };
const FH = opaque(new Uint8Array(32).fill(7));

function setup(): { d: Dispatcher; ex: Exchange[]; msgs: MessageEvent[] } {
  const ex: Exchange[] = [];
  const msgs: MessageEvent[] = [];
  return { d: new Dispatcher((e) => ex.push(e), (m) => msgs.push(m)), ex, msgs };
}

function tcp(d: Dispatcher, stream: number, client = CLIENT, server = SERVER) {
  const c = d.tcpConnection({ transport: 'tcp', stream, client, server });
  const offs = [0, 0];
  return {
    c,
    send(fromClient: boolean, bytes: Uint8Array, frame: number, sec = 0, chunk = bytes.length) {
      const sink = fromClient ? c.fromClient : c.fromServer;
      const i = fromClient ? 0 : 1;
      for (let o = 0; o < bytes.length; o += chunk) {
        const n = Math.min(chunk, bytes.length - o);
        sink.onData(bytes, o, n, offs[i], frame, sec, 0);
        offs[i] += n;
      }
    },
  };
}

const write3 = (offset: number, data: Uint8Array): Uint8Array => concat(FH, u64(offset), u32(data.length, 2), opaque(data));
const writeRes3 = (count: number): Uint8Array => concat(u32(0), u32(0), u32(0), u32(count, 2), new Uint8Array(8));

test('multi-fragment record over TCP, split at arbitrary chunk sizes, pairs with its reply', () => {
  for (const chunk of [1, 3, 7, 50, 1000]) {
    const { d, ex } = setup();
    const t = tcp(d, 1);
    const data = new Uint8Array(300).map((_, i) => i & 0xff);
    t.send(true, record(rpcCall(0x1001, 100003, 3, 7, write3(4096, data)), 64), 10, 0, chunk);
    t.send(false, record(rpcReply(0x1001, writeRes3(300))), 11, 1, chunk);
    assert.equal(ex.length, 1, `chunk ${chunk}`);
    const e = ex[0];
    assert.deepEqual([e.service, e.command, e.kind, e.requestFrame, e.responseFrame, e.status, e.latencyNs],
      ['NFSv3', 'WRITE', 'pair', 10, 11, 'NFS3_OK', 1e9]);
    assert.deepEqual([e.args.offset, e.args.count, e.args.stable, e.args.written, e.args.committed], [4096, 300, 'FILE_SYNC', 300, 'FILE_SYNC']);
    // data location within the call body (arguments): fh(4+32) offset(8) count(4) stable(4) len(4)
    assert.deepEqual(e.write, { fileOffset: 4096, count: 300, stable: 2, dataOffset: 56, dataLength: 300 });
  }
});

test('a reply on a new connection after a reconnect still pairs (client address + XID)', () => {
  const { d, ex } = setup();
  const a = tcp(d, 1);
  a.send(true, record(rpcCall(0x77, 100003, 3, 1, FH)), 1);
  a.c.finish();
  const b = tcp(d, 2, { addr: CLIENT.addr, port: 801 });
  b.send(false, record(rpcReply(0x77, u32(0))), 5);
  assert.equal(ex.length, 1);
  assert.deepEqual([ex[0].command, ex[0].kind, ex[0].requestFrame, ex[0].responseFrame, ex[0].stream], ['GETATTR', 'pair', 1, 5, 1]);
});

test('retransmitted call: identical while pending, different bytes after the reply (incident C)', () => {
  const { d, ex } = setup();
  const t = tcp(d, 1);
  const good = new Uint8Array(64).fill(0x41);
  const bogus = good.slice();
  bogus.set([0xde, 0xad, 0xbe, 0xef], 40);
  t.send(true, record(rpcCall(0x500, 100003, 3, 7, write3(0, good))), 1, 0);
  const t2 = tcp(d, 2, { addr: CLIENT.addr, port: 802 });
  t2.send(true, record(rpcCall(0x500, 100003, 3, 7, write3(0, good))), 2, 60);
  t.send(false, record(rpcReply(0x500, writeRes3(64))), 3, 61);
  t2.send(true, record(rpcCall(0x500, 100003, 3, 7, write3(0, bogus))), 4, 62);
  t2.send(false, record(rpcReply(0x500, writeRes3(64))), 5, 62);
  assert.deepEqual(ex.map((e) => [e.kind, e.requestFrame, e.responseFrame]), [['retransmission', 2, 0], ['pair', 1, 3], ['pair', 4, 5]]);
  const r1 = ex[0].retransmit!;
  assert.deepEqual([r1.originalFrame, r1.sinceNs, r1.afterReply, r1.sameConnection, r1.body], [1, 60e9, false, false, 'same']);
  const r2 = ex[2].retransmit!;
  assert.deepEqual([r2.originalFrame, r2.afterReply, r2.originalReplyFrame, r2.body], [1, true, 3, 'different']);
  assert.equal(r2.firstDiff, 56 + 40); // data starts at 56 in the arguments
  assert.equal(r2.retransmitHex.slice(0, 8), 'deadbeef');
  assert.equal(r2.originalHex.slice(0, 8), '41414141');
  assert.equal(d.counters.rpc_retransmissions_with_different_data, 1);
});

test('retransmissionDetail off: the same pairs and latencies, no body comparison, no memory of answered calls', () => {
  const scenario = (d: Dispatcher): void => {
    const t = tcp(d, 1);
    const t2 = tcp(d, 2, { addr: CLIENT.addr, port: 802 });
    const good = new Uint8Array(64).fill(0x41);
    t.send(true, record(rpcCall(0x500, 100003, 3, 7, write3(0, good))), 1, 0);
    t2.send(true, record(rpcCall(0x500, 100003, 3, 7, write3(0, good))), 2, 60);
    t.send(false, record(rpcReply(0x500, writeRes3(64))), 3, 61);
    t2.send(true, record(rpcCall(0x500, 100003, 3, 7, write3(0, good))), 4, 62);
    t2.send(false, record(rpcReply(0x500, writeRes3(64))), 5, 63);
    t2.send(false, record(rpcReply(0x500, writeRes3(64))), 6, 64); // a duplicate reply
  };
  const full = setup();
  scenario(full.d);
  const ex: Exchange[] = [];
  const d = new Dispatcher((e) => ex.push(e), null, { retransmissionDetail: false });
  scenario(d);
  const pairs = (l: Exchange[]): unknown[] => l.filter((e) => e.kind !== 'orphan_response').map((e) => [e.kind, e.requestFrame, e.responseFrame, e.latencyNs]);
  assert.deepEqual(pairs(ex), pairs(full.ex));
  assert.deepEqual(pairs(ex), [['retransmission', 2, 0, -1], ['pair', 1, 3, 61e9], ['pair', 4, 5, 1e9]]);
  assert.equal(full.ex[0].retransmit?.body, 'same');
  assert.equal(ex[0].retransmit?.body, 'unknown'); // still recognised while pending, but not compared
  assert.equal(full.ex[2].retransmit?.afterReply, true);
  assert.equal(ex[2].retransmit, undefined); // after the reply: a new call
  assert.equal(full.ex.length, 3); // the duplicate reply is recognised ...
  assert.deepEqual([ex[3].kind, ex[3].responseFrame], ['orphan_response', 6]); // ... or not
  assert.equal(ex[1].args.written, 64); // arguments still decoded
});

test('args off: empty arguments, no write info, same status; portmap still teaches ports', () => {
  const ex: Exchange[] = [];
  const d = new Dispatcher((e) => ex.push(e), null, { args: false });
  const t = tcp(d, 1);
  t.send(true, record(rpcCall(0x700, 100003, 3, 7, write3(0, new Uint8Array(3000).fill(1)))), 1, 0, 1000);
  t.send(false, record(rpcReply(0x700, writeRes3(3000))), 2, 1);
  assert.deepEqual([ex[0].command, ex[0].kind, ex[0].status, ex[0].args, ex[0].write], ['WRITE', 'pair', 'NFS3_OK', {}, undefined]);
  const pm = { addr: SERVER.addr, port: 111 };
  const cl = { addr: CLIENT.addr, port: 900 };
  d.udp(cl, pm, ...buf(rpcCall(0x9, 100000, 2, 3, u32(100021, 4, 6, 0))), 3, 0, 0);
  d.udp(pm, cl, ...buf(rpcReply(0x9, u32(304))), 4, 0, 0);
  assert.equal(ex[1].args.port, 304);
  assert.match(tcp(d, 4, { addr: CLIENT.addr, port: 700 }, { addr: SERVER.addr, port: 304 }).c.label, /^NLM /);
});

test("args 'diagnose': what the rules read equals level 'all' (differing WRITE's write info, NFSv4 ops, portmap port), the rest empty", () => {
  // the incident C scenario, an NFSv4 RENEW heartbeat and a GETPORT, each chunked small
  const scenario = (d: Dispatcher): void => {
    const t = tcp(d, 1);
    const good = new Uint8Array(3000).fill(0x41);
    const bogus = good.slice();
    bogus.set([0xde, 0xad], 2000);
    t.send(true, record(rpcCall(0x500, 100003, 3, 7, write3(8192, good))), 1, 0, 700);
    const t2 = tcp(d, 2, { addr: CLIENT.addr, port: 802 });
    t2.send(true, record(rpcCall(0x500, 100003, 3, 7, write3(8192, good))), 2, 60, 700); // same bytes
    t.send(false, record(rpcReply(0x500, writeRes3(3000))), 3, 61);
    t2.send(true, record(rpcCall(0x500, 100003, 3, 7, write3(8192, bogus))), 4, 62, 700); // different
    t2.send(false, record(rpcReply(0x500, writeRes3(3000))), 5, 62);
    t.send(true, record(rpcCall(0x501, 100003, 3, 6, concat(FH, u64(0), u32(4096)))), 6, 63); // READ
    t.send(false, record(rpcReply(0x501, concat(u32(0), u32(0), u32(10, 1), opaque(new Uint8Array(10))))), 7, 63);
    const v4 = tcp(d, 3, { addr: CLIENT.addr, port: 803 });
    v4.send(true, record(rpcCall(0x41, 100003, 4, 1, concat(str(''), u32(0), u32(1), u32(30), u64(77)))), 8, 64, 5); // RENEW
    v4.send(false, record(rpcReply(0x41, concat(u32(0), str(''), u32(1)))), 9, 64);
    // a server's callback: CB_COMPOUND (program 0x40000000) with CB_SEQUENCE
    v4.send(false, record(rpcCall(0x42, 0x40000000, 1, 1, concat(str(''), u32(1), u32(0), u32(1), u32(11), new Uint8Array(32)))), 12, 66);
    v4.send(true, record(rpcReply(0x42, concat(u32(0), str(''), u32(0)))), 13, 66);
    const pm = { addr: SERVER.addr, port: 111 };
    const cl = { addr: CLIENT.addr, port: 900 };
    d.udp(cl, pm, ...buf(rpcCall(0x9, 100000, 2, 3, u32(100021, 4, 6, 0))), 10, 65, 0);
    d.udp(pm, cl, ...buf(rpcReply(0x9, u32(304))), 11, 65, 0);
  };
  const all = setup();
  scenario(all.d);
  const ex: Exchange[] = [];
  const d = new Dispatcher((e) => ex.push(e), null, { args: 'diagnose' });
  scenario(d);
  const view = (l: Exchange[]): unknown[] => l.map((e) => [e.command, e.kind, e.requestFrame, e.responseFrame, e.status, e.latencyNs,
    e.retransmit?.body, e.retransmit?.firstDiff, e.retransmit?.originalHex]);
  assert.deepEqual(view(ex), view(all.ex));
  assert.deepEqual(ex.map((e) => e.retransmit?.body), ['same', undefined, 'different', undefined, undefined, undefined, undefined]);
  // rpc/retransmission-differs: the write info of the differing retransmission, as with 'all'
  assert.deepEqual(ex[2].write, all.ex[2].write);
  assert.deepEqual(ex[2].write, { fileOffset: 8192, count: 3000, stable: 2, dataOffset: 56, dataLength: 3000 });
  assert.deepEqual([ex[0].write, ex[1].write, ex[3].write], [undefined, undefined, undefined]); // same bytes, or no retransmission
  assert.deepEqual([ex[0].args, ex[1].args, ex[2].args, ex[3].args], [{}, {}, {}, {}]);
  assert.equal(all.ex[3].args.count, 4096);
  // heartbeatKind: the COMPOUND's operation list; syn-attempts: the GETPORT's port
  assert.equal(ex[4].args.ops, 'RENEW');
  assert.deepEqual(ex[4].args, all.ex[4].args);
  assert.equal(ex[6].args.port, 304);
  assert.equal(ex[5].command, 'CB_COMPOUND');
  assert.equal(typeof ex[5].args.ops, 'string'); // rpc/call-rejected names a rejected call's operations
  assert.deepEqual(ex[5].args, all.ex[5].args);
  assert.deepEqual(d.counters, all.d.counters);
});

test('portmap GETPORT reply teaches a port; a later connection there is NLM', () => {
  const { d, ex } = setup();
  const pm = { addr: SERVER.addr, port: 111 };
  const cl = { addr: CLIENT.addr, port: 900 };
  assert.equal(d.udp(cl, pm, ...buf(rpcCall(0x9, 100000, 2, 3, u32(100021, 4, 6, 0))), 1, 0, 0), true);
  assert.equal(d.udp(pm, cl, ...buf(rpcReply(0x9, u32(304))), 2, 0, 0), true);
  assert.equal(ex[0].command, 'GETPORT');
  assert.equal(ex[0].args.port, 304);
  const t = tcp(d, 4, { addr: CLIENT.addr, port: 700 }, { addr: SERVER.addr, port: 304 });
  assert.equal(t.c.protocol, 'rpc');
  assert.match(t.c.label, /^NLM \(port 304 learned in frame 2\)$/);
  const lock = concat(opaque(u32(1)), u32(0, 1), str('host'), FH, opaque(u32(5)), u32(42), u64(0), u64(100));
  t.send(true, record(rpcCall(0x31, 100021, 4, 2, lock)), 3);
  t.send(false, record(rpcReply(0x31, concat(opaque(u32(1)), u32(0)))), 4);
  assert.deepEqual([ex[1].service, ex[1].command, ex[1].status, ex[1].args.svid, ex[1].args.length], ['NLMv4', 'LOCK', 'GRANTED', 42, 100]);
});

function buf(b: Uint8Array): [Uint8Array, number, number, number] {
  return [b, 0, b.length, b.length];
}

test('rpcbind GETADDR universal address and NFSv4 COMPOUND operation list with WRITE', () => {
  assert.equal(uaddrPort('10.0.0.1.8.1'), 2049);
  assert.equal(uaddrPort('fe80::1.0.111'), 111);
  assert.equal(uaddrPort('bad'), -1);
  const { d, ex } = setup();
  const t = tcp(d, 1);
  const data = new Uint8Array(10).fill(9);
  const ops = concat(
    str(''), u32(1), u32(3),
    u32(53), new Uint8Array(16), u32(1, 0, 0, 0), // SEQUENCE
    u32(22), FH, // PUTFH
    u32(38), new Uint8Array(16), u64(8192), u32(0), opaque(data), // WRITE
  );
  t.send(true, record(rpcCall(0x40, 100003, 4, 1, ops)), 1);
  t.send(false, record(rpcReply(0x40, concat(u32(0), str(''), u32(3)))), 2);
  assert.equal(ex[0].args.ops, 'SEQUENCE,PUTFH,WRITE');
  assert.equal(ex[0].status, 'NFS4_OK');
  assert.deepEqual(ex[0].write, { fileOffset: 8192, count: 10, stable: 0, dataOffset: 12 + 36 + 40 + 36, dataLength: 10 }); // tag+minor+count, SEQUENCE, PUTFH, WRITE header
});

test('mid-stream start: framing resynchronises on the next call header', () => {
  const { d, ex } = setup();
  const t = tcp(d, 1);
  t.c.fromClient.onGap(0, 0, 1, 'midstream');
  t.c.fromServer.onGap(0, 0, 1, 'midstream');
  const tail = record(rpcCall(0x1, 100003, 3, 7, write3(0, new Uint8Array(200).fill(0)))).subarray(90);
  t.send(true, concat(tail, record(rpcCall(0x2, 100003, 3, 1, FH))), 2, 0, 17);
  t.send(false, record(rpcReply(0x2, u32(0))), 3);
  assert.deepEqual(ex.map((e) => [e.command, e.id, e.kind]), [['GETATTR', 2, 'pair']]);
});

test('RPC header: every truncation is "truncated", never ok, never a throw', () => {
  const x = new Xdr();
  const h = newRpcHeader();
  const msgs = [rpcCall(5, 100003, 3, 1, FH), rpcReply(5, u32(0)), concat(u32(5, 1, 1, 1, 2))];
  for (const m of msgs) {
    assert.equal(parseRpcHeader(x.reset(m, 0, m.length), h), 'ok');
    const headerLen = h.bodyPos;
    for (let n = 0; n < m.length; n++) {
      const r = parseRpcHeader(x.reset(m, 0, n), h);
      assert.equal(r, n < headerLen ? 'truncated' : 'ok', `cut at ${n}`);
    }
  }
  const badVersion = u32(1, 0, 3, 100003, 3, 0, 0, 0, 0, 0);
  assert.equal(parseRpcHeader(x.reset(badVersion, 0, badVersion.length), h), 'malformed');
  const hugeCred = u32(1, 0, 2, 100003, 3, 0, 1, 100000);
  assert.equal(parseRpcHeader(x.reset(hugeCred, 0, hugeCred.length), h), 'malformed');
});

test('UDP: plain RPC, reply needs a pending call, non-RPC ignored', () => {
  const { d, ex } = setup();
  const a = { addr: '192.168.0.1', port: 1000 };
  const b = { addr: '192.168.0.2', port: 33333 };
  assert.equal(d.udp(b, a, ...buf(rpcReply(0x66, u32(0))), 1, 0, 0), false); // reply to nothing: not claimed
  assert.equal(d.udp(a, b, ...buf(rpcCall(0x66, 100005, 3, 0)), 2, 0, 0), true); // MOUNT NULL by shape
  assert.equal(d.udp(b, a, ...buf(rpcReply(0x66)), 3, 0, 5000), true);
  assert.equal(d.udp(a, b, ...buf(new Uint8Array(40).fill(1)), 4, 0, 0), false);
  assert.deepEqual(ex.map((e) => [e.service, e.command, e.latencyNs, e.transport, e.stream]), [['MOUNTv3', 'NULL', 5000, 'udp', -1]]);
});

test('address-pair numbers: past MAX_ADDRESS_PAIRS the table starts over (counted) and pairing goes on', () => {
  const { d, ex } = setup();
  const server: Endpoint = { addr: '10.9.0.1', port: 2049 };
  const call = rpcCall(0x42, 100003, 3, 1, FH);
  const reply = rpcReply(0x42, u32(0));
  let frame = 1;
  // a call over loopback (caller = callee address) takes one number, not two, so that the table
  // later starts over between the two numbers of a pair
  const lo: Endpoint = { addr: '127.0.0.1', port: 2049 };
  d.udp({ addr: lo.addr, port: 800 }, lo, call, 0, call.length, call.length, frame++, 0, 0);
  d.udp(lo, { addr: lo.addr, port: 800 }, reply, 0, reply.length, reply.length, frame++, 0, 0);
  // every client makes a call and gets its reply: each (client, server) pair needs two numbers
  for (let i = 0; i <= MAX_ADDRESS_PAIRS / 2; i++) {
    const client: Endpoint = { addr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 700 };
    d.udp(client, server, call, 0, call.length, call.length, frame++, 0, 0);
    d.udp(server, client, reply, 0, reply.length, reply.length, frame++, 0, 0);
  }
  assert.equal(d.counters.rpc_address_pairs_reset, 1);
  assert.equal(ex.length, MAX_ADDRESS_PAIRS / 2 + 2);
  assert.ok(ex.every((e) => e.kind === 'pair' && e.command === 'GETATTR'));
});
