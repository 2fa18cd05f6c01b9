// The matching engine. Records from A and B arrive merged in aligned time (A's clock; B's times
// corrected by the running clock estimate). Each record is either matched at once against a
// pending record of the other capture, or waits. A record still unmatched when the window has
// passed it is judged: lost between the points, injected between them, or not judgeable (its flow
// was never seen at the other point, the other capture was not running, the direction is
// unknown, or the window overflowed).
//
// Bounds (documented in docs/compare.md): the window holds `windowNs` of records per capture and
// at most `maxPending` records; past that the oldest are evicted unjudged and counted as
// `overflow`. The flow tables hold at most `maxFlows` flows each.
import { TCP_ACK } from '../wire/packet.js';
import { PROTO_TCP } from '../wire/packet.js';
import { ClockModel } from './clock.js';
import { Deque } from './deque.js';
import { type Flow, MAX_FLOW_FRAMES, PairStats, sameService, serviceKey } from './flows.js';
import { DK_NONE, discoveryEqual, matchEqual, setDiscoveryKey, setMatchKey } from './keys.js';
import { COMPARED_FLAGS, type PktRec, type RecordPool, ST_EVICTED, ST_INDEXED, ST_MATCHED, ST_WAITING } from './record.js';
import { Ladder, type RowKind } from './ladder.js';
import { Reservoir } from './reservoir.js';
import { type Gap, SeqTrack } from './seqtrack.js';

/** Evidence kept per finding: frame numbers (1-based) in A and B. */
export const MAX_EVIDENCE = 20;
/** Examples of "how" a field changed, per field and direction. */
export const MAX_EXAMPLES = 3;
/** Fields whose change in flight is a legitimate path behaviour (IP ID rewriting, MSS clamping,
 *  ECN congestion marking by a router): reported, at info level. */
/** Added to the edge margins: timestamp resolution and scheduling noise at the capture points. */
export const EDGE_SLACK_NS = 1_000_000;
export const LEGIT_CHANGES: ReadonlySet<string> = new Set(['ip-id', 'mss', 'ecn']);
/** Services (address pair, protocol, lower port) remembered per capture as crossing both points,
 *  for judging whole flows lost. Beyond this, new services are not remembered (counted). */
export const MAX_SERVICES = 65_536;

/** A service seen at both points: a paired flow of it at this capture, for its orientation. */
interface Service {
  flow: Flow;
  ps: PairStats;
  /** XOR turning this capture's canonical direction into A's numbering */
  toA: number;
}

export interface Evidence {
  a: number | null;
  b: number | null;
  note?: string;
}

export class DirStats {
  matched = 0;
  /** sent at the upstream point, never seen downstream, and no evidence that it arrived */
  lost = 0;
  /** seen downstream, never upstream, and no evidence that the sender sent it */
  injected = 0;
  /** seen upstream only, but the receiver acknowledged it and it was never re-sent: the
   *  downstream capture dropped it */
  notCapturedDown = 0;
  /** seen downstream only, in a range the upstream point's view of the sender skipped: the
   *  upstream capture dropped it */
  notCapturedUp = 0;
  /** ranges of sequence space missing at both points but acknowledged or re-sent, and their bytes */
  missingBoth = 0;
  missingBothBytes = 0;
  /** flows seen at the upstream point only, between hosts whose other flows crossed (every
   *  packet of them is counted in lost) */
  flowsLost = 0;
  modified = 0;
  reordered = 0;
  hopsMin = Infinity;
  hopsMax = -Infinity;
  /** smallest and largest one-way delay seen (ns, under the running clock estimate) */
  minDelay = Infinity;
  maxDelay = -Infinity;
  readonly delays = new Reservoir();
  readonly fields = new Map<string, { count: number; examples: string[] }>();
  readonly ev = {
    lost: [] as Evidence[], injected: [] as Evidence[], modified: [] as Evidence[], reordered: [] as Evidence[],
    notCapturedDown: [] as Evidence[], notCapturedUp: [] as Evidence[], missingBoth: [] as Evidence[],
  };
}

