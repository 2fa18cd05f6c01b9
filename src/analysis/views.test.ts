import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from './analyse.js';
import { connectionsWithHealth } from './views.js';
import { corpusDir } from '../../test/corpus.js';

// captures with retransmissions, RTO stalls, zero windows and many plain connections
const CAPTURES = ['tcp/rto-retransmissions.pcapng', 'tcp/ooo-retrans-zero-window.pcap', 'tcp/ftp-brute-keepalive-zero-window.pcap', 'tcp/syn-scan.pcapng'];

test('connectionsWithHealth keeps exactly the connections with a non-zero health counter, in trace order', async () => {
  let kept = 0;
  let skipped = 0;
  for (const name of CAPTURES) {
    const trace = await analyse([`${corpusDir()}/${name}`]);
    const want = trace.connections.filter((c) => {
      const h = c.health;
      return h.retransmittedData[0] + h.retransmittedData[1] + h.rtoStalls + h.maxRtoStallNs + h.captureDuplicates + h.zeroWindows + h.ackedUnseen > 0;
    });
    const got = connectionsWithHealth(trace);
    assert.deepEqual(got.map((e) => e.c.stream), want.map((c) => c.stream), name);
    for (const e of got) assert.deepEqual(e.h, e.c.health, `${name} stream ${e.c.stream}`);
    assert.equal(connectionsWithHealth(trace), got, 'memoised per trace');
    kept += got.length;
    skipped += trace.connections.length - got.length;
  }
  // the screen is tested both ways: some connections pass it, some do not
  assert.ok(kept > 0 && skipped > 0, `kept ${kept}, skipped ${skipped}`);
});

// ------------------------------------------------------------------ the connection screen

import { connectionScreen, FACT_HEALTH, FACT_HISTORY_RESET, FACT_KEEPALIVE, isSyn, isSynAck, SCREEN_ATTEMPT, SCREEN_BARE_ACK, SCREEN_CLIENT_SYN, SCREEN_DATA_BEFORE_RST, SCREEN_FIN_BEFORE_RST,
  SCREEN_RST, SCREEN_SYN_BEFORE_RST, tupleGroups, tupleGroupsWhere, type TupleGroup } from './views.js';
import { attemptSets, synAttempts, type AttemptSet } from '../diagnose/rules/syn-attempts.js';
import { corpusCaptures } from '../../test/corpus.js';
import { tempDir } from '../../test/synth/tshark.js';
import { generateIncidentB, generateIncidentD } from '../../test/incidents/index.js';
import type { AnalysedTrace, ConnectionFacts } from './trace.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../wire/packet.js';

/** The screen's bits of one connection, from its SegmentFact objects, written out rule by rule. */
function bruteBits(trace: AnalysedTrace, c: ConnectionFacts): { bits: number; firstRst: number } {
  const segs = c.keySegments;
  let bits = 0;
  const ri = segs.findIndex((s) => (s.flags & TCP_RST) !== 0);
  if (ri >= 0) {
    bits |= SCREEN_RST;
    const before = segs.slice(0, ri);
    if (before.some((s) => s.flags & TCP_FIN)) bits |= SCREEN_FIN_BEFORE_RST;
    if (before.some((s) => s.len > 0)) bits |= SCREEN_DATA_BEFORE_RST;
    if (before.some((s) => s.flags & TCP_SYN)) bits |= SCREEN_SYN_BEFORE_RST;
  }
  const si = segs.findIndex((s) => s.dir === 0 && isSyn(s));
  if (si >= 0) {
    bits |= SCREEN_CLIENT_SYN;
    const isn = segs[si].seq;
    const answer = segs.slice(si + 1).find((s) => s.dir === 1);
    if (answer && !isSynAck(answer) && (answer.flags & (TCP_SYN | TCP_RST | TCP_ACK)) === TCP_ACK && answer.ack !== ((isn + 1) >>> 0)) bits |= SCREEN_BARE_ACK;
    const syns = segs.filter((s) => s.dir === 0 && isSyn(s));
    const synAcks = segs.map((s, i) => ({ s, i })).filter(({ s }) => s.dir === 1 && isSynAck(s));
    const quoted = trace.icmpErrors.some((e) => e.capture === c.capture && e.stream === c.stream);
    if (new Set(syns.map((s) => s.seq)).size > 1 || synAcks.some(({ s, i }) => i < si || ((s.ack - 1) >>> 0) !== isn) ||
      (segs[segs.length - 1].dir === 0 && isSyn(segs[segs.length - 1])) || !segs.some((s) => s.dir === 1) || quoted) bits |= SCREEN_ATTEMPT;
  } else if (segs.some((s) => s.dir === 1 && isSynAck(s))) bits |= SCREEN_ATTEMPT;
  else if (trace.icmpErrors.some((e) => e.capture === c.capture && e.stream === c.stream)) bits |= SCREEN_ATTEMPT;
  return { bits, firstRst: ri >= 0 ? c.keyRowStart + ri : -1 };
}

