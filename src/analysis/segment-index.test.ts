import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PayloadRing, RingPool, RING_BYTES, type PayloadDiff } from './payload-ring.js';
import { IndexPool, INDEX_INITIAL_ENTRIES, MAX_DIRECTION_ENTRIES, MAX_INDEX_ENTRIES, SegmentIndex, type ByteSource } from './segment-index.js';
import { CaptureFile } from './capture-file.js';
import { TcpRetention } from './retention.js';
import { newPacket, TCP_ACK } from '../wire/packet.js';
import { L_RETRANSMISSION } from '../tcp/labels.js';
import type { Frame } from '../capture/types.js';

/** An in-memory "capture file": each segment's payload appended at its position. */
class MemFile implements ByteSource {
  bytes = new Uint8Array(1 << 16);
  end = 0;
  /** reads beyond this position come back short (a file cut under us) */
  limit = Infinity;
  add(b: Uint8Array): number {
    while (this.end + b.length > this.bytes.length) {
      const n = new Uint8Array(this.bytes.length * 2);
      n.set(this.bytes);
      this.bytes = n;
    }
    this.bytes.set(b, this.end);
    this.end += b.length;
    return this.end - b.length;
  }
  read(pos: number, into: Uint8Array, at: number, n: number): number {
    const m = Math.max(0, Math.min(n, this.end - pos, this.limit - pos));
    into.set(this.bytes.subarray(pos, pos + m), at);
    return m;
  }
}

interface Seg { seq: number; data: Uint8Array; compare: boolean }

/** Runs the same segments through the copying ring and the file index; returns both outcomes. */
function both(segs: Seg[], file = new MemFile()) {
  const rp = new RingPool();
  const ip = new IndexPool({ compared: 0, differing: 0, notCompared: 0, directionsNotRetained: 0 });
  const ring = rp.get() as PayloadRing;
  const ix = ip.get() as SegmentIndex;
  const a: (PayloadDiff | null)[] = [];
  const b: (PayloadDiff | null)[] = [];
  segs.forEach((s, i) => {
    // the frame's bytes sit at some offset of a larger buffer, as in a read window
    const buf = new Uint8Array(s.data.length + 7);
    buf.set(s.data, 7);
    const pos = file.add(s.data);
    a.push(ring.take(s.seq, buf, 7, s.data.length, i + 1, s.compare, rp.stats, rp));
    b.push(ix.take(s.seq, pos, s.data.length, i + 1, s.compare, buf, 7, ip.stats, ip, file));
  });
  return { ring: a, index: b, ringStats: rp.stats, indexStats: ip.stats };
}

const fill = (n: number, f: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(i) & 0xff);

test('a retransmission spanning two original segments, with a difference in the second: same result both ways', () => {
  const base = 0xffff_fc00; // the stream wraps the sequence space
  const orig = fill(3000, (i) => i * 13 + 1);
  const segs: Seg[] = [0, 1000, 2000].map((o) => ({ seq: (base + o) >>> 0, data: orig.slice(o, o + 1000), compare: false }));
  const re = orig.slice(500, 1700);
  re[1100] ^= 0xff; // byte 1600 of the stream, in the second original segment (frame 2)
  segs.push({ seq: (base + 500) >>> 0, data: re, compare: true });
  const r = both(segs);
  assert.deepEqual(r.index, r.ring);
  const d = r.index[3];
  assert.ok(d);
  assert.equal(d.firstDiff, 1100);
  assert.equal(d.firstFrame, 2);
  assert.equal(d.differing, 1);
  assert.equal(d.compared, 1200);
  assert.deepEqual(r.indexStats, r.ringStats);
});