export interface Unjudged {
  /** packets of flows never seen at the other point (filtered or routed elsewhere) */
  flowNotSeen: number;
  /** packets from before the other capture started or after it ended */
  outsideWindow: number;
  /** packets whose direction (which point is upstream) could not be told */
  unknownDirection: number;
  /** packets evicted because the window was full (see maxPending) */
  overflow: number;
}

export interface MatcherOptions {
  windowNs: number;
  maxPending: number;
  coarseOffset: number;
  /** B's time shift into A's base: (baseSec(B) - baseSec(A)) * 1e9 */
  shiftB: number;
  /** evidence frames kept per finding and direction (default MAX_EVIDENCE) */
  maxEvidence?: number;
  /** where records go once they have left the window (judged or matched): reused for new packets */
  pool?: RecordPool;
}

export interface Translation {
  a: Flow;
  b: Flow;
  nat: boolean;
  seqDelta: [number, number];
}


export class Matcher {
  private readonly index = [new Map<number, PktRec>(), new Map<number, PktRec>()];
  private readonly disc = [new Map<number, PktRec>(), new Map<number, PktRec>()];
  private readonly fifo = [new Deque(), new Deque()];
  readonly clock: ClockModel;
  /** per orientation: [A->B, B->A] */
  readonly dirs = [new DirStats(), new DirStats()];
  readonly unjudged: [Unjudged, Unjudged] = [
    { flowNotSeen: 0, outsideWindow: 0, unknownDirection: 0, overflow: 0 },
    { flowNotSeen: 0, outsideWindow: 0, unknownDirection: 0, overflow: 0 },
  ];
  readonly first = [Infinity, Infinity];
  readonly last = [-Infinity, -Infinity];
  readonly done = [false, false];
  pairs = 0;
  /** matched packets whose direction could not be told (same TTL and time at both points) */
  matchedDirectionUnknown = 0;
  natPairs = 0;
  seqShiftedPairs = 0;
  readonly translations: Translation[] = [];
  /** flows that ended without ever being paired, per side */
  readonly flowsOnlyHere = [0, 0];
  private maxAbsDelay = 0;
  private pairIds = 0;
  /** bounded rows for a side-by-side view (model.ts) */
  readonly ladder = new Ladder();
  private readonly services = [new Map<number, Service>(), new Map<number, Service>()];
  /** services not remembered because the table was full */
  servicesDropped = 0;

  private readonly maxEvidence: number;

  constructor(private readonly o: MatcherOptions) {
    this.clock = new ClockModel(o.coarseOffset);
    this.maxEvidence = o.maxEvidence ?? MAX_EVIDENCE;
  }

  private pushEv(list: Evidence[], e: Evidence): void {
    if (list.length < this.maxEvidence) list.push(e);
  }

  /** aligned time of a record (A's clock, ns from A's base) */
  aligned(r: PktRec): number {
    return r.side === 0 ? r.t : r.t + this.o.shiftB - this.clock.current;
  }

  /** Margin around the other capture's start and end within which nothing is judged: a packet
   *  needs its one-way delay to reach the other point. Twice the largest delay seen plus 1 ms,
   *  at most half the window. */
  private margin(): number {
    return Math.min(this.o.windowNs / 2, 2 * this.maxAbsDelay + EDGE_SLACK_NS);
  }

  process(r: PktRec): void {
    const ta = this.aligned(r);
    r.ta = ta;
    const s = r.side;
    if (ta < this.first[s]) this.first[s] = ta;
    if (ta > this.last[s]) this.last[s] = ta;
    this.evictBefore(ta - this.o.windowNs);
    const q = this.fifo[s];
    q.push(r);
    if (q.size > this.o.maxPending) this.overflow(s);
    const f = r.flow;
    if (f.peer !== null) {
      setMatchKey(r, f);
      this.track(r);
      this.matchOrInsert(r);
    } else this.discover(r);
  }

