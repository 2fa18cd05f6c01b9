import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Framer, type PduInfo } from './framer.js';
import { FileWindow, Places, type PlaceReader } from './places.js';
import { recordFraming } from './rpc/record.js';
import { AT_COUNTED, AT_PLACES, BodyStore, MAX_PLACE_RUNS, MAX_RETAINED_BODY, MAX_RETAINED_TOTAL } from './rpc/retained.js';
import { Dispatcher } from './dispatch.js';
import type { Endpoint, Exchange } from './types.js';
import { concat, opaque, record, rpcCall, rpcReply, u32, u64 } from './testkit.js';
import { StreamDirection } from '../tcp/stream.js';
import { TCP_ACK, TCP_SYN } from '../wire/packet.js';

/** A "capture file" in memory: reads as a file would, short past its (settable) end. */
class MemFile implements PlaceReader {
  end: number;
  reads = 0;
  constructor(readonly bytes: Uint8Array) {
    this.end = bytes.length;
  }
  open(): boolean {
    return true;
  }
  read(pos: number, into: Uint8Array, at: number, len: number): number {
    this.reads++;
    const n = Math.max(0, Math.min(len, this.end - pos));
    into.set(this.bytes.subarray(pos, pos + n), at);
    return n;
  }
  close(): void {}
}

let seed = 11;
const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

test('Places: runs merge when consecutive in the file, any byte without a place loses the PDU', () => {
  const p = new Places();
  p.add(100, 10);
  p.add(110, 5); // consecutive: same run
  p.add(200, 7);
  for (let i = 0; i < 40; i++) p.add(1000 + 10 * i, 3); // grows past its first arrays
  assert.deepEqual([p.runs, p.bytes, p.ok, p.pos[0], p.len[0], p.pos[1], p.len[1], p.pos[41]], [42, 142, true, 100, 15, 200, 7, 1390]);
  p.add(-1, 4);
  assert.equal(p.ok, false);
  p.reset();
  assert.deepEqual([p.runs, p.bytes, p.ok], [0, 0, true]);
  const w = new FileWindow();
  const buf = new Uint8Array(10);
  assert.equal(w.posOf(buf, 3), -1); // no segment running
  w.buf = buf;
  w.base = 500;
  assert.equal(w.posOf(buf, 3), 503);
  assert.equal(w.posOf(buf.slice(), 3), -1); // a copy has no place
});

test('Framer: a PDU delivered whole or collected from the window buffer has its places; a gap or a copied chunk has none', () => {
  // the "file": a record of 3,000 bytes followed by one of 40, chunks at arbitrary positions
  const a = record(concat(u32(1, 0, 2, 100003, 3, 7), new Uint8Array(3000 - 24).map((_, i) => i)));
  const b = record(concat(u32(2, 0, 2, 100003, 3, 0), new Uint8Array(16)));
  const file = concat(new Uint8Array(77), a, new Uint8Array(50), b);
  const got: (number[] | null)[] = [];
  const run = (gapAt = -1, copyAt = -1): void => {
    got.length = 0;
    const w = new FileWindow();
    const f = new Framer(recordFraming(() => false), {
      onPdu(_b: Uint8Array, _off: number, _len: number, info: PduInfo) {
        const p = info.places;
        got.push(p === null ? null : [p.runs, p.bytes, p.pos[0], ...(p.runs > 1 ? [p.pos[p.runs - 1]] : [])]);
      },
    });
    f.useFileWindow(w);
    // the first record in segments of 1,448 bytes (the second segment's bytes sit after 50 bytes
    // of headers in the file), then the second record whole
    let so = 0;
    const cuts = [0, 1448, 2896, a.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const n = cuts[i + 1] - cuts[i];
      if (i === gapAt) {
        f.onGap(n, so, i + 1, 'loss');
      } else {
        const src = i === copyAt ? file.slice() : file;
        w.buf = file;
        w.base = 0;
        f.onData(src, 77 + cuts[i], n, so, i + 1, 0, 0);
        w.buf = null;
      }
      so += n;
    }
    w.buf = file;
    f.onData(file, 77 + a.length + 50, b.length, so, 9, 0, 0);
    w.buf = null;
  };
  run();
  assert.deepEqual(got, [[1, a.length, 77], [1, b.length, 77 + a.length + 50]]);
  run(1); // the middle segment lost: zero-filled, not in the file
  assert.deepEqual(got, [null, [1, b.length, 77 + a.length + 50]]);
  run(-1, 2); // the last segment came from a copy (bytes the stream held back)
  assert.deepEqual(got, [null, [1, b.length, 77 + a.length + 50]]);
});

