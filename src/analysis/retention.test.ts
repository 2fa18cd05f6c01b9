import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INLINE_SEGMENTS, TcpRetention } from './retention.js';
import { IndexPool, INDEX_INITIAL_ENTRIES, MAX_INDEX_ENTRIES, type SegmentIndex } from './segment-index.js';
import { CaptureFile } from './capture-file.js';
import type { PayloadDiff, RetentionStats } from './payload-ring.js';
import { newPacket, TCP_ACK, TCP_SYN, type Packet } from '../wire/packet.js';
import { L_KEEP_ALIVE, L_RETRANSMISSION } from '../tcp/labels.js';
import type { Frame } from '../capture/types.js';

/** The retention as it was before directions held their first segments: an index claimed from
 *  the pool on a direction's first segment, segments given to it at once. The deferred
 *  TcpRetention must give the same result for every segment and the same counts. */
class PlainRetention {
  readonly stats: RetentionStats = { compared: 0, differing: 0, notCompared: 0, directionsNotRetained: 0 };
  readonly pool = new IndexPool(this.stats);
  private readonly indexes = new Map<number, SegmentIndex | null>();
  private readonly file = new CaptureFile();

  constructor(path: string) {
    this.file.use(path);
  }

  take(d: number, f: Frame, p: Packet, labels: number): PayloadDiff | null {
    if ((p.tcpFlags & TCP_SYN) !== 0) return null;
    if (f.caplen <= 60 && p.payloadCaptured <= 6) return null;
    const compare = (labels & L_RETRANSMISSION) !== 0 && (labels & L_KEEP_ALIVE) === 0;
    const len = Math.min(p.payloadCaptured, p.payloadLength);
    if (!this.file.readable()) throw new Error('the test capture cannot be read back');
    if (!this.indexes.has(d)) this.indexes.set(d, this.pool.get());
    const ix = this.indexes.get(d) ?? null;
    if (ix === null) return null;
    return ix.take(p.seq, f.filePos + p.payloadOffset, len, f.number, compare, f.buf, f.start + p.payloadOffset, this.stats, this.pool, this.file);
  }

  release(d: number): void {
    for (const i of [d, d + 1]) {
      const x = this.indexes.get(i);
      if (x) this.pool.release(x);
      this.indexes.delete(i);
    }
  }

  close(): void {
    this.file.close();
  }
}

const HEADER = 54;

/** Frames laid out in a file as a capture reader delivers them (each at its file position). */
class Frames {
  parts: Uint8Array[] = [];
  end = 24;
  add(payload: Uint8Array, header = HEADER): { buf: Uint8Array; pos: number } {
    const buf = new Uint8Array(header + payload.length);
    buf.set(payload, header);
    const pos = this.end + 16;
    this.parts.push(new Uint8Array(16), buf);
    this.end = pos + buf.length;
    return { buf, pos };
  }
  write(path: string): void {
    const all = new Uint8Array(this.end);
    let at = 24;
    for (const p of this.parts) {
      all.set(p, at);
      at += p.length;
    }
    writeFileSync(path, all);
  }
}

interface Ev { kind: 'seg'; d: number; seq: number; payload: Uint8Array; labels: number; flags: number; header: number; short: boolean }
interface Rel { kind: 'release'; d: number }

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-ret-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The builder slots the random connections use: spread over chunks of held segments. */
const SPREAD = [0, 1, 511, 512, 1023, 3000];
const dirOf = (d: number) => 2 * SPREAD[d >> 1] + (d & 1);

/** Runs the events through both retentions; asserts every result and the counts after each release. */
function compareRuns(events: (Ev | Rel)[], path: string, frames: Frame[]): { diffs: number; compared: number } {
  const plain = new PlainRetention(path);
  const ret = new TcpRetention();
  ret.startCapture(path);
  const pkt = newPacket();
  let diffs = 0;
  let fi = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.kind === 'release') {
      plain.release(dirOf(e.d));
      ret.release(dirOf(e.d));
      assert.deepEqual({ ...ret.stats }, plain.stats, `counts after release at event ${i}`);
      continue;
    }
    const f = frames[fi++];
    pkt.seq = e.seq;
    pkt.tcpFlags = e.flags;
    pkt.payloadOffset = e.header;
    pkt.payloadCaptured = e.payload.length;
    pkt.payloadLength = e.short ? 0 : e.payload.length;
    const a = plain.take(dirOf(e.d), f, pkt, e.labels);
    const b = ret.take(dirOf(e.d), f, pkt, e.labels);
    assert.deepEqual(b, a, `event ${i} (frame ${f.number}, direction ${e.d})`);
    if (a !== null) diffs++;
  }
  assert.deepEqual({ ...ret.stats }, plain.stats, 'final counts');
  ret.endCapture();
  plain.close();
  return { diffs, compared: plain.stats.compared };
}