  /** Sequence evidence of a TCP record of a paired flow (match key set). */
  private track(r: PktRec): void {
    if (r.proto !== PROTO_TCP) return;
    const ps = r.flow.pair as PairStats;
    if (ps.seq === null) ps.seq = new SeqTrack();
    this.gapFlip = r.flow.flip;
    this.gapPair = ps;
    ps.seq.observe(r, this.gapSink);
  }

  private gapFlip = 0;
  private gapPair: PairStats | null = null;
  /** a range proven missing at both points (k: data direction in B's numbering) */
  private readonly gapSink = (k: number, g: Gap): void => {
    const o = this.orient(this.gapPair as PairStats, k ^ this.gapFlip);
    if (o === 0) return;
    const st = this.dirs[o === 1 ? 0 : 1];
    const bytes = (g.hi - g.lo) >>> 0;
    st.missingBoth++;
    st.missingBothBytes += bytes;
    const note = `${bytes} bytes before these frames, ${g.how}`;
    this.pushEv(st.ev.missingBoth, { a: g.frameA, b: g.frameB, note });
    this.ladder.anomaly({ kind: 'missing-at-both', dir: o === 1 ? 0 : 1, a: g.frameA, b: g.frameB, ta: g.tA, tb: g.tB, aligned: true, note });
  };

  /** A row for a packet seen at one point only. */
  private single(kind: RowKind, dir: number, r: PktRec, note: string): void {
    const a = r.side === 0;
    this.ladder.anomaly({ kind, dir, a: a ? r.frame : null, b: a ? null : r.frame, ta: a ? r.t : NaN, tb: a ? NaN : r.t + this.o.shiftB, aligned: false, note });
  }

  /** Both captures have ended: judge everything still pending. */
  finish(): void {
    this.done[0] = this.done[1] = true;
    this.evictBefore(Infinity);
  }

  setDone(side: 0 | 1): void {
    this.done[side] = true;
  }

  private evictBefore(limit: number): void {
    const qa = this.fifo[0];
    const qb = this.fifo[1];
    for (;;) {
      const a = qa.peek();
      const b = qb.peek();
      const ta = a && a.ta < limit ? a.ta : Infinity;
      const tb = b && b.ta < limit ? b.ta : Infinity;
      if (ta === Infinity && tb === Infinity) return;
      const r = (ta <= tb ? qa.shift() : qb.shift()) as PktRec;
      if (r.state !== ST_MATCHED) this.judge(r, false);
      // no index, queue or flow list reads it any more (judge() unlinked it; a matched record was
      // unlinked when it matched; flow.waiting is only read from waitHead, which judge() moved past)
      this.o.pool?.give(r);
    }
  }

  private overflow(s: number): void {
    const r = this.fifo[s].shift() as PktRec;
    if (r.state !== ST_MATCHED) this.judge(r, true);
    this.o.pool?.give(r);
  }

  // ---------------------------------------------------------------- indexes

  private matchOrInsert(r: PktRec): void {
    const other = 1 - r.side;
    const idx = this.index[other];
    let best: PktRec | null = null;
    for (let c = idx.get(r.khash) ?? null; c !== null; c = c.next) {
      // of identical candidates (a retransmission and its original), the latest: the copy that
      // crossed is the one sent last before it arrived
      if (matchEqual(c, r) && (best === null || c.ta > best.ta)) best = c;
    }
    if (best !== null) {
      this.unindex(best);
      if (r.side === 0) this.matched(r, best, 0);
      else this.matched(best, r, 1);
      return;
    }
    r.state = ST_INDEXED;
    const own = this.index[r.side];
    const head = own.get(r.khash) ?? null;
    // an identical earlier copy still waiting here was sent again: a retransmission
    if (r.proto === PROTO_TCP) for (let c = head; c !== null; c = c.next) if (matchEqual(c, r)) c.rtx = true;
    r.next = head;
    own.set(r.khash, r);
  }

  private unindex(r: PktRec): void {
    const idx = this.index[r.side];
    let c = idx.get(r.khash) ?? null;
    if (c === r) {
      if (r.next) idx.set(r.khash, r.next);
      else idx.delete(r.khash);
    } else {
      while (c !== null && c.next !== r) c = c.next;
      if (c !== null) c.next = r.next;
    }
    r.next = null;
  }

