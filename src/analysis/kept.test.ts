import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conn, MAX_HISTORY } from '../tcp/conn.js';
import { LABELS } from '../tcp/labels.js';
import { Builders, LABEL_KINDS } from './builders.js';
import { ConnFactTable, FACT_HISTORY_RESET, healthShown, KeptConnection } from './kept.js';
import { SegmentStore } from './segment-store.js';
import { formatAddr } from '../wire/addr.js';
import type { ConnHealth, ConnectionFacts } from './trace.js';

const clock = { absNs: (rel: number) => 1_000n + BigInt(Math.round(rel)) };

/** A fact row for a fresh connection, with the builder slot's facts and the given label counts. */
function row(table: ConnFactTable, B: Builders, s: number, labels: number[] | null): KeptConnection {
  const c = new Conn();
  c.stream = s;
  const k = table.addConn(c, 'end', clock, 0, 1_000n, 0, 0);
  if (labels !== null) {
    const at = B.labelBlock(s);
    labels.forEach((n, i) => (B.labels.v[at + i] = n));
    table.setLabels(k, B.labels.v, at);
  }
  table.setFacts(k, B, s, 0, 0, 0, 0, 0);
  return new KeptConnection(table, k);
}

test('label counts are kept as numbers and read back as an object in LABELS order; none is the shared empty object', () => {
  const table = new ConnFactTable(new SegmentStore());
  const B = new Builders();
  const counts = new Array<number>(LABEL_KINDS).fill(0);
  counts[LABEL_KINDS - 1] = 3;
  counts[0] = 2;
  counts[6] = 1;
  B.start(1, 1);
  B.start(2, 2);
  B.start(3, 3);
  const a = row(table, B, 1, counts);
  const none = row(table, B, 2, null);
  const zeros = row(table, B, 3, new Array<number>(LABEL_KINDS).fill(0));
  assert.deepEqual(Object.entries(a.labelCounts), [[LABELS[0][1], 2], [LABELS[6][1], 1], [LABELS[LABEL_KINDS - 1][1], 3]]);
  assert.deepEqual(none.labelCounts, {});
  assert.equal(none.labelCounts, zeros.labelCounts, 'one shared empty object');
  assert.ok(Object.isFrozen(none.labelCounts));
  // many labelled rows: the pairs' storage grows and earlier rows read the same
  for (let s = 10; s < 2000; s++) {
    B.start(s, s);
    row(table, B, s, counts.map((n, i) => (i === s % LABEL_KINDS ? s : 0)));
  }
  assert.deepEqual(Object.entries(a.labelCounts), [[LABELS[0][1], 2], [LABELS[6][1], 1], [LABELS[LABEL_KINDS - 1][1], 3]]);
  const last = new KeptConnection(table, table.length - 1);
  assert.deepEqual(last.labelCounts, { [LABELS[1999 % LABEL_KINDS][1]]: 1999 });
});

test('healthShown: the row says whether a health counter is set, as the health object does', () => {
  const table = new ConnFactTable(new SegmentStore());
  const B = new Builders();
  B.start(0, 0);
  const quiet = row(table, B, 0, null);
  assert.equal(healthShown(quiet), false);
  // data segments alone are not a symptom
  B.dataSegments[0] = 5;
  assert.equal(healthShown(row(table, B, 0, null)), false);
  const set: [string, () => void][] = [
    ['retransmittedData[1]', () => (B.retransmittedData[1] = 1)],
    ['rtoStalls', () => (B.rtoStalls[0] = 1)],
    ['captureDuplicates', () => (B.captureDuplicates[0] = 2)],
    ['zeroWindows', () => (B.zeroWindows[0] = 1)],
    ['ackedUnseen', () => (B.ackedUnseen[0] = 1)],
  ];
  for (const [name, f] of set) {
    B.start(0, 0);
    f();
    const c = row(table, B, 0, null);
    assert.equal(healthShown(c), true, name);
    // a plain ConnectionFacts (no fact row) is judged from its health object, the same way
    const plain = { health: c.health } as ConnectionFacts;
    assert.equal(healthShown(plain), true, `${name} (object)`);
  }
  const h: ConnHealth = quiet.health;
  assert.equal(healthShown({ health: h } as ConnectionFacts), false);
});