/** What a rule can report from an attempt set: a burst, a stale SYN-ACK, an ICMP error, no answer. */
function reportable(trace: AnalysedTrace, a: AttemptSet): boolean {
  return a.bursts.length > 0 || a.staleSynAcks.length > 0 || a.icmp.length > 0 || !a.g.rows.some((r) => trace.segments.dirAt(r) === 1);
}
const groupShape = (g: TupleGroup) => ({ capture: g.capture, client: g.client, clientPort: g.clientPort, server: g.server, serverPort: g.serverPort,
  conns: g.conns.map((c) => c.stream), rows: g.rows });
const setShape = (a: AttemptSet) => ({ g: groupShape(a.g), bursts: a.bursts, stale: a.staleSynAcks, icmp: a.icmp, syns: a.syns, synAcks: a.synAcks,
  rsts: a.clientRsts, completed: a.completedAck });

test('the connection screen marks what each rule starts from, and syn attempts skip only tuples with nothing to report', async () => {
  const tmp = tempDir();
  try {
    const paths = corpusCaptures().filter((p) => p.startsWith('tcp/')).map((p) => `${corpusDir()}/${p}`);
    // incident B (bursts, stale SYN-ACKs, ICMP rejections, RST cycles) and D (port reuse, challenge ACKs)
    paths.push(generateIncidentB({ path: tmp.file('b-fw.pcap'), seed: 5, mode: 'firewall', burst: 4 }).path);
    paths.push(generateIncidentB({ path: tmp.file('b-rst.pcap'), seed: 7, mode: 'rst', burst: 3, rstCycles: 3, completes: true }).path);
    paths.push(generateIncidentD({ path: tmp.file('d.pcap'), seed: 3, connections: 400, outliers: 4, ports: 16 }).path);
    const seen = { bits: new Map<number, number>(), facts: new Map<number, number>(), skipped: 0, reported: 0, ordered: 0, unordered: 0 };
    for (const path of paths) {
      const trace = await analyse([path]);
      const sc = connectionScreen(trace);
      assert.equal(connectionScreen(trace), sc, 'memoised per trace');
      // the fact table's columns and the getters give the same screen
      assert.ok(trace.connectionFacts !== undefined && trace.connectionFacts.length === trace.connections.length, 'the table path is taken');
      const { health: byGettersHealth, ...byGetters } = connectionScreen({ ...trace, connectionFacts: undefined });
      const { health: byTableHealth, ...byTable } = sc;
      assert.deepEqual(byGetters, byTable, `${path}: screen by getters`);
      assert.deepEqual(byGettersHealth.map((e) => e.c), byTableHealth.map((e) => e.c));
      trace.connections.forEach((c, i) => {
        // the numbers read once, as the getters give them
        assert.deepEqual([sc.capture[i], sc.rowStart[i], sc.rowEnd[i], sc.respPort[i]], [c.capture, c.keyRowStart, c.keyRowEnd, c.respPort]);
        assert.equal(Number.isNaN(sc.setupNs[i]) ? null : sc.setupNs[i], c.setupNs);
        const h = c.health;
        const unhealthy = h.retransmittedData[0] + h.retransmittedData[1] + h.rtoStalls + h.maxRtoStallNs + h.captureDuplicates + h.zeroWindows + h.ackedUnseen > 0;
        const facts = (c.keepAlives.zeroByte + c.keepAlives.oneByte > 0 ? FACT_KEEPALIVE : 0) | (/[Rr]/.test(c.history) ? FACT_HISTORY_RESET : 0) |
          (unhealthy ? FACT_HEALTH : 0);
        assert.equal(sc.facts[i], facts, `${path} stream ${c.stream} facts`);
        for (let b = 1; b < 8; b <<= 1) if (facts & b) seen.facts.set(b, (seen.facts.get(b) ?? 0) + 1);
        const want = bruteBits(trace, c);
        assert.equal(sc.bits[i], want.bits, `${path} stream ${c.stream} bits`);
        assert.equal(sc.firstRst[i], want.firstRst, `${path} stream ${c.stream} first RST`);
        for (let b = 1; b < 128; b <<= 1) if (want.bits & b) seen.bits.set(b, (seen.bits.get(b) ?? 0) + 1);
      });
      // the short lists are the marked connections, in trace order
      const idx = trace.connections.map((_, i) => i);
      assert.deepEqual(sc.resets, idx.filter((i) => sc.bits[i] & SCREEN_RST));
      assert.deepEqual(sc.keepAlives, idx.filter((i) => sc.facts[i] & FACT_KEEPALIVE));
      assert.deepEqual(sc.bareAcks, idx.filter((i) => sc.bits[i] & SCREEN_BARE_ACK));
      assert.equal(sc.historyResets, trace.connections.filter((c) => /[Rr]/.test(c.history)).length);
      trace.connections.forEach((c, i) => {
        const empty = c.keyRowEnd === c.keyRowStart;
        assert.deepEqual([sc.firstRowFrame[i], sc.lastRowFrame[i]], empty ? [-1, -1] : [trace.segments.frameAt(c.keyRowStart), trace.segments.frameAt(c.keyRowEnd - 1)]);
      });
      // buckets: one per (capture, ports); ordered when the connections' rows follow each other in trace order
      const byBucket = new Map<number, ConnectionFacts[]>();
      trace.connections.forEach((c, i) => {
        const l = byBucket.get(sc.bucketOf[i]) ?? [];
        byBucket.set(sc.bucketOf[i], l);
        l.push(c);
      });
      assert.equal(byBucket.size, sc.buckets);
      for (const [b, l] of byBucket) {
        const members: ConnectionFacts[] = [];
        for (let i = sc.bucketFirst[b]; i >= 0; i = sc.bucketNext[i]) members.push(trace.connections[i]);
        assert.deepEqual(members, l, `bucket ${b} members in trace order`);
      }
      assert.equal(new Set(trace.connections.map((c) => `${c.capture} ${c.origPort} ${c.respPort}`)).size, sc.buckets, 'one bucket per key');
      for (const [b, l] of byBucket) {
        assert.equal(new Set(l.map((c) => `${c.capture} ${c.origPort} ${c.respPort}`)).size, 1, 'a bucket is one (capture, ports) key');
        const ranges = l.filter((c) => c.keyRowEnd > c.keyRowStart).map((c) => [trace.segments.frameAt(c.keyRowStart), trace.segments.frameAt(c.keyRowEnd - 1)]);
        const ordered = ranges.every((r, i) => i === 0 || r[0] > ranges[i - 1][1]);
        assert.equal(sc.bucketOrdered[b] === 1, ordered, `${path} bucket ${b} ordered`);
        if (l.length > 1) seen[ordered ? 'ordered' : 'unordered']++;
      }
      // every group, whole, in tupleGroups' order
      assert.deepEqual(tupleGroupsWhere(trace, () => true).map(groupShape), tupleGroups(trace).map(groupShape));
      // the screened attempt sets are the reportable ones of all groups (same order, same content)
      const all = attemptSets(trace, tupleGroups(trace));
      const screened = synAttempts(trace);
      assert.deepEqual(screened.filter((a) => reportable(trace, a)).map(setShape), all.filter((a) => reportable(trace, a)).map(setShape), path);
      seen.skipped += all.length - screened.length;
      seen.reported += all.filter((a) => reportable(trace, a)).length;
    }
    // both sides of every screen were exercised
    for (const b of [SCREEN_RST, SCREEN_FIN_BEFORE_RST, SCREEN_DATA_BEFORE_RST, SCREEN_SYN_BEFORE_RST, SCREEN_BARE_ACK, SCREEN_CLIENT_SYN, SCREEN_ATTEMPT]) {
      assert.ok((seen.bits.get(b) ?? 0) > 0, `bit ${b} set somewhere`);
    }
    for (const b of [FACT_KEEPALIVE, FACT_HISTORY_RESET, FACT_HEALTH]) assert.ok((seen.facts.get(b) ?? 0) > 0, `fact ${b} set somewhere`);
    assert.ok(seen.skipped > 0 && seen.reported > 0, `skipped ${seen.skipped}, reported ${seen.reported}`);
    assert.ok(seen.ordered > 0, `ordered multi-connection buckets: ${seen.ordered}, unordered: ${seen.unordered}`);
  } finally {
    tmp.done();
  }
});