  private undisc(r: PktRec): void {
    if (!r.indexedDisc) return;
    r.indexedDisc = false;
    const idx = this.disc[r.side];
    let c = idx.get(r.dkhash) ?? null;
    if (c === r) {
      if (r.dnext) idx.set(r.dkhash, r.dnext);
      else idx.delete(r.dkhash);
    } else {
      while (c !== null && c.dnext !== r) c = c.dnext;
      if (c !== null) c.dnext = r.dnext;
    }
    r.dnext = null;
  }

  // ---------------------------------------------------------------- flow discovery

  private discover(r: PktRec): void {
    setDiscoveryKey(r);
    const f = r.flow;
    if (r.dkind !== DK_NONE) {
      let found: PktRec | null = null;
      let ambiguous = false;
      for (let c = this.disc[1 - r.side].get(r.dkhash) ?? null; c !== null; c = c.dnext) {
        if (c.state !== ST_WAITING || c.flow.peer !== null || c.flow.proto !== f.proto || !discoveryEqual(c, r)) continue;
        if (found !== null && found.flow !== c.flow) ambiguous = true;
        else if (found === null || c.ta > found.ta) found = c;
      }
      if (found !== null && !ambiguous) {
        // the same content waiting in another flow of this capture makes the pairing a guess
        for (let c = this.disc[r.side].get(r.dkhash) ?? null; c !== null; c = c.dnext) {
          if (c.state === ST_WAITING && c.flow !== f && c.flow.peer === null && discoveryEqual(c, r)) ambiguous = true;
        }
      }
      if (found !== null && !ambiguous) {
        this.pair(r, found);
        return;
      }
    }
    r.state = ST_WAITING;
    f.waiting.push(r);
    if (r.dkind !== DK_NONE) {
      const idx = this.disc[r.side];
      r.dnext = idx.get(r.dkhash) ?? null;
      idx.set(r.dkhash, r);
      r.indexedDisc = true;
    }
  }

  /** r (just arrived) and c (waiting on the other side) are the same packet: pair their flows. */
  private pair(r: PktRec, c: PktRec): void {
    const ra = r.side === 0 ? r : c;
    const rb = r.side === 0 ? c : r;
    const fa = ra.flow;
    const fb = rb.flow;
    fa.peer = fb;
    fb.peer = fa;
    const flip = ra.dir ^ rb.dir;
    fa.flip = fb.flip = flip;
    if (fa.proto === PROTO_TCP) {
      // seq in B = seq in A + delta, per A-direction; the ACK field carries the other direction's
      // sequence space (setDiscoveryKey only lets ACK-bearing segments pair TCP flows)
      fa.delta[ra.dir] = (rb.seq - ra.seq) >>> 0;
      fa.delta[1 - ra.dir] = rb.flags & TCP_ACK ? (rb.ack - ra.ack) >>> 0 : 0;
    }
    const ps = new PairStats(++this.pairIds);
    fa.pair = fb.pair = ps;
    this.pairs++;
    this.remember(fa, ps, 0);
    this.remember(fb, ps, flip);
    const nat = !sameEndpoints(fa, fb, flip);
    const shifted = fa.delta[0] !== 0 || fa.delta[1] !== 0;
    if (nat) this.natPairs++;
    if (shifted) this.seqShiftedPairs++;
    if ((nat || shifted) && this.translations.length < MAX_EVIDENCE) {
      this.translations.push({ a: fa, b: fb, nat, seqDelta: [fa.delta[0], fa.delta[1]] });
    }
    // the records that waited for this pairing (c among them), then r itself, go through the
    // match index in time order, so matches are made in the order the points saw them
    const waiting: PktRec[] = [];
    for (const fl of [fa, fb]) {
      for (let i = fl.waitHead; i < fl.waiting.length; i++) {
        const w = fl.waiting[i];
        if (w.state === ST_WAITING) waiting.push(w);
      }
      fl.waiting = [];
      fl.waitHead = 0;
    }
    waiting.sort((x, y) => x.ta - y.ta);
    waiting.push(r);
    for (const w of waiting) {
      this.undisc(w);
      setMatchKey(w, w.flow);
      this.track(w);
      this.matchOrInsert(w);
    }
  }