test('bytes older than the window are not compared; a partly older retransmission compares the rest', () => {
  const chunk = 1000;
  const n = Math.floor(RING_BYTES / chunk) + 5;
  const segs: Seg[] = [];
  for (let i = 0; i < n; i++) segs.push({ seq: 1 + i * chunk, data: fill(chunk, (j) => i + j), compare: false });
  segs.push({ seq: 1, data: fill(chunk, () => 0), compare: true }); // wholly older than the window
  const lowest = 1 + n * chunk - RING_BYTES;
  segs.push({ seq: lowest - 200, data: fill(chunk, () => 0xee), compare: true }); // straddles its start
  const r = both(segs);
  assert.deepEqual(r.index, r.ring);
  assert.equal(r.index[n], null);
  const d = r.index[n + 1];
  assert.ok(d);
  assert.equal(d.compared, 800);
  assert.equal(d.firstDiff, 200);
  assert.deepEqual(r.indexStats, r.ringStats);
  assert.equal(r.indexStats.notCompared, 2);
});

test('random streams (gaps, overlaps, retransmissions of changed bytes): ring and index agree on every segment', () => {
  let x = 12345;
  const rnd = (m: number) => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) % m;
  for (let round = 0; round < 40; round++) {
    const stream = fill(400_000, () => rnd(256));
    const segs: Seg[] = [];
    let top = 0;
    const seq0 = rnd(0xffff_ffff);
    for (let k = 0; k < 400 && top < 390_000; k++) {
      const kind = rnd(10);
      if (kind < 6) {
        const len = 1 + rnd(kind === 0 ? 20 : 3000);
        segs.push({ seq: (seq0 + top) >>> 0, data: stream.slice(top, top + len), compare: false });
        top += len;
      } else if (kind < 9 && top > 0) {
        const from = Math.max(0, top - 1 - rnd(Math.min(top, 150_000)));
        const len = 1 + rnd(4000);
        const data = stream.slice(from, from + len);
        if (rnd(2)) data[rnd(data.length)] ^= 1 + rnd(255);
        segs.push({ seq: (seq0 + from) >>> 0, data, compare: true });
        top = Math.max(top, from + data.length);
      } else {
        top += 1 + rnd(2000); // a gap: bytes the capture missed
      }
    }
    const r = both(segs);
    assert.deepEqual(r.index, r.ring, `round ${round}`);
    assert.deepEqual(r.indexStats, r.ringStats, `round ${round}`);
  }
});

test('a file cut under us: the read comes back short and the retransmission is counted as not compared', () => {
  const file = new MemFile();
  const segs: Seg[] = [{ seq: 100, data: fill(1000, (i) => i), compare: false }, { seq: 100, data: fill(1000, () => 1), compare: true }];
  file.limit = 500;
  const r = both(segs, file);
  assert.equal(r.index[1], null);
  assert.ok(r.ring[1]);
  assert.equal(r.indexStats.notCompared, 1);
  assert.equal(r.indexStats.compared, 0);
});