// Hand-built traces for the cases the corpus lacks: only the fields the screen and the attempt
// walk read (rows in the segment columns; connections with their tuple and row range).
import { SegmentColumns, SegmentStore } from './segment-store.js';

type Row = { frame: number; ms: number; dir: 0 | 1; flags: number; seq: number; ack: number };
function fakeTrace(conns: { stream: number; rows: Row[] }[]): AnalysedTrace {
  const segments = new SegmentStore();
  const cols = new SegmentColumns(64);
  const connections = conns.map(({ stream, rows }) => {
    const keyRowStart = segments.length;
    for (const r of rows) {
      cols.frame[0] = r.frame;
      cols.rel[0] = r.ms * 1e6;
      cols.seq[0] = r.seq;
      cols.ack[0] = r.ack;
      cols.flags[0] = r.flags;
      cols.meta[0] = r.dir;
      segments.appendFrom(cols, 0);
    }
    return {
      capture: 0, stream, origAddr: '10.0.0.1', origPort: 800, respAddr: '10.0.0.2', respPort: 2049, baseNs: 0n,
      firstFrame: rows[0].frame, lastFrame: rows[rows.length - 1].frame, keyRowStart, keyRowEnd: segments.length,
      keepAlives: { zeroByte: 0, oneByte: 0 }, history: 'ShAD', setupNs: null, health: {
        dataSegments: [0, 0], retransmittedData: [0, 0], captureDuplicates: 0, firstDuplicateFrame: 0, ackedUnseen: 0, firstAckedUnseenFrame: 0, rtoStalls: 0,
        maxRtoStallNs: 0, maxRtoStallFrame: 0, maxRtoStallDir: 0, zeroWindows: 0, maxZeroWindowNs: 0, zeroWindowFrame: 0, zeroWindowEndFrame: 0, zeroWindowDir: 0,
      },
    } as unknown as ConnectionFacts;
  });
  return { connections, segments, icmpErrors: [], captures: [] } as unknown as AnalysedTrace;
}
const SYN = TCP_SYN;
const SA = TCP_SYN | TCP_ACK;
const ACK = TCP_ACK;
/** one plain handshake: SYN, SYN-ACK, ACK at frames f, f + 1, f + 2 */
const plain = (f: number, isn: number, ms: number): Row[] => [
  { frame: f, ms, dir: 0, flags: SYN, seq: isn, ack: 0 },
  { frame: f + 1, ms: ms + 0.1, dir: 1, flags: SA, seq: 7000, ack: isn + 1 },
  { frame: f + 2, ms: ms + 0.2, dir: 0, flags: ACK, seq: isn + 1, ack: 7001 },
];