  private remember(f: Flow, ps: PairStats, toA: number): void {
    const m = this.services[f.side];
    const k = serviceKey(f);
    const e = m.get(k);
    if (e !== undefined && sameService(e.flow, f)) {
      // the latest pair of the service speaks for it
      e.flow = f;
      e.ps = ps;
      e.toA = toA;
    } else if (e === undefined && m.size < MAX_SERVICES) m.set(k, { flow: f, ps, toA });
    else if (e === undefined) this.servicesDropped++;
  }

  // ---------------------------------------------------------------- orientation

  /** Which way packets of A-direction dA of a pair travel: 1 = A->B, -1 = B->A, 0 = unknown.
   *  TTL first (routers between the points decrement it, so the upstream copy has the higher
   *  TTL); else timing (the A->B direction has the larger tB - tA); else the clock estimate. */
  orient(ps: PairStats, dA: number): number {
    const v = ps.ttlVote[dA] - ps.ttlVote[1 - dA];
    if (v !== 0) return v > 0 ? 1 : -1;
    const n0 = ps.nX[dA];
    const n1 = ps.nX[1 - dA];
    if (n0 > 0 && n1 > 0) {
      const m0 = ps.sumX[dA] / n0;
      const m1 = ps.sumX[1 - dA] / n1;
      if (m0 !== m1) return m0 > m1 ? 1 : -1;
    }
    if (this.clock.calibrated) {
      const rel = this.clock.current - this.o.coarseOffset;
      if (n0 > 0 && ps.sumX[dA] / n0 !== rel) return ps.sumX[dA] / n0 > rel ? 1 : -1;
      if (n1 > 0 && ps.sumX[1 - dA] / n1 !== rel) return ps.sumX[1 - dA] / n1 > rel ? -1 : 1;
    }
    return 0;
  }

  // ---------------------------------------------------------------- outcomes

  private matched(ra: PktRec, rb: PktRec, procSide: number): void {
    ra.state = ST_MATCHED;
    rb.state = ST_MATCHED;
    const fa = ra.flow;
    const ps = fa.pair as PairStats;
    const dA = ra.dir;
    const x = rb.t + this.o.shiftB - ra.t;
    if (ra.ttl >= 0 && rb.ttl >= 0 && ra.ttl !== rb.ttl) ps.ttlVote[dA] += ra.ttl > rb.ttl ? 1 : -1;
    ps.sumX[dA] += x - this.o.coarseOffset;
    ps.nX[dA]++;
    const o = this.orient(ps, dA);
    // reordering: partners must appear in the same order at both points
    const partner = procSide === 0 ? rb.frame : ra.frame;
    const mp = ps.maxPartner[dA];
    const reordered = partner < mp[procSide];
    if (partner > mp[procSide]) mp[procSide] = partner;
    if (o === 0) {
      this.matchedDirectionUnknown++;
      return;
    }
    const st = this.dirs[o === 1 ? 0 : 1];
    st.matched++;
    this.clock.add(ra.t, x, o === 1);
    const d = o === 1 ? x - this.clock.current : this.clock.current - x;
    if (Math.abs(d) > this.maxAbsDelay) this.maxAbsDelay = Math.abs(d);
    if (d < st.minDelay) st.minDelay = d;
    if (d > st.maxDelay) st.maxDelay = d;
    st.delays.add(ra.t, x);
    const hops = o === 1 ? ra.ttl - rb.ttl : rb.ttl - ra.ttl;
    if (ra.ttl >= 0 && rb.ttl >= 0) {
      if (hops < st.hopsMin) st.hopsMin = hops;
      if (hops > st.hopsMax) st.hopsMax = hops;
    }
    if (reordered) {
      st.reordered++;
      this.pushEv(st.ev.reordered, { a: ra.frame, b: rb.frame });
    }
    const modified = this.compare(ra, rb, o, st);
    const dir = o === 1 ? 0 : 1;
    if (modified || reordered) {
      const kind = modified ? 'modified' : 'reordered';
      this.ladder.anomaly({ kind, dir, a: ra.frame, b: rb.frame, ta: ra.t, tb: rb.t + this.o.shiftB, aligned: false, note: modified ? changedList.join(',') : pktNote(ra) });
    } else {
      const i = this.ladder.matchedSlot();
      if (i >= 0) this.ladder.matched[i] = { kind: 'matched', dir, a: ra.frame, b: rb.frame, ta: ra.t, tb: rb.t + this.o.shiftB, aligned: false, note: pktNote(ra) };
    }
  }

