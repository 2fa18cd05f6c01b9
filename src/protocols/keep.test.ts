// The framer stores only the bytes a decoder reads (PduSink.keep): whatever the chunking, the
// decoded exchanges must equal those of the same stream handed over in one piece (where every
// PDU is delivered whole, untrimmed), for real message shapes and for mutated ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from './dispatch.js';
import type { Exchange, ProtocolOptions } from './types.js';
import {
  compound, concat, ECHO_BODY, le16, le32, le64, netbios, opaque, readRequestBody, readResponseBody, record, rpcCall,
  rpcReply, smb2Header, str, u32, u64,
} from './testkit.js';
import { uniform } from '../../test/synth/rng.js';


const data = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 7 + seed) & 0xff);

function writeRequestBody(offset: number, payload: Uint8Array): Uint8Array {
  return concat(le16(49), le16(112), le32(payload.length), le64(offset), new Uint8Array(16).fill(3), new Uint8Array(16), payload);
}
const writeResponseBody = (count: number): Uint8Array => concat(le16(17), le16(0), le32(count), new Uint8Array(8));

/** client and server byte streams of one SMB2 connection */
function smbStreams(): [Uint8Array, Uint8Array] {
  const c = concat(
    netbios(concat(smb2Header({ cmd: 8, msgId: 1 }), readRequestBody(5000, 0))),
    netbios(concat(smb2Header({ cmd: 9, msgId: 2 }), writeRequestBody(4096, data(6000, 1)))),
    netbios(compound([{ h: { cmd: 13, msgId: 3 }, body: ECHO_BODY }, { h: { cmd: 8, msgId: 4 }, body: readRequestBody(100, 7) }])),
    netbios(concat(smb2Header({ cmd: 16, msgId: 5 }), new Uint8Array(2000))), // QUERY_INFO: no decoder
  );
  const s = concat(
    netbios(concat(smb2Header({ cmd: 8, msgId: 1, flags: 1 }), readResponseBody(5000), data(4984, 2))),
    netbios(concat(smb2Header({ cmd: 9, msgId: 2, flags: 1 }), writeResponseBody(6000))),
    netbios(compound([
      { h: { cmd: 13, msgId: 3, flags: 1 }, body: ECHO_BODY },
      { h: { cmd: 8, msgId: 4, flags: 1 }, body: concat(readResponseBody(100), data(84, 3)) },
    ])),
    netbios(concat(smb2Header({ cmd: 16, msgId: 5, flags: 1 }), new Uint8Array(3000).fill(9))),
  );
  return [c, s];
}

const FH = opaque(new Uint8Array(32).fill(5));
const attr = concat(u32(1), new Uint8Array(84).fill(1));

function rpcStreams(): [Uint8Array, Uint8Array] {
  const c = concat(
    record(rpcCall(1, 100003, 3, 6, concat(FH, u64(0), u32(6000)))),
    record(rpcCall(2, 100003, 3, 7, concat(FH, u64(8192), u32(3000, 2), opaque(data(3000, 4))))),
    record(rpcCall(3, 100003, 4, 1, concat(opaque(new Uint8Array(0)), u32(1, 1, 9), u32(0)))),
    record(rpcCall(4, 100021, 4, 2, concat(opaque(u32(1)), u32(0, 1), str('host'), FH, opaque(u32(2)), u32(7), u64(0), u64(10), u32(0)))),
    record(rpcCall(5, 100000, 2, 3, u32(100003, 3, 6, 0))),
  );
  const s = concat(
    record(rpcReply(1, concat(u32(0), attr, u32(6000, 1), opaque(data(6000, 5))))),
    record(rpcReply(2, concat(u32(0), u32(1), new Uint8Array(24), attr, u32(3000, 2), new Uint8Array(8)))),
    record(rpcReply(3, concat(u32(0), opaque(new Uint8Array(0)), u32(1), u32(9, 0), new Uint8Array(2500)))),
    record(rpcReply(4, concat(opaque(u32(1)), u32(0)))),
    record(rpcReply(5, u32(2049))),
  );
  return [c, s];
}

function mutate(r: () => number, b: Uint8Array): Uint8Array {
  const out = b.slice();
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  return out;
}

/** exchanges of a connection fed client stream then server stream, cut into chunks by `cut` */
function run(port: number, streams: [Uint8Array, Uint8Array], cut: (left: number) => number, options: ProtocolOptions = {}):
  { ex: string[]; timing: string[]; trimmed: number; counters: string } {
  const ex: Exchange[] = [];
  const d = new Dispatcher((e) => ex.push(e), null, options);
  const c = d.tcpConnection({ transport: 'tcp', stream: 0, client: { addr: '10.0.0.1', port: 900 }, server: { addr: '10.0.0.2', port } });
  streams.forEach((bytes, i) => {
    const sink = i === 0 ? c.fromClient : c.fromServer;
    for (let off = 0; off < bytes.length;) {
      const n = Math.max(1, Math.min(bytes.length - off, cut(bytes.length - off)));
      sink.onData(bytes, off, n, off, 1, 0, 0);
      off += n;
    }
    sink.onFlush?.();
  });
  const st = c.framerStats();
  d.finish();
  return {
    ex: ex.map((e) => JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v))),
    timing: ex.map(timingOf),
    trimmed: st ? st[0].trimmedBytes + st[1].trimmedBytes : 0,
    counters: JSON.stringify(d.counters),
  };
}

