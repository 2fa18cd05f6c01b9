import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from './dispatch.js';
import { StreamDirection } from '../tcp/stream.js';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../wire/packet.js';
import { compound, concat, ECHO_BODY, netbios, opaque, record, rpcCall, rpcReply, u32, u64 } from './testkit.js';
import { uniform } from '../../test/synth/rng.js';


function mutate(r: () => number, b: Uint8Array): Uint8Array {
  const out = b.slice();
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n && out.length; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  return out;
}

const SMB_SEED = netbios(compound([
  { h: { cmd: 13, msgId: 1 }, body: ECHO_BODY },
  { h: { cmd: 8, msgId: 2, flags: 4 }, body: new Uint8Array(49) },
]));
const RPC_SEED = concat(
  record(rpcCall(7, 100003, 3, 7, concat(opaque(new Uint8Array(32)), u64(0), u32(8, 0), opaque(new Uint8Array(8))))),
  record(rpcCall(8, 100003, 4, 1, concat(opaque(new Uint8Array(0)), u32(1, 2, 53), new Uint8Array(32), u32(38))), 16),
  record(rpcReply(7, u32(0))),
);

test('random and mutated bytes never throw, always terminate (SMB, RPC, UDP, streams)', () => {
  const r = uniform(0xc0ffee);
  let exchanges = 0;
  for (let iter = 0; iter < 400; iter++) {
    const d = new Dispatcher(() => exchanges++);
    const port = [445, 2049, 111, 304, 9999][iter % 5];
    const c = d.tcpConnection({ transport: 'tcp', stream: iter, client: { addr: 'a', port: 1000 }, server: { addr: 'b', port } });
    const parts: Uint8Array[] = [];
    for (let k = 0; k < 6; k++) {
      const kind = r();
      if (kind < 0.3) parts.push(mutate(r, SMB_SEED));
      else if (kind < 0.6) parts.push(mutate(r, RPC_SEED));
      else parts.push(new Uint8Array(Math.floor(r() * 300)).map(() => Math.floor(r() * 256)));
    }
    const bytes = concat(...parts);
    let off = 0;
    let frame = 1;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, 1 + Math.floor(r() * 200));
      const sink = r() < 0.5 ? c.fromClient : c.fromServer;
      if (r() < 0.1) sink.onGap(Math.floor(r() * 100), off, frame, r() < 0.5 ? 'lost' : 'midstream');
      sink.onData(bytes, off, n, off, frame++, 0, 0);
      off += n;
    }
    const dg = mutate(r, RPC_SEED.subarray(4));
    d.udp({ addr: 'a', port: 1 }, { addr: 'b', port: 2049 }, dg, 0, dg.length, dg.length + Math.floor(r() * 10), frame, 0, 0);
    d.finish();
  }
  assert.ok(exchanges > 0, 'some mutated messages still decode');
});

test('random segments never break the stream invariants', () => {
  const r = uniform(42);
  for (let iter = 0; iter < 200; iter++) {
    let delivered = 0;
    let last = -1;
    const d = new StreamDirection({
      onData(_b, _o, len, at) {
        assert.ok(at >= last, 'offsets never go back');
        last = at + len;
        delivered += len;
      },
      onGap(bytes, at) {
        assert.ok(bytes >= 0 && at >= 0);
        if (at + bytes > last) last = at + bytes;
      },
    });
    const base = Math.floor(r() * 0x100000000);
    const payload = new Uint8Array(2000);
    for (let k = 0; k < 60; k++) {
      const seq = (base + Math.floor(r() * 3000) - 500) >>> 0;
      const len = Math.floor(r() * 300);
      const cap = Math.min(len, Math.floor(r() * 320));
      const flags = r() < 0.05 ? TCP_SYN : r() < 0.05 ? TCP_FIN | TCP_ACK : TCP_ACK;
      d.segment(seq, flags, payload, Math.floor(r() * 100), cap, len, k + 1, 0, 0);
      if (r() < 0.3) d.peerAck((base + Math.floor(r() * 3000)) >>> 0, k + 1);
    }
    d.flush(61);
    assert.ok(delivered <= 60 * 320);
  }
});