  /** Fields compared on a matched pair, after translation; values are shown "from -> to" in the
   *  direction of travel. */
  private compare(ra: PktRec, rb: PktRec, o: number, st: DirStats): boolean {
    const up = o === 1 ? ra : rb;
    const down = o === 1 ? rb : ra;
    const ch = changedList;
    ch.length = 0;
    if (up.ipId >= 0 && down.ipId >= 0 && up.ipId !== down.ipId) note(st, 'ip-id', up.ipId, down.ipId);
    if (up.tos >> 2 !== down.tos >> 2) note(st, 'dscp', up.tos >> 2, down.tos >> 2);
    if ((up.tos & 3) !== (down.tos & 3)) note(st, 'ecn', up.tos & 3, down.tos & 3);
    if (ra.proto === PROTO_TCP) {
      if (up.win !== down.win) note(st, 'window', up.win, down.win);
      if (up.mss !== down.mss) note(st, 'mss', optStr(up.mss), optStr(down.mss));
      if (up.wscale !== down.wscale) note(st, 'window-scale', optStr(up.wscale), optStr(down.wscale));
      if (up.sackPerm !== down.sackPerm) note(st, 'sack-permitted', String(up.sackPerm), String(down.sackPerm));
      if (up.hasTs !== down.hasTs || up.tsval !== down.tsval || up.tsecr !== down.tsecr) {
        note(st, 'timestamps', up.hasTs ? `${up.tsval}/${up.tsecr}` : 'none', down.hasTs ? `${down.tsval}/${down.tsecr}` : 'none');
      }
      if (ra.sackCount !== rb.sackCount || (ra.sackCount > 0 && sackShift(ra) !== rb.sackL)) {
        note(st, 'sack', `${up.sackCount} blocks`, `${down.sackCount} blocks`);
      }
      if ((up.flags & COMPARED_FLAGS) !== (down.flags & COMPARED_FLAGS)) note(st, 'flags', flagStr(up.flags), flagStr(down.flags));
      if (ch.length === 0 && up.tcpHdrLen !== down.tcpHdrLen) note(st, 'tcp-options', `${up.tcpHdrLen - 20} bytes`, `${down.tcpHdrLen - 20} bytes`);
      if (up.pcap === down.pcap && up.pcap > 0 && up.phash !== down.phash) note(st, 'payload', `${up.len} bytes`, 'different bytes');
    }
    if (ch.length > 0) {
      st.modified++;
      this.pushEv(st.ev.modified, { a: ra.frame, b: rb.frame, note: ch.join(',') });
      return true;
    }
    return false;
  }