test('syn attempts: plain handshakes one after the other on a tuple are skipped, and give nothing when walked', () => {
  const trace = fakeTrace([{ stream: 0, rows: plain(1, 100, 0) }, { stream: 1, rows: plain(4, 500, 10) }, { stream: 2, rows: plain(7, 900, 20) }]);
  const sc = connectionScreen(trace);
  assert.equal(sc.buckets, 1);
  assert.equal(sc.bucketOrdered[0], 1);
  assert.equal(sc.bucketBits[0] & SCREEN_ATTEMPT, 0);
  assert.deepEqual(synAttempts(trace), []);
  // the walk over the whole tuple finds nothing to report either
  const all = attemptSets(trace, tupleGroups(trace));
  assert.equal(all.length, 1);
  assert.equal(reportable(trace, all[0]), false);
});

test('syn attempts: plain handshakes that overlap on a tuple are walked (a burst and a stale SYN-ACK across them)', () => {
  // A: SYN 1, SYN-ACK 3, ACK 5; B: SYN 2 (another ISN, 0.05 ms later), SYN-ACK 4, ACK 6: each one
  // plain on its own, interleaved on the tuple
  const a = plain(1, 100, 0);
  const b = plain(2, 500, 0.05);
  a[1].frame = 3; a[2].frame = 5; b[1].frame = 4; b[2].frame = 6;
  a[1].ms = b[1].ms = 0.3; a[2].ms = b[2].ms = 0.4;
  const trace = fakeTrace([{ stream: 0, rows: a }, { stream: 1, rows: b }]);
  const sc = connectionScreen(trace);
  assert.equal(sc.bits[0] & SCREEN_ATTEMPT, 0);
  assert.equal(sc.bits[1] & SCREEN_ATTEMPT, 0);
  assert.equal(sc.bucketOrdered[0], 0, 'overlapping');
  const got = synAttempts(trace);
  assert.equal(got.length, 1);
  assert.deepEqual(got[0].bursts[0].isns, [100, 500]);
  assert.equal(got[0].staleSynAcks[0].s.frame, 3);
  assert.deepEqual(got.map(setShape), attemptSets(trace, tupleGroups(trace)).map(setShape));
});