test('narrow fields never cut a value: frames, counts and rows beyond Int32 read back exactly, beside rows that fit', () => {
  const table = new ConnFactTable(new SegmentStore());
  const B = new Builders();
  const big = [2 ** 31, 2 ** 32 + 7, 2 ** 40 + 1, -(2 ** 31), 0.5];
  const rows: [KeptConnection, number][] = [];
  for (let s = 0; s < 3000; s++) {
    B.start(s, s);
    // every other row with values that do not fit an Int32 (the rest are the usual small ones)
    const v = s % 2 === 0 ? big[s % big.length] : s;
    const c = new Conn();
    c.stream = v;
    c.firstFrame = v;
    c.lastFrame = v;
    c.d0.pkts = v;
    c.d1.retransmissions = v;
    B.dataSegments[2 * s] = v;
    B.firstDuplicateFrame[s] = v;
    B.synAckFrame[s] = v;
    B.zeroByteKa[s] = v;
    const k = table.addConn(c, 'end', clock, 0, 1_000n, v, v);
    table.setFacts(k, B, s, 0, v, v, 0, v);
    // the first RST row: a row of the store, below 2^31 by the bounds (trace.ts), as its Int32 column in the screen
    table.setScreen(k, 3, s, v, v);
    rows.push([new KeptConnection(table, k), v]);
  }
  const s = table.screenColumns();
  for (const [c, v] of rows) {
    const k = c.keyRowStart === v ? rows.findIndex((r) => r[0] === c) : -1;
    assert.deepEqual(
      [c.stream, c.firstFrame, c.lastFrame, c.orig.pkts, c.resp.retransmissions, c.health.dataSegments[0], c.health.firstDuplicateFrame, c.connect?.synAckFrame,
        c.keepAlives.zeroByte, c.segmentsOmitted, c.keyRowStart, c.keyRowEnd, c.health.zeroWindowFrame],
      [v, v, v, v, v, v, v, v, v, v, v, v, v],
    );
    assert.deepEqual([s.rowStart[k], s.rowEnd[k], s.capture[k] + v, s.rows!.firstRst[k], s.rows!.firstRowFrame[k], s.rows!.lastRowFrame[k], s.rows!.bits[k]], [v, v, v, k, v, v, 3]);
    // the usual defaults: no MSS or window scale seen (-1), as the Conn had them
    assert.deepEqual([c.orig.mss, c.orig.windowScale], [new Conn().d0.mss, new Conn().d0.winScale]);
  }
});

test('addresses: IPv4 kept as numbers and formatted on first read (128.0.0.0 is the escape value), IPv6 as text, one string per address', () => {
  const table = new ConnFactTable(new SegmentStore());
  const v4 = [0x0a000001, 0x80000000, 0xffffffff, 0, 0xc0a80101];
  const made: [KeptConnection, string, string][] = [];
  v4.forEach((a, i) => {
    const c = new Conn();
    c.l3 = 4;
    c.a0 = a;
    c.b0 = v4[(i + 1) % v4.length];
    made.push([new KeptConnection(table, table.addConn(c, 'end', clock, 0, 1_000n, 0, 0)), formatAddr(4, [a]), formatAddr(4, [c.b0])]);
  });
  const c6 = new Conn();
  c6.l3 = 6;
  [c6.a0, c6.a1, c6.a2, c6.a3] = [0xfe800000, 0, 0, 1];
  [c6.b0, c6.b1, c6.b2, c6.b3] = [0x20010db8, 0, 0, 0x80000000];
  made.push([new KeptConnection(table, table.addConn(c6, 'end', clock, 0, 1_000n, 0, 0)), 'fe80::1', '2001:db8::8000:0']);
  for (const [c, orig, resp] of made) {
    assert.deepEqual([c.origAddr, c.respAddr], [orig, resp]);
    assert.equal(c.origAddr, c.origAddr);
  }
  assert.deepEqual(made.slice(0, 5).map((m) => m[1]), ['10.0.0.1', '128.0.0.0', '255.255.255.255', '0.0.0.0', '192.168.1.1']);
  assert.equal(made[5][0].ipVersion, 6);
});

