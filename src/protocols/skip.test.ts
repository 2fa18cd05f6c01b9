// Skipping (tcp/stream.ts SkipHint, kept by the framer): in-order segments inside the unneeded
// rest of a PDU reach the framer as one count. Whatever the segmentation, losses, reordering,
// snaplen cuts and FINs, the exchanges, counters and framing statistics must be those of the same
// segments delivered one by one (a sink without a hint).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamDirection, type StreamSink } from '../tcp/stream.js';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../wire/packet.js';
import { Dispatcher } from './dispatch.js';
import type { Exchange, ProtocolOptions } from './types.js';
import { concat, le16, le32, le64, netbios, opaque, readRequestBody, readResponseBody, record, rpcCall, rpcReply, smb2Header, u32, u64 } from './testkit.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

const data = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 13 + seed) & 0xff);
const FH = opaque(new Uint8Array(32).fill(5));
const attr = concat(u32(1), new Uint8Array(84).fill(1));

/** NFS: READs with large replies and WRITEs with large calls, then a small GETATTR */
function rpcStreams(n: number): [Uint8Array, Uint8Array] {
  const c: Uint8Array[] = [];
  const s: Uint8Array[] = [];
  for (let i = 1; i <= n; i++) {
    if (i % 3 === 0) {
      c.push(record(rpcCall(i, 100003, 3, 7, concat(FH, u64(i * 8192), u32(5000, 2), opaque(data(5000, i))))));
      s.push(record(rpcReply(i, concat(u32(0), u32(1), new Uint8Array(24), attr, u32(5000, 2), new Uint8Array(8)))));
    } else if (i % 3 === 1) {
      c.push(record(rpcCall(i, 100003, 3, 6, concat(FH, u64(0), u32(7000)))));
      s.push(record(rpcReply(i, concat(u32(0), attr, u32(7000, 1), opaque(data(7000, i))))));
    } else {
      c.push(record(rpcCall(i, 100003, 3, 1, FH)));
      s.push(record(rpcReply(i, concat(u32(0), attr))));
    }
  }
  return [concat(...c), concat(...s)];
}

/** SMB2: READs with large responses, WRITEs with large requests */
function smbStreams(n: number): [Uint8Array, Uint8Array] {
  const c: Uint8Array[] = [];
  const s: Uint8Array[] = [];
  for (let i = 1; i <= n; i++) {
    if (i % 2 === 0) {
      c.push(netbios(concat(smb2Header({ cmd: 8, msgId: i }), readRequestBody(6000, i))));
      s.push(netbios(concat(smb2Header({ cmd: 8, msgId: i, flags: 1 }), readResponseBody(6000), data(5984, i))));
    } else {
      const payload = data(6000, i);
      c.push(netbios(concat(smb2Header({ cmd: 9, msgId: i }), le16(49), le16(112), le32(payload.length), le64(i), new Uint8Array(32), payload)));
      s.push(netbios(concat(smb2Header({ cmd: 9, msgId: i, flags: 1 }), le16(17), le16(0), le32(6000), new Uint8Array(8))));
    }
  }
  return [concat(...c), concat(...s)];
}

interface Seg { dir: number; seq: number; flags: number; off: number; len: number; wire: number; frame: number }

/** Segments of both directions, interleaved, some lost, some swapped, some cut by snaplen, FIN at the end. */
function segments(streams: [Uint8Array, Uint8Array], r: () => number, mss: number): Seg[] {
  const per: Seg[][] = [[], []];
  streams.forEach((b, dir) => {
    const isn = dir === 0 ? 1000 : 900000;
    per[dir].push({ dir, seq: isn, flags: TCP_SYN, off: 0, len: 0, wire: 0, frame: 0 });
    for (let o = 0; o < b.length;) {
      const n = Math.min(b.length - o, 1 + Math.floor(r() * mss));
      const cut = r() < 0.02 ? Math.floor(r() * n) : n; // payload cut by snaplen
      per[dir].push({ dir, seq: isn + 1 + o, flags: TCP_ACK, off: o, len: cut, wire: n, frame: 0 });
      o += n;
    }
    per[dir].push({ dir, seq: isn + 1 + b.length, flags: TCP_ACK | TCP_FIN, off: b.length, len: 0, wire: 0, frame: 0 });
  });
  const out: Seg[] = [];
  const i = [0, 0];
  while (i[0] < per[0].length || i[1] < per[1].length) {
    const d = i[0] >= per[0].length ? 1 : i[1] >= per[1].length ? 0 : r() < 0.5 ? 0 : 1;
    const sg = per[d][i[d]++];
    if (sg.len > 0 && r() < 0.01) continue; // lost
    out.push(sg);
  }
  for (let k = 1; k < out.length; k++) {
    if (r() < 0.02) [out[k - 1], out[k]] = [out[k], out[k - 1]]; // reordered
  }
  out.forEach((sg, k) => { sg.frame = k + 1; });
  return out;
}