test("Framer: keep() is told whether the PDU's bytes so far are in the file, never from the PDU before", () => {
  // three records of 3,000 bytes, each in two chunks; the second record's first chunk is a copy
  const rec = (x: number): Uint8Array => record(concat(u32(x, 0, 2, 100003, 3, 7), new Uint8Array(3000 - 24)));
  const file = concat(rec(1), rec(2), rec(3));
  for (const withWindow of [true, false]) {
    const placed: boolean[] = [];
    const w = new FileWindow();
    const f = new Framer(recordFraming(() => false), {
      onPdu() {},
      keep(_b: Uint8Array, _off: number, _avail: number, wireLen: number, p: boolean) {
        placed.push(p);
        return wireLen;
      },
    });
    if (withWindow) f.useFileWindow(w);
    let so = 0;
    for (let i = 0; i < 3; i++) {
      for (const [from, n] of [[0, 1000], [1000, 2004]]) {
        const at = i * 3004 + from;
        const src = i === 1 && from === 0 ? file.slice() : file; // a copy (e.g. a resync's carry)
        w.buf = file;
        w.base = 0;
        f.onData(src, at, n, so, 1, 0, 0);
        w.buf = null;
        so += n;
      }
    }
    assert.deepEqual(placed, withWindow ? [true, false, true] : [false, false, false]);
  }
});

/** Bodies for the store: id-dependent bytes at a random place in a file, cut into runs. */
function storeScenario(useFile: boolean): { live: boolean[]; loads: (number[] | string | null)[]; placed: number; copied: number } {
  seed = 5;
  const FILE = 4 << 20;
  const file = new Uint8Array(FILE);
  for (let i = 0; i < FILE; i++) file[i] = (i * 131 + (i >>> 9)) & 0xff;
  const mem = new MemFile(file);
  const store = new BodyStore(useFile ? mem : null);
  const bodies: { seq: number; at: number; n: number; pos: number }[] = [];
  assert.ok(AT_COUNTED < -1 && (AT_COUNTED as number) !== AT_PLACES);
  let placed = 0;
  let copied = 0;
  for (let id = 0; id < 300; id++) {
    const x = rnd();
    const n = x < 0.05 ? 0 : x < 0.4 ? MAX_RETAINED_BODY : Math.floor(rnd() * 200_000);
    const pos = Math.floor(rnd() * (FILE - n));
    // the PDU: a 4-byte mark then 40 bytes of header at pos - 44, the body at pos, in runs of at
    // most 1,448 bytes, every tenth body with a run that does not follow the previous one
    const p = new Places();
    p.add(pos - 44, 44);
    for (let o = 0; o < n; o += 1448) p.add(pos + o, Math.min(1448, n - o));
    const b = file.subarray(pos - 44, pos + n); // the same bytes, as the framer would deliver them
    // every seventh body incomplete: only counted when the store has a file (copied otherwise)
    const at = useFile && id % 7 === 3 ? store.retainCounted(n)
      : useFile && id % 10 !== 9 ? store.retainPlaced(p, 44, n, b, 44, n) : store.retain(b, 44, n);
    if (at === AT_PLACES) placed++;
    else if (at >= 0) copied++;
    bodies.push({ seq: store.lastSeq, at, n, pos });
  }
  const live = bodies.map((r) => store.live(r.seq));
  const loads = bodies.map((r, id) => {
    if (!store.live(r.seq)) return null;
    if (id % 7 === 3) return 'counted';
    const at = store.load(r.seq, r.at, r.n);
    // each live body's bytes are the file's at its position: a digest of them
    let h = 0;
    for (let i = 0; i < r.n; i++) {
      assert.equal(store.view[at + i], file[r.pos + i]);
      h = (Math.imul(h, 31) + store.view[at + i]) | 0;
    }
    return [r.n, h];
  });
  return { live, loads, placed, copied };
}