test('CaptureFile reads back at positions from its own descriptor; a truncated file reads short', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-ix-'));
  try {
    const p = join(dir, 'c.bin');
    writeFileSync(p, fill(10_000, (i) => i * 3));
    const f = new CaptureFile();
    assert.equal(f.readable(), false); // no capture named yet
    f.use(p);
    assert.equal(f.readable(), true);
    const into = new Uint8Array(20);
    assert.equal(f.read(5000, into, 2, 10), 10);
    assert.deepEqual([...into.subarray(2, 12)], [...fill(10, (i) => (5000 + i) * 3)]);
    truncateSync(p, 5005);
    assert.equal(f.read(5000, into, 0, 10), 5);
    f.close();
    f.use(join(dir, 'missing'));
    assert.equal(f.readable(), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TcpRetention: the same diffs and counts from file positions and from copied bytes, padding rule included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-ix-'));
  try {
    // frames of 54 header bytes + payload, laid out in a file as a reader would deliver them
    const payloads = [fill(1400, (i) => i), fill(1400, (i) => i + 7), fill(4, () => 0xaa), fill(2000, (i) => (i < 1400 ? i : i + 99)), fill(4, () => 0x55)];
    const frames = payloads.map((pl) => { const b = new Uint8Array(54 + pl.length); b.set(pl, 54); return b; });
    const seqs = [1000, 2400, 3800, 1000, 3800];
    const labels = [0, 0, 0, L_RETRANSMISSION, L_RETRANSMISSION];
    const p = join(dir, 'c.bin');
    const positions: number[] = [];
    let pos = 24;
    for (const b of frames) { positions.push(pos + 16); pos += 16 + b.length; }
    const file = new Uint8Array(pos);
    frames.forEach((b, i) => file.set(b, positions[i]));
    writeFileSync(p, file);
    const run = (seekable: boolean) => {
      const ret = new TcpRetention();
      ret.startCapture(p);
      const pkt = newPacket();
      const out = frames.map((b, i) => {
        const f = { number: i + 1, caplen: b.length, buf: b, start: 0, filePos: seekable ? positions[i] : -1 } as unknown as Frame;
        pkt.seq = seqs[i];
        pkt.tcpFlags = TCP_ACK;
        pkt.payloadOffset = 54;
        pkt.payloadLength = pkt.payloadCaptured = b.length - 54;
        return ret.take(0, f, pkt, labels[i]);
      });
      ret.release(0);
      ret.endCapture();
      return { out, stats: { ...ret.stats } };
    };
    const a = run(true);
    const b = run(false);
    assert.deepEqual(a, b);
    // the 4-byte payloads in 58-byte frames are Ethernet padding: neither kept nor compared, so
    // the retransmission at 1000 differs from frame 2 on (its first byte at offset 1400)
    const d = a.out[3];
    assert.ok(d);
    assert.equal(d.firstDiff, 1400);
    assert.equal(d.firstFrame, 2);
    assert.equal(d.compared, 2000);
    assert.equal(a.out[4], null);
    assert.equal(a.stats.compared, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a direction of tiny segments keeps MAX_DIRECTION_ENTRIES: older bytes are not compared, the kept ones are, from the file', () => {
  const file = new MemFile();
  const ip = new IndexPool({ compared: 0, differing: 0, notCompared: 0, directionsNotRetained: 0 });
  const ix = ip.get() as SegmentIndex;
  const stream = fill(MAX_DIRECTION_ENTRIES * 10 + 1000, (i) => i * 5 + 3);
  const n = MAX_DIRECTION_ENTRIES + 100;
  for (let i = 0; i < n; i++) {
    const d = stream.slice(i * 10, i * 10 + 10);
    ix.take(i * 10, file.add(d), 10, i + 1, false, d, 0, ip.stats, ip, file);
  }
  assert.equal(ix.count, MAX_DIRECTION_ENTRIES);
  // a retransmission of segments 90..109 changed in its last byte: the first 10 segments are gone
  const re = stream.slice(900, 1100);
  re[199] ^= 0xff;
  const d = ix.take(900, file.add(re), 200, n + 1, true, re, 0, ip.stats, ip, file);
  assert.ok(d);
  assert.equal(d.compared, 100);
  assert.equal(d.firstDiff, 199);
  assert.equal(d.differing, 1);
  assert.equal(d.firstFrame, 0); // its first transmission is not among the newest 256
  assert.equal(ip.stats.notCompared, 1);
});

test('IndexPool: a released index gives its grown entries back to the budget and its storage back by size', () => {
  const file = new MemFile();
  const ip = new IndexPool({ compared: 0, differing: 0, notCompared: 0, directionsNotRetained: 0 });
  const ix = ip.get() as SegmentIndex;
  assert.equal(ix.cap, INDEX_INITIAL_ENTRIES);
  const seg = new Uint8Array(10).fill(7);
  for (let i = 0; i < 100; i++) ix.take(i * 10, file.add(seg), 10, i + 1, false, seg, 0, ip.stats, ip, file);
  assert.equal(ix.count, 100);
  assert.equal(ix.cap, 128);
  assert.equal(ix.cols.length, 128 * 4);
  const storage = ix.cols;
  ip.release(ix);
  // the object is reused with storage of the initial size; the grown storage is handed out again
  const again = ip.get() as SegmentIndex;
  assert.equal(again, ix);
  assert.equal(again.cap, INDEX_INITIAL_ENTRIES);
  assert.equal(again.count, 0);
  assert.equal(ip.buffer(128 * 4), storage);
  // the budget: everything but the live index's initial entries is free again
  assert.ok(ip.take(MAX_INDEX_ENTRIES - INDEX_INITIAL_ENTRIES));
  assert.equal(ip.take(1), false);
});