test('held first segments: on random connections (retransmissions, changed bytes, overlaps, gaps, single-segment directions, SYNs, padding, release and reuse) every result and count is that of claiming at the first segment', () => {
  let x = 4242;
  const rnd = (m: number) => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) % m;
  let totalDiffs = 0;
  let totalCompared = 0;
  for (let round = 0; round < 30; round++) {
    withDir((dir) => {
      const SLOTS = 6;
      const frames = new Frames();
      const events: (Ev | Rel)[] = [];
      // per direction: its stream's bytes, first sequence number, highest byte sent
      const streams: Uint8Array[] = [];
      const seq0: number[] = [];
      const top: number[] = [];
      const open = (d: number) => {
        streams[d] = Uint8Array.from({ length: 20_000 }, () => rnd(256));
        seq0[d] = rnd(0x1_0000_0000);
        top[d] = 0;
      };
      for (let d = 0; d < 2 * SLOTS; d++) open(d);
      for (let k = 0; k < 300; k++) {
        const d = rnd(2 * SLOTS);
        const kind = rnd(20);
        const s = streams[d];
        let from = top[d];
        let len = 1 + rnd(kind < 3 ? 8 : 1400);
        let labels = 0;
        let flags = TCP_ACK;
        let header = HEADER;
        let short = false;
        if (kind < 9) {
          // the next bytes of the stream; sometimes a frame of Ethernet padding or a SYN
          if (kind === 0) header = 60 - len;
          if (kind === 1 && top[d] === 0) flags |= TCP_SYN;
          if (kind === 2) short = true;
        } else if (kind < 14 && top[d] > 0) {
          // a retransmission (sometimes of changed bytes, sometimes reaching beyond the top)
          from = Math.max(0, top[d] - 1 - rnd(Math.min(top[d], 3000)));
          labels = kind === 13 ? L_RETRANSMISSION | L_KEEP_ALIVE : L_RETRANSMISSION;
        } else if (kind < 16 && top[d] > 0) {
          from = Math.max(0, top[d] - rnd(Math.min(top[d], 2000))); // out of order, not labelled
        } else if (kind < 18) {
          from = top[d] + 1 + rnd(3000); // bytes the capture missed
        } else if (kind === 18) {
          // the connection ends; its slot (both directions) is reused by a new one
          const b = d & ~1;
          events.push({ kind: 'release', d: b });
          open(b);
          open(b + 1);
          continue;
        }
        if (from + len > s.length) {
          // the stream is used up: the connection ends
          events.push({ kind: 'release', d: d & ~1 });
          open(d & ~1);
          open((d & ~1) + 1);
          continue;
        }
        len = Math.min(len, s.length - from);
        const payload = s.slice(from, from + len);
        if (labels !== 0 && rnd(3) === 0) payload[rnd(len)] ^= 1 + rnd(255);
        if (!short) top[d] = Math.max(top[d], from + len);
        events.push({ kind: 'seg', d, seq: (seq0[d] + from) >>> 0, payload, labels, flags, header, short });
      }
      for (let b = 0; b < 2 * SLOTS; b += 2) events.push({ kind: 'release', d: b });
      const list: Frame[] = [];
      for (const e of events) {
        if (e.kind !== 'seg') continue;
        const { buf, pos } = frames.add(e.payload, e.header);
        list.push({ number: list.length + 1, caplen: buf.length, buf, start: 0, filePos: pos } as unknown as Frame);
      }
      const path = join(dir, 'c.bin');
      frames.write(path);
      const r = compareRuns(events, path, list);
      totalDiffs += r.diffs;
      totalCompared += r.compared;
    });
  }
  // the random connections did exercise the comparison, both the quiet and the differing kind
  assert.ok(totalCompared > 100, `compared ${totalCompared}`);
  assert.ok(totalDiffs > 20, `differences ${totalDiffs}`);
});