test('syn attempts: a SYN re-sent after its answer as the last row is walked (a burst with the next connection\'s SYN)', () => {
  const a = plain(1, 100, 0);
  a.push({ frame: 4, ms: 0.3, dir: 0, flags: SYN, seq: 100, ack: 0 });
  const trace = fakeTrace([{ stream: 0, rows: a }, { stream: 1, rows: plain(5, 500, 0.4) }]);
  const sc = connectionScreen(trace);
  assert.equal(sc.bucketOrdered[0], 1);
  assert.notEqual(sc.bits[0] & SCREEN_ATTEMPT, 0, 'last row a SYN');
  assert.equal(sc.bits[1] & SCREEN_ATTEMPT, 0);
  const got = synAttempts(trace);
  assert.equal(got.length, 1);
  assert.deepEqual(got[0].bursts[0].syns.map((s) => s.frame), [4, 5]);
  assert.deepEqual(got.map(setShape), attemptSets(trace, tupleGroups(trace)).map(setShape));
});

// ------------------------------------------------------------------ the exchange screen

import { EXCHANGE_DIFFERENT_RETRANSMISSION, EXCHANGE_HEARTBEAT, EXCHANGE_PAIR, EXCHANGE_PAIR_NOT_OK, EXCHANGE_RPC, EXCHANGE_UNANSWERED, exchangeScreen, heartbeatKind } from './views.js';
import { generateIncidentA, generateIncidentC } from '../../test/incidents/index.js';