test('BodyStore: bodies kept as places or only counted are live exactly when copies would be; places read back the same bytes', () => {
  const copies = storeScenario(false);
  const places = storeScenario(true);
  assert.deepEqual(places.live, copies.live);
  assert.deepEqual(places.loads, copies.loads);
  assert.ok(places.placed > 200 && places.copied > 20, `${places.placed} placed, ${places.copied} copied`);
  assert.ok(copies.live.filter((l) => !l).length > 100, 'the budget was exercised');
  assert.ok(MAX_RETAINED_BODY * 2 < MAX_RETAINED_TOTAL);
});

test('BodyStore: a short read is unreadable (not compared); a body needing more runs than MAX_PLACE_RUNS is copied', () => {
  const file = new Uint8Array(1 << 21).map((_, i) => i & 0xff);
  const mem = new MemFile(file);
  const store = new BodyStore(mem);
  const p = new Places();
  p.add(1000, 5000);
  const at = store.retainPlaced(p, 0, 5000, file.subarray(1000, 6000), 0, 5000);
  assert.equal(at, AT_PLACES);
  const seq = store.lastSeq;
  assert.equal(store.load(seq, at, 5000), 0);
  mem.end = 3000; // the file was cut under us
  assert.equal(store.load(seq, at, 5000), -1);
  assert.equal(store.unreadable, 1);
  // every byte its own run (not consecutive in the file): more runs than the bound
  const q = new Places();
  for (let i = 0; i <= MAX_PLACE_RUNS; i++) q.add(2 * i, 1);
  const body = new Uint8Array(MAX_PLACE_RUNS + 1).fill(7);
  const at2 = store.retainPlaced(q, 0, MAX_PLACE_RUNS + 1 <= MAX_RETAINED_BODY ? MAX_PLACE_RUNS + 1 : MAX_RETAINED_BODY, body, 0, body.length);
  assert.ok(at2 >= 0, 'copied');
  assert.equal(store.load(store.lastSeq, at2, 10), at2);
  assert.equal(store.view[at2 + 5], 7);
});

const CLIENT: Endpoint = { addr: '10.1.1.1', port: 800 };
const SERVER: Endpoint = { addr: '10.1.1.2', port: 2049 };
const FH = opaque(new Uint8Array(32).fill(7));
const write3 = (offset: number, data: Uint8Array): Uint8Array => concat(FH, u64(offset), u32(data.length, 2), opaque(data));
const writeRes3 = (count: number): Uint8Array => concat(u32(0), u32(0), u32(0), u32(count, 2), new Uint8Array(8));

/**
 * Incident C over two connections, each message in segments of 1,448 bytes laid out in a "capture
 * file" with 66 bytes of headers before each, run through stream directions as the pass runs them.
 * With `path` the dispatcher keeps call bodies as places in that file (written there); `cut`
 * truncates the file after the first call; `reorder` swaps two segments of the first call (the
 * later one is held back, a copy); `lose` drops one of its segments (a gap: incomplete).
 */
