import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../dispatch.js';
import type { Exchange, MessageEvent } from '../types.js';
import {
  compound, concat, ECHO_BODY, ERROR_BODY, le16, le32, netbios, readRequestBody, readResponseBody, smb2Header, utf16,
} from '../testkit.js';
import { parseSmb2Header, newSmb2Header } from './header.js';
import { decodeCreate } from './create.js';
import { decodeNegotiate } from './negotiate.js';
import { decodeTreeConnect } from './tree_connect.js';
import { decodeRead } from './read.js';
import { decodeWrite } from './write.js';
import { decodeClose } from './close.js';
import { decodeEcho } from './echo.js';
import { STATUS_PENDING, STATUS_CANCELLED } from './constants.js';

const RESP = 1;
const ASYNC = 2;

function conn(): { ex: Exchange[]; msgs: MessageEvent[]; c: ReturnType<Dispatcher['tcpConnection']>; d: Dispatcher; send(fromClient: boolean, bytes: Uint8Array, frame: number, sec?: number): void } {
  const ex: Exchange[] = [];
  const msgs: MessageEvent[] = [];
  const d = new Dispatcher((e) => ex.push(e), (m) => msgs.push(m));
  const c = d.tcpConnection({ transport: 'tcp', stream: 3, client: { addr: '10.0.0.1', port: 50000 }, server: { addr: '10.0.0.2', port: 445 } });
  const offs = [0, 0];
  return {
    ex, msgs, c, d,
    send(fromClient, bytes, frame, sec = 0) {
      const sink = fromClient ? c.fromClient : c.fromServer;
      const i = fromClient ? 0 : 1;
      sink.onData(bytes, 0, bytes.length, offs[i], frame, sec, 0);
      offs[i] += bytes.length;
    },
  };
}

const msg = (h: Parameters<typeof smb2Header>[0], body: Uint8Array): Uint8Array => netbios(concat(smb2Header(h), body));

test('ECHO request/response paired by MessageId with latency', () => {
  const t = conn();
  t.send(true, msg({ cmd: 13, msgId: 5 }, ECHO_BODY), 1, 100);
  t.send(false, msg({ cmd: 13, msgId: 5, flags: RESP }, ECHO_BODY), 2, 101);
  assert.equal(t.ex.length, 1);
  const e = t.ex[0];
  assert.deepEqual([e.command, e.kind, e.requestFrame, e.responseFrame, e.latencyNs, e.status, e.stream], ['ECHO', 'pair', 1, 2, 1e9, 'STATUS_SUCCESS', 3]);
  assert.equal(e.client.port, 50000);
  assert.deepEqual(t.msgs.map((m) => [m.frame, m.smbCmd, m.smbMsgId]), [[1, 13, 5], [2, 13, 5]]);
});

test('STATUS_PENDING interim keeps the request open until the final async response', () => {
  const t = conn();
  t.send(true, msg({ cmd: 8, msgId: 9 }, readRequestBody(65536, 4096)), 1);
  t.send(false, msg({ cmd: 8, msgId: 9, flags: RESP | ASYNC, status: STATUS_PENDING, asyncId: 77 }, ERROR_BODY), 2);
  assert.equal(t.ex.length, 0);
  t.send(false, msg({ cmd: 8, msgId: 9, flags: RESP | ASYNC, asyncId: 77 }, readResponseBody(16)), 3);
  assert.equal(t.ex.length, 1);
  const e = t.ex[0];
  assert.deepEqual([e.command, e.requestFrame, e.responseFrame, e.interimFrames, e.args.length, e.args.offset, e.args.dataLength],
    ['READ', 1, 3, [2], 65536, 4096, 16]);
});

test('CANCEL of an async request: one-way record, then the request ends STATUS_CANCELLED', () => {
  const t = conn();
  t.send(true, msg({ cmd: 15, msgId: 20 }, new Uint8Array(32)), 1);
  t.send(false, msg({ cmd: 15, msgId: 20, flags: RESP | ASYNC, status: STATUS_PENDING, asyncId: 5 }, ERROR_BODY), 2);
  t.send(true, msg({ cmd: 12, msgId: 0, flags: ASYNC, asyncId: 5 }, concat(le16(4), le16(0))), 3);
  t.send(false, msg({ cmd: 15, msgId: 20, flags: RESP | ASYNC, status: STATUS_CANCELLED, asyncId: 5 }, ERROR_BODY), 4);
  assert.deepEqual(t.ex.map((e) => [e.command, e.kind, e.requestFrame, e.responseFrame, e.status]), [
    ['CANCEL', 'oneway', 3, 0, ''],
    ['CHANGE_NOTIFY', 'pair', 1, 4, 'STATUS_CANCELLED'],
  ]);
  assert.equal(t.ex[0].args.cancels, 'CHANGE_NOTIFY');
  assert.equal(t.ex[1].args.cancelFrame, 3);
});