/** hides the sink's skip hint: every segment is delivered */
function noSkip(s: StreamSink): StreamSink {
  return {
    onData: (b, off, len, so, f, sec, nsec) => s.onData(b, off, len, so, f, sec, nsec),
    onGap: (bytes, so, f, reason) => s.onGap(bytes, so, f, reason),
    onFlush: () => s.onFlush?.(),
  };
}

function run(port: number, streams: [Uint8Array, Uint8Array], segs: Seg[], skip: boolean, options: ProtocolOptions):
  { ex: string[]; counters: string; stats: string; skipped: number } {
  const ex: Exchange[] = [];
  const d = new Dispatcher((e) => ex.push(e), null, options);
  const c = d.tcpConnection({ transport: 'tcp', stream: 0, client: { addr: '10.0.0.1', port: 900 }, server: { addr: '10.0.0.2', port } });
  let skipped = 0;
  const sinks: StreamSink[] = [c.fromClient, c.fromServer].map((s) => {
    if (!skip) return noSkip(s);
    return {
      onData: (b, off, len, so, f, sec, nsec) => s.onData(b, off, len, so, f, sec, nsec),
      onGap: (bytes, so, f, reason) => s.onGap(bytes, so, f, reason),
      onFlush: () => s.onFlush?.(),
      skip: s.skip,
      onSkipped: (n, f, sec, nsec) => { skipped += n; s.onSkipped?.(n, f, sec, nsec); },
    };
  });
  const dirs = [new StreamDirection(sinks[0]), new StreamDirection(sinks[1])];
  const ackOf = [0, 0];
  for (const sg of segs) {
    // the peer acknowledges what it has sent seen in order so far (a lost segment is acked later)
    const peer = 1 - sg.dir;
    if (ackOf[peer] > 0 && (sg.flags & TCP_ACK) !== 0) dirs[peer].peerAck(ackOf[peer], sg.frame);
    dirs[sg.dir].segment(sg.seq, sg.flags, streams[sg.dir], sg.off, sg.len, sg.wire, sg.frame, sg.frame, sg.frame * 7);
    ackOf[sg.dir] = Math.max(ackOf[sg.dir], sg.seq + sg.wire - 3000);
  }
  dirs[0].flush(segs.length);
  dirs[1].flush(segs.length);
  c.finish();
  const st = c.framerStats();
  d.finish();
  return {
    ex: ex.map((e) => JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v))),
    counters: JSON.stringify(d.counters),
    stats: JSON.stringify([st, dirs[0].stats, dirs[1].stats]),
    skipped,
  };
}

test('skipped segments change nothing: exchanges, counters and statistics equal one-by-one delivery', () => {
  let skippedTotal = 0;
  for (let iter = 0; iter < 40; iter++) {
    const r = rng(0x51c0 + iter);
    const port = iter % 2 === 0 ? 2049 : 445;
    const streams = port === 2049 ? rpcStreams(12) : smbStreams(8);
    const segs = segments(streams, r, iter % 4 < 2 ? 1460 : 300);
    for (const options of [{}, { args: false, retransmissionDetail: false }]) {
      const slow = run(port, streams, segs, false, options);
      const fast = run(port, streams, segs, true, options);
      assert.equal(slow.skipped, 0);
      assert.deepEqual(fast.ex, slow.ex, `iteration ${iter}`);
      assert.equal(fast.counters, slow.counters, `iteration ${iter}`);
      assert.equal(fast.stats, slow.stats, `iteration ${iter}`);
      assert.ok(fast.ex.length >= 8, `iteration ${iter}: ${fast.ex.length} exchanges`);
      skippedTotal += fast.skipped;
    }
  }
  assert.ok(skippedTotal > 500_000, `${skippedTotal} bytes skipped`); // the fast path is taken
});