  /** Judges a record that left the window unmatched. */
  private judge(r: PktRec, overflow: boolean): void {
    const s = r.side;
    if (r.state === ST_INDEXED) this.unindex(r);
    else if (r.state === ST_WAITING) {
      this.undisc(r);
      const f = r.flow;
      r.state = ST_EVICTED;
      while (f.waitHead < f.waiting.length && f.waiting[f.waitHead].state !== ST_WAITING) f.waitHead++;
      if (f.waitHead > 64 && f.waitHead * 2 > f.waiting.length) {
        f.waiting = f.waiting.slice(f.waitHead);
        f.waitHead = 0;
      }
    }
    r.state = ST_EVICTED;
    const u = this.unjudged[s];
    if (overflow) {
      u.overflow++;
      return;
    }
    const f = r.flow;
    const other = 1 - s;
    // before the other capture's first packet or after its last: nothing can be said
    if (r.ta < this.first[other] || (this.done[other] && r.ta > this.last[other])) {
      u.outsideWindow++;
      return;
    }
    const fa = s === 0 ? f : f.peer;
    if (f.pair === null || fa === null) {
      u.flowNotSeen++;
      f.unseen[r.dir]++;
      if (r.ta < f.unseenFirst) f.unseenFirst = r.ta;
      if (r.ta > f.unseenLast) f.unseenLast = r.ta;
      if (f.unseenFrames === null) f.unseenFrames = [];
      if (f.unseenFrames.length < 2 * MAX_FLOW_FRAMES) f.unseenFrames.push(r.frame, r.dir);
      return;
    }
    const dA = s === 0 ? r.dir : r.dir ^ f.flip;
    const o = this.orient(f.pair, dA);
    if (o === 0) {
      u.unknownDirection++;
      return;
    }
    const sender = o === 1 ? 0 : 1;
    const st = this.dirs[o === 1 ? 0 : 1];
    // how long packets of this direction may take between the points: twice the largest delay
    // seen so far (an edge packet delayed more than that is rare), or the general margin before
    // any was seen
    const m = st.maxDelay > 0 ? Math.min(this.o.windowNs / 2, 2 * st.maxDelay + EDGE_SLACK_NS) : this.margin();
    if (s === sender) {
      // sent here, never seen at the far point: judge only if the far capture was running when
      // the packet would have arrived
      if (this.done[other] && this.last[other] < r.ta + m) {
        u.outsideWindow++;
        return;
      }
      const ev: Evidence = s === 0 ? { a: r.frame, b: null } : { a: null, b: r.frame };
      if (f.pair.seq !== null && r.proto === PROTO_TCP && f.pair.seq.deliveredUnseen(r)) {
        st.notCapturedDown++;
        this.pushEv(st.ev.notCapturedDown, ev);
        this.single('not-captured-downstream', sender, r, pktNote(r));
        return;
      }
      st.lost++;
      this.pushEv(st.ev.lost, ev);
      this.single('lost', sender, r, pktNote(r));
    } else {
      // seen here, never sent at the near point: judge only if the near capture was running when
      // it would have been sent
      if (this.first[other] > r.ta - m) {
        u.outsideWindow++;
        return;
      }
      if (f.pair.seq !== null && r.proto === PROTO_TCP && f.pair.seq.skippedAt(r, sender)) {
        st.notCapturedUp++;
        this.pushEv(st.ev.notCapturedUp, s === 0 ? { a: r.frame, b: null, note: flagNote(r) } : { a: null, b: r.frame, note: flagNote(r) });
        this.single('not-captured-upstream', sender, r, pktNote(r));
        return;
      }
      this.single('injected', sender, r, pktNote(r));
      st.injected++;
      this.pushEv(st.ev.injected, s === 0 ? { a: r.frame, b: null, note: flagNote(r) } : { a: null, b: r.frame, note: flagNote(r) });
    }
  }