test('the exchange screen marks each exchange as its getters say, on SMB2 and RPC captures and incidents A and C', async () => {
  const tmp = tempDir();
  try {
    const paths = corpusCaptures().filter((p) => p.startsWith('smb/') || p.startsWith('nfs-rpc/')).map((p) => `${corpusDir()}/${p}`);
    paths.push(generateIncidentA({ path: tmp.file('a.pcap'), seed: 1, intervalS: 60, multiple: 2 }).path);
    paths.push(generateIncidentC({ path: tmp.file('c.pcap'), seed: 1, variant: 'same-connection' }).path);
    const seen = new Map<number, number>();
    for (const path of paths) {
      const trace = await analyse([path]);
      const xs = exchangeScreen(trace);
      assert.equal(exchangeScreen(trace), xs, 'memoised per trace');
      const names = new Set<string>();
      trace.exchanges.forEach((e, i) => {
        const want = (e.protocol === 'rpc' ? EXCHANGE_RPC : 0) | (heartbeatKind(e) !== null ? EXCHANGE_HEARTBEAT : 0) |
          (e.kind === 'unanswered' ? EXCHANGE_UNANSWERED : 0) | (e.kind === 'pair' ? EXCHANGE_PAIR : 0) | (e.kind === 'pair' && e.statusCode !== 0 ? EXCHANGE_PAIR_NOT_OK : 0) |
          (e.retransmit?.body === 'different' ? EXCHANGE_DIFFERENT_RETRANSMISSION : 0);
        assert.equal(xs.bits[i], want, `${path} exchange ${i}`);
        assert.deepEqual([xs.requestFrame[i], xs.responseFrame[i]], [e.requestFrame, e.responseFrame]);
        names.add(e.protocol === 'rpc' ? e.service : e.protocol.toUpperCase());
        for (let b = 1; b < 64; b <<= 1) if (want & b) seen.set(b, (seen.get(b) ?? 0) + 1);
      });
      assert.deepEqual([...xs.names].sort(), [...names].sort());
    }
    for (const b of [EXCHANGE_RPC, EXCHANGE_HEARTBEAT, EXCHANGE_UNANSWERED, EXCHANGE_PAIR, EXCHANGE_PAIR_NOT_OK, EXCHANGE_DIFFERENT_RETRANSMISSION]) assert.ok((seen.get(b) ?? 0) > 0, `bit ${b} set somewhere`);
  } finally {
    tmp.done();
  }
});

import { PcapWriter } from '../../test/synth/pcap-writer.js';
import { ACK as S_ACK, FIN as S_FIN, ip as ipBytes, LINKTYPE_ETHERNET, mac, packet as buildTcp, RST as S_RST, SYN as S_SYN } from '../../test/synth/packets.js';