test('history letters read back as Conn.history for every length, also past the cache bound of long histories', () => {
  const table = new ConnFactTable(new SegmentStore());
  const letters = 'ShADadFfRrTtGgWwCcIiQq^';
  let seed = 7;
  // xorshift32 (an LCG's low bits repeat too soon for this)
  const rnd = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  // a few long histories repeated (as a capture of short connections has them) before and after
  // more distinct ones (half of them 8 to 14 letters, the lengths cached by the table) than the
  // cache holds, so that it starts over
  const common = ['ShADadFf', 'ShADadFfR', 'ShADdaFfRrTt', 'ShADadFfRrTtGg', 'ShADadFfRrTtGgW'];
  const want: string[] = [];
  const rows: number[] = [];
  for (let i = 0; i < 18_000; i++) {
    const c = new Conn();
    c.stream = i;
    const n = rnd(2) === 0 ? 8 + rnd(7) : rnd(MAX_HISTORY + 3);
    // random letters; a third after the same first seven (the rest alone tells them apart), a
    // third a common history with another first letter
    const random = Array.from({ length: n }, () => letters[rnd(letters.length)]).join('');
    const pick = rnd(3);
    const h = i < 2_000 || i >= 16_000 ? common[i % common.length]
      : pick === 0 ? random : pick === 1 ? 'ShADadF' + random.slice(7) : random.slice(0, 1) + common[i % common.length].slice(1);
    for (const ch of h) c.addHistory(ch.charCodeAt(0));
    want.push(c.history);
    rows.push(table.addConn(c, 'end', clock, 0, 1_000n, 0, 0));
  }
  const facts = table.screenColumns().facts;
  const long = new Set<string>();
  for (let i = 0; i < want.length; i++) {
    assert.equal(new KeptConnection(table, rows[i]).history, want[i], `row ${i}`);
    assert.equal(facts[rows[i]] & FACT_HISTORY_RESET, /[Rr]/.test(want[i]) ? FACT_HISTORY_RESET : 0);
    if (want[i].length > 7 && want[i].length <= 14) long.add(want[i]);
  }
  assert.ok(long.size > 4_096, `distinct long histories: ${long.size}`);
});

test('screen columns: rows sealed as written (with gaps, growth and an early call) read as the rows copied at the end', () => {
  const sealing = new ConnFactTable(new SegmentStore());
  const plain = new ConnFactTable(new SegmentStore());
  const B = new Builders();
  const big = [2 ** 31, 2 ** 32 + 7, -(2 ** 31), 0.5];
  const write = (table: ConnFactTable, s: number): number => {
    const v = s % 5 === 0 ? big[s % big.length] : s;
    const c = new Conn();
    c.stream = s;
    c.aPort = s & 0xffff;
    c.bPort = (s * 7) & 0xffff;
    c.firstTime = s * 1000;
    c.lastTime = s * 1000 + (s % 13) * 17;
    for (const ch of s % 3 === 0 ? 'ShADR' : 'ShADadFf') c.addHistory(ch.charCodeAt(0));
    B.synRel[s] = s;
    B.synAckRel[s] = s + (s % 11);
    B.synAckFrame[s] = s % 4 === 0 ? 0 : v;
    B.zeroByteKa[s] = s % 9 === 0 ? 1 : 0;
    B.rtoStalls[s] = s % 17 === 0 ? 2 : 0;
    const k = table.addConn(c, 'end', clock, s % 3, 1_000n, v, s % 6 === 0 ? v : v + 5);
    if (s % 6 !== 0) table.setScreen(k, s & 0xff, s % 8 === 0 ? -1 : s, v, v + 4);
    table.setFacts(k, B, s, 0, 0, 0, 0, 0);
    return k;
  };
  const cols = (t: ConnFactTable): unknown => {
    const s = t.screenColumns();
    const r = s.rows!;
    return [s.n, ...[s.rowStart, s.rowEnd, s.capture, s.origPort, s.respPort, s.setupNs, s.facts, s.durationNs, r.bits, r.firstRst, r.firstRowFrame, r.lastRowFrame].map((a) => Array.from(a))];
  };
  let early: unknown = null;
  for (let s = 0; s < 5000; s++) {
    B.start(s, s);
    const k = write(sealing, s);
    // a row left unsealed leaves the ones after it to screenColumns too (sealed in order only)
    if (s !== 2500) sealing.seal(k);
    write(plain, s);
    if (s === 1500) {
      early = cols(sealing);
      assert.deepEqual(early, cols(plain));
    }
  }
  const all = cols(sealing) as number[][];
  assert.deepEqual(all, cols(plain));
  // the early call's columns covered rows [0, 1501), and the later rows did not change them
  assert.deepEqual((early as number[][]).slice(1), all.slice(1).map((a) => a.slice(0, 1501)));
  // the columns say something: bits, facts, NaN set-up times, escaped rows
  assert.ok(all[7].some((f) => f !== 0) && all[9].some((b) => b !== 0) && all[6].some((x) => Number.isNaN(x)) && all[1].includes(2 ** 32 + 7));
});