test('compound chain: every message paired on its own, CREATE name decoded', () => {
  const t = conn();
  const name = utf16('dir\\file.txt');
  const create = new Uint8Array(56);
  const dv = new DataView(create.buffer);
  dv.setUint16(0, 57, true);
  dv.setUint32(36, 1, true); // OPEN
  dv.setUint16(44, 64 + 56, true);
  dv.setUint16(46, name.length, true);
  const req = compound([
    { h: { cmd: 5, msgId: 10 }, body: concat(create, name) },
    { h: { cmd: 16, msgId: 11, flags: 4 }, body: new Uint8Array(40) },
    { h: { cmd: 6, msgId: 12, flags: 4 }, body: concat(le16(24), new Uint8Array(22)) },
  ]);
  t.send(true, netbios(req), 1);
  const res = compound([
    { h: { cmd: 5, msgId: 10, flags: RESP }, body: ERROR_BODY },
    { h: { cmd: 16, msgId: 11, flags: RESP | 4 }, body: ERROR_BODY },
    { h: { cmd: 6, msgId: 12, flags: RESP | 4 }, body: ERROR_BODY },
  ]);
  t.send(false, netbios(res), 2);
  assert.deepEqual(t.ex.map((e) => [e.command, e.id, e.kind]), [['CREATE', 10, 'pair'], ['QUERY_INFO', 11, 'pair'], ['CLOSE', 12, 'pair']]);
  assert.equal(t.ex[0].args.name, 'dir\\file.txt');
  assert.equal(t.ex[0].args.disposition, 'OPEN');
  assert.equal(t.ex[1].args.compound, true);
  assert.deepEqual(t.msgs.map((m) => m.smbMsgId), [10, 11, 12, 10, 11, 12]);
});

test("args 'diagnose' decodes the TREE_CONNECT path only: the same pairs, statuses, frames and path as 'all', other args empty", () => {
  const run = (args: boolean | 'diagnose'): Exchange[] => {
    const ex: Exchange[] = [];
    const d = new Dispatcher((e) => ex.push(e), null, { args });
    const c = d.tcpConnection({ transport: 'tcp', stream: 3, client: { addr: '10.0.0.1', port: 50000 }, server: { addr: '10.0.0.2', port: 445 } });
    const offs = [0, 0];
    const send = (fromClient: boolean, bytes: Uint8Array, frame: number, chunk: number): void => {
      const sink = fromClient ? c.fromClient : c.fromServer;
      const i = fromClient ? 0 : 1;
      for (let o = 0; o < bytes.length; o += chunk) {
        const n = Math.min(chunk, bytes.length - o);
        sink.onData(bytes, o, n, offs[i], frame, frame, 0);
        offs[i] += n;
      }
    };
    send(true, msg({ cmd: 8, msgId: 7 }, readRequestBody(65536, 1 << 20)), 1, 1000);
    send(false, msg({ cmd: 8, msgId: 7, flags: RESP }, concat(readResponseBody(5000), new Uint8Array(5000))), 2, 1448);
    send(true, msg({ cmd: 13, msgId: 8 }, ECHO_BODY), 3, 1000);
    send(false, msg({ cmd: 13, msgId: 8, flags: RESP }, ECHO_BODY), 4, 1000);
    const share = utf16('\\\\srv\\data');
    send(true, msg({ cmd: 3, msgId: 9 }, concat(le16(9), le16(0), le16(64 + 8), le16(share.length), share)), 5, 40);
    send(false, msg({ cmd: 3, msgId: 9, flags: RESP, status: 0xc0000022 }, ERROR_BODY), 6, 1000);
    // a response of another command than its request's (no args object to write into)
    send(true, msg({ cmd: 13, msgId: 10 }, ECHO_BODY), 7, 1000);
    send(false, msg({ cmd: 3, msgId: 10, flags: RESP }, concat(le16(16), new Uint8Array(14))), 8, 1000);
    d.finish();
    return ex;
  };
  const all = run(true);
  const diag = run('diagnose');
  const view = (l: Exchange[]): unknown[] => l.map((e) => [e.command, e.kind, e.requestFrame, e.responseFrame, e.status, e.latencyNs]);
  assert.deepEqual(view(diag), view(all));
  assert.deepEqual(view(diag).slice(0, 3), [['READ', 'pair', 1, 2, 'STATUS_SUCCESS', 1e9], ['ECHO', 'pair', 3, 4, 'STATUS_SUCCESS', 1e9],
    ['TREE_CONNECT', 'pair', 5, 6, 'STATUS_ACCESS_DENIED', 1e9]]);
  assert.equal(all[0].args.dataLength, 5000);
  assert.equal(diag[2].args.path, '\\\\srv\\data'); // smb2/tree-connect-failed
  assert.deepEqual(diag[2].args, { path: all[2].args.path });
  assert.deepEqual([diag[0].args, diag[1].args, diag[3].args], [{}, {}, {}]);
});