test('a retransmission of a held segment compares against it, naming its frame; one held segment then a second direction segment', () => {
  withDir((dir) => {
    const frames = new Frames();
    const data = Uint8Array.from({ length: 300 }, (_, i) => i * 7);
    const changed = data.slice(100, 200);
    changed[10] ^= 0xff;
    const segs = [
      { d: 1, seq: 5000, payload: data.slice(0, 100), labels: 0 },
      { d: 1, seq: 5100, payload: data.slice(100, 200), labels: 0 },
      { d: 1, seq: 5100, payload: changed, labels: L_RETRANSMISSION },
    ];
    const list = segs.map((s, i) => {
      const { buf, pos } = frames.add(s.payload);
      return { number: i + 1, caplen: buf.length, buf, start: 0, filePos: pos } as unknown as Frame;
    });
    const path = join(dir, 'c.bin');
    frames.write(path);
    const ret = new TcpRetention();
    ret.startCapture(path);
    const pkt = newPacket();
    const out = segs.map((s, i) => {
      pkt.seq = s.seq;
      pkt.tcpFlags = TCP_ACK;
      pkt.payloadOffset = HEADER;
      pkt.payloadCaptured = pkt.payloadLength = s.payload.length;
      return ret.take(s.d, list[i], pkt, s.labels);
    });
    assert.ok(INLINE_SEGMENTS >= 2); // both first segments were held, the retransmission claimed the index
    assert.equal(out[0], null);
    assert.equal(out[1], null);
    const d = out[2];
    assert.ok(d);
    assert.equal(d.firstFrame, 2);
    assert.equal(d.firstDiff, 10);
    assert.equal(d.differing, 1);
    assert.equal(d.compared, 100);
    assert.equal(ret.stats.compared, 1);
    ret.release(0);
    ret.endCapture();
  });
});

test('the index budget: held directions reserve it as claimed ones did, are refused at the same direction, and give it back at release', () => {
  withDir((dir) => {
    const frames = new Frames();
    const { buf, pos } = frames.add(new Uint8Array(10).fill(1));
    const path = join(dir, 'c.bin');
    frames.write(path);
    const f = { number: 1, caplen: buf.length, buf, start: 0, filePos: pos } as unknown as Frame;
    const pkt = newPacket();
    pkt.tcpFlags = TCP_ACK;
    pkt.payloadOffset = HEADER;
    pkt.payloadCaptured = pkt.payloadLength = 10;
    pkt.seq = 1;
    const plain = new PlainRetention(path);
    const ret = new TcpRetention();
    ret.startCapture(path);
    const directions = MAX_INDEX_ENTRIES / INDEX_INITIAL_ENTRIES;
    // every direction of the budget plus 10 more, one segment each (held), the last ones refused
    for (let d = 0; d < directions + 10; d++) {
      plain.take(d, f, pkt, 0);
      ret.take(d, f, pkt, 0);
    }
    assert.equal(ret.stats.directionsNotRetained, 10);
    assert.deepEqual({ ...ret.stats }, plain.stats);
    // a refused direction is not asked again: a retransmission there is not compared
    pkt.payloadCaptured = pkt.payloadLength = 10;
    assert.equal(ret.take(directions + 4, f, pkt, L_RETRANSMISSION), null);
    assert.equal(ret.stats.directionsNotRetained, 10);
    // the first connection ends: its two reservations come back, and the next two new directions are kept
    plain.release(0);
    ret.release(0);
    for (const d of [directions + 20, directions + 21, directions + 22]) {
      plain.take(d, f, pkt, 0);
      ret.take(d, f, pkt, 0);
    }
    assert.equal(ret.stats.directionsNotRetained, 11);
    assert.deepEqual({ ...ret.stats }, plain.stats);
    // a held direction that claims its index now (a retransmission) compares with its held segment
    const d = ret.take(directions + 20, f, pkt, L_RETRANSMISSION);
    assert.equal(d, null);
    assert.equal(ret.stats.compared, 1);
    ret.endCapture();
    plain.close();
  });
});