test('the screen bits the fact table took as rows were moved equal a walk over the rows, on random traffic', async () => {
  // random segments on a few tuples (IPv4 and IPv6, ports reused): SYNs with new and repeated
  // ISNs, SYN-ACKs right and wrong, bare ACKs, data, FINs, RSTs, pauses long enough for the
  // tracker to close connections; the screen from the fact table (rowBits run by the analysis on
  // each connection's rows as they were moved into the store) must equal the screen of the same
  // trace without the table (the rows walked by connectionScreen)
  const tmp = tempDir();
  const seen = new Map<number, number>();
  try {
    for (let seed = 1; seed <= 6; seed++) {
      let x = seed * 2654435761 >>> 0 || 1;
      const rnd = (n: number): number => {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        return x % n;
      };
      const path = tmp.file(`r${seed}.pcap`);
      const w = new PcapWriter(path, { linkType: LINKTYPE_ETHERNET });
      const link = { kind: 'ethernet' as const, src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02') };
      const hosts = [[ipBytes('10.0.0.1'), ipBytes('10.0.0.2')], [ipBytes('fd00::1'), ipBytes('fd00::2')]];
      const isn = [0, 0, 0, 0, 0, 0].map(() => rnd(2 ** 32));
      let sec = 1_700_000_000;
      let nsec = 0;
      for (let i = 0; i < 3000; i++) {
        const t = rnd(6); // tuple: 3 client ports x IPv4/IPv6
        const v6 = t >= 3;
        const dir = rnd(2);
        const [a, b] = hosts[v6 ? 1 : 0];
        const cport = 40000 + (t % 3);
        let flags: number;
        let seq = (isn[t] + 1 + rnd(5000)) >>> 0;
        let ack = (isn[t] + 1 + rnd(5000)) >>> 0;
        let len = 0;
        switch (rnd(9)) {
          case 0:
            flags = dir === 0 ? S_SYN : S_SYN | S_ACK;
            if (dir === 0) {
              if (rnd(2) === 0) isn[t] = rnd(2 ** 32);
              seq = isn[t];
              ack = 0;
            } else ack = rnd(3) === 0 ? rnd(2 ** 32) : (isn[t] + 1) >>> 0;
            break;
          case 1: flags = S_FIN | S_ACK; break;
          case 2: flags = rnd(2) === 0 ? S_RST : S_RST | S_ACK; break;
          case 3: case 4: flags = S_ACK; len = 1 + rnd(100); break;
          default: flags = S_ACK;
        }
        nsec += 1 + rnd(2_000_000);
        if (rnd(200) === 0) sec += 100 + rnd(400); // an idle pause
        if (nsec >= 1e9) { sec++; nsec -= 1e9; }
        const ipSpec = v6 ? { v: 6 as const, src: dir === 0 ? a : b, dst: dir === 0 ? b : a } : { v: 4 as const, src: dir === 0 ? a : b, dst: dir === 0 ? b : a, id: rnd(65536) };
        const tcp = { kind: 'tcp' as const, srcPort: dir === 0 ? cport : 445, dstPort: dir === 0 ? 445 : cport, seq, ack, flags, window: rnd(3) === 0 ? 0 : 8192 };
        w.write(sec, nsec, buildTcp({ link, ip: ipSpec, l4: tcp }, len > 0 ? new Uint8Array(len) : null));
      }
      w.close();
      const trace = await analyse([path]);
      assert.ok(trace.connectionFacts !== undefined && trace.connectionFacts.length === trace.connections.length && trace.connections.length > 20, `seed ${seed}: ${trace.connections.length} connections`);
      assert.notEqual(trace.connectionFacts.screenColumns().rows, null, 'the table has the rows\' screen');
      const { health: byTableHealth, ...byTable } = connectionScreen(trace);
      const { health: byWalkHealth, ...byWalk } = connectionScreen({ ...trace, connectionFacts: undefined });
      assert.deepEqual(byTable, byWalk, `seed ${seed}`);
      assert.deepEqual(byTableHealth.map((e) => e.c), byWalkHealth.map((e) => e.c));
      trace.connections.forEach((c, i) => {
        const want = bruteBits(trace, c);
        assert.equal(byTable.bits[i], want.bits, `seed ${seed} stream ${c.stream}`);
        for (let bit = 1; bit < 128; bit <<= 1) if (want.bits & bit) seen.set(bit, (seen.get(bit) ?? 0) + 1);
      });
    }
    // every bit was set somewhere, so each was compared set and unset
    for (let bit = 1; bit < 128; bit <<= 1) assert.ok((seen.get(bit) ?? 0) > 0, `bit ${bit} never set`);
  } finally {
    tmp.done();
  }
});