function incidentC(path: string | null, o: { cut?: boolean; reorder?: boolean; lose?: boolean; args?: 'diagnose'; noPositions?: boolean } = {}): { ex: Exchange[]; counters: Record<string, number>; trimmed: number } {
  const good = new Uint8Array(20_000).map((_, i) => (i * 7) & 0xff);
  const bogus = good.slice();
  bogus.set([0xde, 0xad, 0xbe, 0xef], 12_345);
  const msgs: [number, boolean, Uint8Array][] = [
    [1, true, record(rpcCall(0x500, 100003, 3, 7, write3(0, good)))],
    [2, true, record(rpcCall(0x500, 100003, 3, 7, write3(0, good)))], // retransmission while pending, other connection
    [1, false, record(rpcReply(0x500, writeRes3(good.length)))],
    [2, true, record(rpcCall(0x500, 100003, 3, 7, write3(0, bogus)))], // after the reply, different bytes
    [2, false, record(rpcReply(0x500, writeRes3(good.length)))],
  ];
  // lay the segments out in the file, with their sequence numbers (each direction from 1000)
  const parts: Uint8Array[] = [new Uint8Array(24)];
  type Seg = { conn: number; fromClient: boolean; pos: number; len: number; seq: number; msg: number };
  const segs: Seg[] = [];
  const seqs = new Map<string, number>();
  let pos = 24;
  msgs.forEach(([conn, fromClient, m], msg) => {
    for (let off = 0; off < m.length; off += 1448) {
      const n = Math.min(1448, m.length - off);
      const k = `${conn}${fromClient}`;
      const seq = seqs.get(k) ?? 1000;
      seqs.set(k, seq + n);
      parts.push(new Uint8Array(66), m.subarray(off, off + n));
      segs.push({ conn, fromClient, pos: pos + 66, len: n, seq, msg });
      pos += 66 + n;
    }
  });
  const file = concat(...parts);
  if (path !== null) writeFileSync(path, file);
  if (o.reorder) [segs[3], segs[4]] = [segs[4], segs[3]];
  if (o.lose) segs.splice(5, 1);
  const ex: Exchange[] = [];
  const args = o.args ?? true;
  const d = new Dispatcher((e) => ex.push(e), null, path === null ? { args } : { args, captureFile: path });
  const { w, dirs, conns } = twoConnections(d, file);
  assert.equal(w !== null, path !== null);
  let frame = 1;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const sd = dirs.get(`${s.conn}${s.fromClient}`)!;
    if (w !== null && !o.noPositions) {
      w.buf = file;
      w.base = 0;
    }
    sd.segment(s.seq, TCP_ACK, file, s.pos, s.len, s.len, frame, frame, 0);
    if (w !== null) w.buf = null;
    frame++;
    const last = i + 1 === segs.length || segs[i + 1].msg !== s.msg;
    if (last && s.msg === 0) {
      // the server acknowledges the first call whole: a hole still open is lost
      sd.peerAck(s.seq + s.len, frame);
      if (o.cut && path !== null) truncateSync(path, 100);
    }
  }
  const trimmed = conns.reduce((t, c) => t + (c.framerStats()?.[0].trimmedBytes ?? 0), 0);
  d.finish();
  return { ex, counters: d.counters, trimmed };
}