test('unanswered requests reported at finish; orphan responses and oplock breaks', () => {
  const t = conn();
  t.send(true, msg({ cmd: 13, msgId: 1 }, ECHO_BODY), 1);
  t.send(false, msg({ cmd: 13, msgId: 99, flags: RESP }, ECHO_BODY), 2);
  t.send(false, msg({ cmd: 18, msgId: -1, flags: RESP }, new Uint8Array(24)), 3);
  t.d.finish();
  assert.deepEqual(t.ex.map((e) => [e.kind, e.id]), [['orphan_response', 99], ['oneway', -1], ['unanswered', 1]]);
});

test('SMB1 negotiate, transform and compression headers are recognised and counted', () => {
  const t = conn();
  t.send(true, netbios(concat(new Uint8Array([0xff, 0x53, 0x4d, 0x42, 0x72]), new Uint8Array(40))), 1);
  t.send(true, netbios(concat(new Uint8Array([0xfd, 0x53, 0x4d, 0x42]), new Uint8Array(60))), 2);
  t.send(true, netbios(concat(new Uint8Array([0xfc, 0x53, 0x4d, 0x42]), new Uint8Array(20))), 3);
  assert.equal(t.d.counters.smb1_negotiate, 1);
  assert.equal(t.d.counters.smb2_encrypted, 1);
  assert.equal(t.d.counters.smb2_compressed, 1);
  assert.equal(t.ex.length, 0);
});

test('header: every truncation length is truncated, a wrong StructureSize is malformed', () => {
  const h = smb2Header({ cmd: 13, msgId: 1 });
  const out = newSmb2Header();
  for (let n = 0; n < 64; n++) assert.equal(parseSmb2Header(h.subarray(0, n), 0, n, out), 'truncated', `length ${n}`);
  assert.equal(parseSmb2Header(h, 0, 64, out), 'ok');
  const bad = h.slice();
  bad[4] = 65;
  assert.equal(parseSmb2Header(bad, 0, 64, out), 'malformed');
});

test('command decoders: every truncation of the body reads nothing wrong and never throws', () => {
  const name = utf16('share');
  const tc = concat(le16(9), le16(0), le16(64 + 8), le16(name.length), name);
  const neg = concat(le16(36), le16(2), new Uint8Array(32), le16(0x0210), le16(0x0311));
  const negRes = concat(le16(65), le16(0), le16(0x0311), new Uint8Array(58));
  const cases: [typeof decodeNegotiate, Uint8Array, boolean, string, unknown][] = [
    [decodeNegotiate, neg, false, 'dialects', '2.1,3.1.1'],
    [decodeNegotiate, negRes, true, 'dialect', '3.1.1'],
    [decodeTreeConnect, tc, false, 'path', 'share'],
    [decodeRead, readRequestBody(100, 7), false, 'offset', 7],
    [decodeRead, readResponseBody(3), true, 'dataLength', 3],
    [decodeWrite, readRequestBody(5, 9), false, 'length', 5],
    [decodeWrite, concat(le16(17), le16(0), le32(12), new Uint8Array(8)), true, 'count', 12],
    [decodeClose, concat(le16(24), new Uint8Array(6), new Uint8Array(16).fill(0xab)), false, 'fileId', 'ab'.repeat(16)],
    [decodeEcho, ECHO_BODY, false, 'malformed', undefined],
  ];
  for (const [dec, body, resp, field, want] of cases) {
    const full = concat(smb2Header({ cmd: 0, msgId: 0 }), body);
    const args: Record<string, string | number | boolean> = {};
    dec(full, 0, 64, full.length, resp, args);
    assert.equal(args[field], want, `${dec.name} ${field}`);
    for (let n = 64; n < full.length; n++) {
      const a: Record<string, string | number | boolean> = {};
      dec(full.subarray(0, n), 0, 64, n, resp, a);
      if (field in a && want !== undefined && !String(a[field]).endsWith(',...')) assert.equal(a[field], want, `${dec.name} cut at ${n}`);
    }
  }
  // CREATE with a name pointing outside the message: no name
  const create = new Uint8Array(56);
  new DataView(create.buffer).setUint16(0, 57, true);
  new DataView(create.buffer).setUint16(44, 500, true);
  new DataView(create.buffer).setUint16(46, 10, true);
  const a: Record<string, string | number | boolean> = {};
  const full = concat(smb2Header({ cmd: 5, msgId: 0 }), create);
  decodeCreate(full, 0, 64, full.length, false, a);
  assert.equal(a.name, undefined);
});