/** what srt reads of an exchange, plus the frames and times that identify the pair */
function timingOf(e: Exchange): string {
  return JSON.stringify([e.kind, e.protocol, e.service, e.command, e.program, e.version, e.procedure, e.id, e.requestFrame,
    e.responseFrame, String(e.requestNs), String(e.responseNs), e.latencyNs, e.client, e.server, e.stream]);
}

/** srt's options: no argument decoding, no retention */
const TIMING: ProtocolOptions = { args: false, retransmissionDetail: false };

test('SMB2 and ONC RPC: chunked delivery with trimming decodes exactly what whole delivery does', () => {
  for (const [port, streams] of [[445, smbStreams()], [2049, rpcStreams()]] as const) {
    const whole = run(port, streams, (left) => left);
    assert.equal(whole.trimmed, 0);
    assert.ok(whole.ex.length >= 5, `port ${port}: ${whole.ex.length} exchanges`);
    for (const size of [1, 3, 17, 100, 1448]) {
      const chunked = run(port, streams, () => size);
      assert.deepEqual(chunked.ex, whole.ex, `port ${port}, chunks of ${size}`);
      assert.equal(chunked.counters, whole.counters);
      assert.ok(chunked.trimmed > 2000, `port ${port}, chunks of ${size}: ${chunked.trimmed} bytes not stored`);
    }
  }
});

test('mutated streams: trimming never changes what is decoded', () => {
  const r = uniform(0x5eed);
  for (let iter = 0; iter < 300; iter++) {
    const port = iter % 2 === 0 ? 445 : 2049;
    const [c, s] = port === 445 ? smbStreams() : rpcStreams();
    const streams: [Uint8Array, Uint8Array] = [mutate(r, c), mutate(r, s)];
    const whole = run(port, streams, (left) => left);
    const seed = Math.floor(r() * 1e9);
    const cr = uniform(seed);
    const chunked = run(port, streams, () => 1 + Math.floor(cr() * 2000));
    assert.deepEqual(chunked.ex, whole.ex, `iteration ${iter} (chunk seed ${seed})`);
    assert.equal(chunked.counters, whole.counters, `iteration ${iter}`);
  }
});

test('srt options (no arguments, no retention): same pairs and times, and call data is not stored either', () => {
  for (const [port, streams] of [[445, smbStreams()], [2049, rpcStreams()]] as const) {
    // SMB2 WRITE data is never stored anyway; the NFS WRITE call's 3,000 bytes now are not either
    const more = port === 445 ? 1 : 3000;
    for (const size of [1, 3, 17, 100, 1448, 1 << 20]) {
      const full = run(port, streams, () => size);
      const t = run(port, streams, () => size, TIMING);
      assert.deepEqual(t.timing, full.timing, `port ${port}, chunks of ${size}`);
      if (size <= 1448) assert.ok(t.trimmed >= full.trimmed + more, `port ${port}, chunks of ${size}: ${t.trimmed} vs ${full.trimmed} bytes not stored`);
    }
    const full = run(port, streams, () => 100);
    const t = run(port, streams, () => 100, TIMING);
    const parsed = t.ex.map((j) => JSON.parse(j) as { args: Record<string, unknown>; write?: unknown });
    // portmap arguments are still decoded (ports learned from the replies change later decoding)
    assert.ok(parsed.every((e, i) => e.write === undefined && (Object.keys(e.args).length === 0 || full.ex[i].includes('"GETPORT"'))));
  }
});

test('mutated streams: srt options never change pairs or times', () => {
  const r = uniform(0x7123);
  for (let iter = 0; iter < 300; iter++) {
    const port = iter % 2 === 0 ? 445 : 2049;
    const [c, s] = port === 445 ? smbStreams() : rpcStreams();
    const streams: [Uint8Array, Uint8Array] = [mutate(r, c), mutate(r, s)];
    const whole = run(port, streams, (left) => left);
    const seed = Math.floor(r() * 1e9);
    const cr = uniform(seed);
    const chunked = run(port, streams, () => 1 + Math.floor(cr() * 2000), TIMING);
    assert.deepEqual(chunked.timing, whole.timing, `iteration ${iter} (chunk seed ${seed})`);
  }
});