test('RPC call bodies kept as places in the capture file compare as copies do (incident C), held-back segments included; a file cut since reads as not compared', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-places-'));
  try {
    const view = (l: Exchange[]): unknown[] => l.map((e) => [e.kind, e.requestFrame, e.responseFrame, e.retransmit ?? null, e.write ?? null]);
    // args 'diagnose': calls are not stored past their header (their bodies are skipped by the
    // stream and read back from the file for the comparison and the late WriteInfo)
    for (const args of [undefined, 'diagnose'] as const) {
      for (const reorder of [false, true]) {
        const what = `args ${args}, reorder ${reorder}`;
        const copies = incidentC(null, { reorder, args });
        const placed = incidentC(join(dir, 'c.pcap'), { reorder, args });
        assert.deepEqual(view(placed.ex), view(copies.ex), what);
        assert.deepEqual(copies.ex.map((e) => e.retransmit?.body), ['same', undefined, 'different']);
        assert.equal(copies.ex[2].retransmit!.firstDiff, 56 + 12_345);
        assert.deepEqual(placed.ex[2].write, { fileOffset: 0, count: 20_000, stable: 2, dataOffset: 56, dataLength: 20_000 }, what);
        assert.equal(placed.counters.rpc_bodies_unreadable, undefined);
        // calls are left out past their header exactly when they can be read back
        assert.equal(copies.trimmed, 0);
        assert.equal(placed.trimmed > 3 * 20_000, args === 'diagnose', `${what}: ${placed.trimmed} bytes of calls left out`);
        // the places were what was compared: with the file cut after the first call, nothing compares
        const cut = incidentC(join(dir, 'cut.pcap'), { reorder, cut: true, args });
        assert.deepEqual(cut.ex.map((e) => e.retransmit?.body), ['unknown', undefined, 'unknown'], what);
        assert.ok(cut.counters.rpc_bodies_unreadable >= 2, what);
      }
    }
    // frames without file positions (gzip, standard input) while the file opens: copies, whole
    for (const args of [undefined, 'diagnose'] as const) {
      const copies = incidentC(null, { args });
      const noPos = incidentC(join(dir, 'c.pcap'), { args, noPositions: true });
      assert.deepEqual(view(noPos.ex), view(copies.ex), `args ${args}`);
      assert.equal(noPos.trimmed, 0);
    }
    // a segment of the first call lost: its body is only counted (AT_COUNTED), compared as
    // 'unknown', as the zero-filled copy was
    const copies = incidentC(null, { lose: true });
    const placed = incidentC(join(dir, 'c.pcap'), { lose: true });
    assert.deepEqual(view(placed.ex), view(copies.ex));
    assert.deepEqual(copies.ex.map((e) => e.retransmit?.body), ['unknown', undefined, 'unknown']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Random RPC traffic over TCP, run through stream directions as the pass runs them: calls of a
 * few procedures with XIDs from a small pool (so repeats: retransmissions while pending and after
 * the reply, with or without changed bytes), replies for most, segments of random sizes, some
 * swapped (held back), some lost (gaps), an occasional record in several fragments. Returns the
 * exchanges and the bytes of calls left out.
 */

/** Two client connections (streams 1 and 2, ports 801 and 802) to SERVER on the dispatcher, each
 *  direction a StreamDirection started by a SYN at ISN 0 and reading places through the
 *  dispatcher's file window; directions keyed `${stream}${fromClient}`. */
function twoConnections(d: Dispatcher, file: Uint8Array) {
  const w = d.fileWindow;
  const dirs = new Map<string, StreamDirection>();
  const conns: ReturnType<Dispatcher['tcpConnection']>[] = [];
  for (const [conn, port] of [[1, 801], [2, 802]]) {
    const c = d.tcpConnection({ transport: 'tcp', stream: conn, client: { addr: CLIENT.addr, port }, server: SERVER });
    conns.push(c);
    for (const fromClient of [true, false]) {
      const sd = new StreamDirection(fromClient ? c.fromClient : c.fromServer);
      sd.origin = w;
      sd.segment(999, TCP_SYN, file, 0, 0, 0, 0, 0, 0);
      dirs.set(`${conn}${fromClient}`, sd);
    }
  }
  return { w, dirs, conns };
}

function randomTraffic(seed0: number, path: string | null, args: true | 'diagnose'): { ex: unknown[]; trimmed: number } {
  let s = seed0;
  const r = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const msgs: [number, boolean, Uint8Array][] = [];
  const bodies = new Map<number, Uint8Array>();
  for (let i = 0; i < 40; i++) {
    const conn = 1 + Math.floor(r() * 2);
    const xid = 0x900 + Math.floor(r() * 12);
    let data = bodies.get(xid);
    if (!data || r() < 0.3) data = new Uint8Array(Math.floor(r() * 6000)).map(() => Math.floor(r() * 4)); // new contents
    else if (r() < 0.3) {
      data = data.slice();
      if (data.length > 0) data[Math.floor(r() * data.length)] ^= 0x55; // a changed byte
    }
    bodies.set(xid, data);
    const proc = r() < 0.8 ? 7 : 1; // WRITE or GETATTR
    const call = rpcCall(xid, 100003, 3, proc, proc === 7 ? write3(4096 * xid, data) : FH);
    msgs.push([conn, true, r() < 0.1 ? record(call, 1000) : record(call)]);
    if (r() < 0.7) msgs.push([conn, false, record(rpcReply(xid, proc === 7 ? writeRes3(data.length) : concat(u32(0), new Uint8Array(84))))]);
  }
  const parts: Uint8Array[] = [new Uint8Array(24)];
  type Seg = { key: string; pos: number; len: number; seq: number };
  const segs: Seg[] = [];
  const seqs = new Map<string, number>();
  let pos = 24;
  for (const [conn, fromClient, m] of msgs) {
    for (let off = 0; off < m.length;) {
      const n = Math.min(m.length - off, 100 + Math.floor(r() * 1400));
      const key = `${conn}${fromClient}`;
      const seq = seqs.get(key) ?? 1000;
      seqs.set(key, seq + n);
      parts.push(new Uint8Array(40), m.subarray(off, off + n));
      segs.push({ key, pos: pos + 40, len: n, seq });
      pos += 40 + n;
      off += n;
    }
  }
  const file = concat(...parts);
  if (path !== null) writeFileSync(path, file);
  // disorder: swap some neighbours of the same direction, drop a few segments
  for (let i = 0; i + 1 < segs.length; i++) {
    if (segs[i].key === segs[i + 1].key && r() < 0.08) [segs[i], segs[i + 1]] = [segs[i + 1], segs[i]];
  }
  const kept = segs.filter(() => r() >= 0.02);
  const ex: Exchange[] = [];
  const d = new Dispatcher((e) => ex.push(e), null, path === null ? { args } : { args, captureFile: path });
  const { w, dirs, conns } = twoConnections(d, file);
  let frame = 1;
  for (const g of kept) {
    if (w !== null) {
      w.buf = file;
      w.base = 0;
    }
    dirs.get(g.key)!.segment(g.seq, TCP_ACK, file, g.pos, g.len, g.len, frame, frame, 0);
    if (w !== null) w.buf = null;
    frame++;
  }
  for (const sd of dirs.values()) sd.flush(frame);
  const trimmed = conns.reduce((t, c) => t + (c.framerStats()?.[0].trimmedBytes ?? 0), 0);
  for (const c of conns) c.finish();
  d.finish();
  return {
    ex: ex.map((e) => [e.kind, e.command, e.requestFrame, e.responseFrame, e.status, e.retransmit ?? null, e.write ?? null, args === true ? e.args : null]),
    trimmed,
  };
}

test('random RPC traffic with reordering, losses and repeated XIDs: places and copies give the same exchanges', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-places-'));
  try {
    let trimmed = 0;
    let compared = 0;
    for (let seed = 1; seed <= 20; seed++) {
      for (const args of [true, 'diagnose'] as const) {
        const copies = randomTraffic(seed, null, args);
        const placed = randomTraffic(seed, join(dir, `r${seed}.pcap`), args);
        assert.deepEqual(placed.ex, copies.ex, `seed ${seed}, args ${args}`);
        trimmed += placed.trimmed;
        compared += copies.ex.filter((e) => Array.isArray(e) && e[5] !== null && (e[5] as { body: string }).body !== 'unknown').length;
      }
    }
    // the scenarios exercise what they should: calls left out, comparisons made
    assert.ok(trimmed > 100_000, `${trimmed} bytes left out`);
    assert.ok(compared > 50, `${compared} retransmissions compared`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