  /** Called when a flow leaves its table. A flow seen at one point only is normally a filtered
   *  capture or another route, and its packets stay "flow not seen". But when other flows of the
   *  same service (same two addresses, protocol and lower port) crossed both points while this
   *  one was captured, the capture was not filtered against it and its path passes the other
   *  point: it is a whole flow lost (every SYN dropped between the points), or, for packets
   *  travelling towards this point, injected. */
  flowEnded(f: Flow): void {
    if (f.pair !== null) return;
    this.flowsOnlyHere[f.side]++;
    const n = f.unseen[0] + f.unseen[1];
    if (n === 0) return;
    const svc = this.services[f.side].get(serviceKey(f));
    if (svc === undefined || !sameService(svc.flow, f)) return;
    const s = f.side;
    const other = 1 - s;
    for (let d = 0; d < 2; d++) {
      if (f.unseen[d] === 0) continue;
      const o = this.orient(svc.ps, d ^ svc.toA);
      if (o === 0) continue;
      const st = this.dirs[o === 1 ? 0 : 1];
      // the whole flow must lie inside the other capture's time, with the margin of judge()
      const m = st.maxDelay > 0 ? Math.min(this.o.windowNs / 2, 2 * st.maxDelay + EDGE_SLACK_NS) : this.margin();
      if (f.unseenFirst - m < this.first[other] || (this.done[other] && f.unseenLast + m > this.last[other])) continue;
      const sender = o === 1 ? 0 : 1;
      const c = f.unseen[d];
      this.unjudged[s].flowNotSeen -= c;
      const fr = f.unseenFrames ?? [];
      if (s === sender) {
        st.lost += c;
        st.flowsLost++;
        for (let i = 0; i < fr.length; i += 2) if (fr[i + 1] === d) this.pushEv(st.ev.lost, s === 0 ? { a: fr[i], b: null, note: 'whole flow' } : { a: null, b: fr[i], note: 'whole flow' });
      } else {
        st.injected += c;
        for (let i = 0; i < fr.length; i += 2) if (fr[i + 1] === d) this.pushEv(st.ev.injected, s === 0 ? { a: fr[i], b: null, note: 'whole flow' } : { a: null, b: fr[i], note: 'whole flow' });
      }
    }
  }
}

/** fields changed on the pair being compared (reused: compare() is on the hot path) */
const changedList: string[] = [];

function note(st: DirStats, field: string, from: string | number, to: string | number): void {
  changedList.push(field);
  let e = st.fields.get(field);
  if (!e) st.fields.set(field, (e = { count: 0, examples: [] }));
  e.count++;
  if (e.examples.length < MAX_EXAMPLES) e.examples.push(`${from} -> ${to}`);
}

function sackShift(ra: PktRec): number {
  const f = ra.flow;
  return (ra.sackL + f.delta[1 - ra.dir]) >>> 0;
}

function sameEndpoints(fa: Flow, fb: Flow, flip: number): boolean {
  const aLo = flip ? fa.hiAddr : fa.loAddr;
  const aLoP = flip ? fa.hiPort : fa.loPort;
  const aHi = flip ? fa.loAddr : fa.hiAddr;
  const aHiP = flip ? fa.loPort : fa.hiPort;
  for (let i = 0; i < 4; i++) if (aLo[i] !== fb.loAddr[i] || aHi[i] !== fb.hiAddr[i]) return false;
  return aLoP === fb.loPort && aHiP === fb.hiPort && fa.l3 === fb.l3;
}

function optStr(v: number): string {
  return v < 0 ? 'none' : String(v);
}

const FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'NS'];
export function flagStr(flags: number): string {
  const out: string[] = [];
  for (let i = 0; i < FLAG_NAMES.length; i++) if (flags & (1 << i)) out.push(FLAG_NAMES[i]);
  return out.length ? out.join('|') : 'none';
}

const PROTO_NAMES: Record<number, string> = { 6: 'TCP', 17: 'UDP', 1: 'ICMP', 58: 'ICMPv6' };

/** A short description of a packet for a ladder row (numbers only: nothing from the payload). */
function pktNote(r: PktRec): string {
  if (r.proto === PROTO_TCP) return `TCP ${flagStr(r.flags)} seq ${r.seq} ack ${r.ack} len ${r.len}`;
  if (r.icmpType >= 0) return `${PROTO_NAMES[r.proto] ?? 'ICMP'} type ${r.icmpType} code ${r.icmpCode}`;
  return `${PROTO_NAMES[r.proto] ?? String(r.proto)} len ${r.len}`;
}

function flagNote(r: PktRec): string | undefined {
  return r.proto === PROTO_TCP ? `TCP ${flagStr(r.flags)} len ${r.len}` : undefined;
}
