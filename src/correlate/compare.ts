// compareCaptures: two captures of the same traffic taken at two points -> what the network
// between the points did. Two passes over the files: a short one for the coarse clock offset
// (bootstrap.ts, stops as soon as it has enough hits), then the matching pass, which reads both
// captures concurrently and feeds the matcher in aligned-time order. Memory is the matching
// window, the flow tables and two read batches per capture, whatever the captures' length.
import type { ReadSummary } from '../capture/types.js';
import { bootstrap } from './bootstrap.js';
import type { ClockFit } from './clock.js';
import { FlowTable } from './flows.js';
import type { Ladder } from './ladder.js';
import { type DirStats, Matcher, type Translation, type Unjudged } from './matcher.js';
import { type PktRec, RecordPool } from './record.js';
import { quantile } from './reservoir.js';
import { RecordSource, type SourceCounts } from './source.js';

/** How long a packet may wait for its copy at the other point (ns). Must exceed the one-way delay
 *  plus the error of the running clock estimate; 2 s covers any sane path and a slow drift. */
export const DEFAULT_WINDOW_NS = 2e9;
/** Records per capture the window may hold: 2 s at 250,000 packets/s. */
export const DEFAULT_MAX_PENDING = 500_000;
/** Flows per capture. */
export const DEFAULT_MAX_FLOWS = 200_000;
/** A flow with no packet for this long leaves its table (ns). */
const FLOW_IDLE_NS = 4 * DEFAULT_WINDOW_NS;
/** Flow tables are swept every this many records. */
const SWEEP_EVERY = 65536;

export interface CompareOptions {
  windowNs?: number;
  maxPending?: number;
  maxFlows?: number;
  /** evidence frames kept per finding and direction */
  maxEvidence?: number;
}

export interface DelayStats {
  /** seconds */
  min: number;
  median: number;
  p99: number;
  max: number;
  samples: number;
}

export interface DirectionResult {
  from: 'A' | 'B';
  to: 'A' | 'B';
  /** packets sent inside the judged window: matched + lost + those one capture missed */
  sent: number;
  matched: number;
  /** lost between the points (no evidence that the receiver got it), whole flows lost included */
  lost: number;
  injected: number;
  modified: number;
  reordered: number;
  /** crossed, but the downstream capture did not record it (the receiver acknowledged it, the
   *  sender never re-sent it) */
  notCapturedDownstream: number;
  /** crossed, but the upstream capture did not record it (a hole in that point's view of the
   *  sender's stream, exactly where the packet is) */
  notCapturedUpstream: number;
  /** ranges of this direction's TCP data in neither capture, proven by an ACK or a re-send */
  missingAtBoth: { ranges: number; bytes: number };
  /** flows seen at the upstream point only whose service crossed both points (their packets are
   *  in `lost`) */
  flowsLost: number;
  delay: DelayStats | null;
  hops: { min: number; max: number } | null;
  fields: { field: string; count: number; examples: string[] }[];
  stats: DirStats;
}

export interface SideResult {
  path: string;
  summary: ReadSummary | null;
  counts: SourceCounts;
  baseSec: number | null;
  /** first and last aligned time of compared packets (ns, A's base) */
  first: number;
  last: number;
  unjudged: Unjudged;
  flows: number;
  flowsOnlyHere: number;
  flowsEvicted: number;
}

export interface CompareResult {
  a: SideResult;
  b: SideResult;
  /** false when no packet of one capture was found in the other */
  overlap: boolean;
  bootstrapHits: number;
  clock: ClockFit | null;
  /** B's clock minus A's, seconds, at the start of the common window */
  clockOffsetSeconds: number | null;
  /** common window (ns, A's base) */
  window: { start: number; end: number } | null;
  directions: [DirectionResult, DirectionResult];
  pairs: number;
  /** matched packets whose direction could not be told (identical TTL and timing at both points) */
  matchedDirectionUnknown: number;
  natPairs: number;
  seqShiftedPairs: number;
  translations: Translation[];
  /** bounded rows for a side-by-side view (raw times; model.ts converts them) */
  ladder: Ladder;
  /** B's times in the ladder are shifted into A's base by this (ns) */
  shiftB: number;
  bounds: { windowNs: number; maxPending: number; maxFlows: number; recordsCreated: number; recordsReused: number; servicesDropped: number };
}

export async function compareCaptures(pathA: string, pathB: string, opts: CompareOptions = {}): Promise<CompareResult> {
  // the coarse-offset pass and the matching pass each read the files from the start
  if (pathA === '-' || pathB === '-') throw new Error('compare reads each capture twice, so it needs files: standard input (-) cannot be used');
  const windowNs = opts.windowNs ?? DEFAULT_WINDOW_NS;
  const maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING;
  const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
  const boot = await bootstrap(pathA, pathB, windowNs / 4);

  const tables = [new FlowTable(0, maxFlows, 1), new FlowTable(1, maxFlows, 1 << 30)];
  // one pool for both captures: the window's size in records, at most
  const pool = new RecordPool(2 * maxPending);
  const src = [new RecordSource(pathA, 0, tables[0], pool), new RecordSource(pathB, 1, tables[1], pool)];
  const shiftB = ((boot.baseSecB ?? 0) - (boot.baseSecA ?? 0)) * 1e9;
  const m = new Matcher({ windowNs, maxPending, coarseOffset: boot.offset ?? 0, shiftB, maxEvidence: opts.maxEvidence, pool });
  for (const t of tables) {
    t.onEvict = (f) => {
      m.flowEnded(f);
      // the other point may see the same addresses again later as a new flow: let it pair anew
      if (f.peer !== null && f.peer.peer === f) f.peer.peer = null;
    };
  }

  if (boot.offset !== null) {
    src[0].start();
    src[1].start();
    let ra: PktRec | null = await src[0].peek();
    let rb: PktRec | null = await src[1].peek();
    let n = 0;
    if (ra === null) m.setDone(0);
    if (rb === null) m.setDone(1);
    while (ra !== null || rb !== null) {
      const useA = rb === null || (ra !== null && ra.t <= rb.t + shiftB - m.clock.current);
      if (useA) {
        m.process(ra as PktRec);
        src[0].take();
        ra = src[0].head() ?? (await src[0].peek());
        if (ra === null) m.setDone(0);
      } else {
        m.process(rb as PktRec);
        src[1].take();
        rb = src[1].head() ?? (await src[1].peek());
        if (rb === null) m.setDone(1);
      }
      if (++n % SWEEP_EVERY === 0) {
        const now = Math.max(m.last[0], m.last[1]);
        tables[0].sweep(now - FLOW_IDLE_NS);
        tables[1].sweep(now - FLOW_IDLE_NS + m.clock.current - shiftB);
      }
    }
    await Promise.all([src[0].finish(), src[1].finish()]);
    m.finish();
    for (const t of tables) for (const f of t.all()) m.flowEnded(f);
  }

  const overlap = boot.offset !== null && m.pairs > 0;
  const resolution = Math.max(resolutionNs(src[0].summary), resolutionNs(src[1].summary));
  const start = Math.max(m.first[0], m.first[1]);
  const end = Math.min(m.last[0], m.last[1]);
  const fit = overlap ? m.clock.fit(boot.offset as number, Number.isFinite(start) ? start : 0, resolution) : null;
  const at = fit ? (t: number) => fit.offset0 + fit.drift * (t - fit.t0) : () => 0;
  const dirs: [DirectionResult, DirectionResult] = [direction(m.dirs[0], 'A', 'B', at, true), direction(m.dirs[1], 'B', 'A', at, false)];
  if (fit) {
    const ex = m.clock.extremes(at);
    if (dirs[0].delay && Number.isFinite(ex.maxAB)) dirs[0].delay.max = ex.maxAB / 1e9;
    if (dirs[1].delay && Number.isFinite(ex.maxBA)) dirs[1].delay.max = ex.maxBA / 1e9;
  }
  const side = (s: 0 | 1): SideResult => ({
    path: s === 0 ? pathA : pathB,
    summary: src[s].summary,
    counts: src[s].counts,
    baseSec: src[s].baseSec,
    first: m.first[s],
    last: m.last[s],
    unjudged: m.unjudged[s],
    flows: tables[s].stats.flows,
    flowsOnlyHere: m.flowsOnlyHere[s],
    flowsEvicted: tables[s].stats.forced,
  });
  return {
    a: side(0),
    b: side(1),
    overlap,
    bootstrapHits: boot.hits,
    clock: fit,
    clockOffsetSeconds: fit ? fit.offset0 / 1e9 : null,
    window: overlap && end > start ? { start, end } : null,
    directions: dirs,
    pairs: m.pairs,
    matchedDirectionUnknown: m.matchedDirectionUnknown,
    natPairs: m.natPairs,
    seqShiftedPairs: m.seqShiftedPairs,
    translations: m.translations,
    ladder: m.ladder,
    shiftB,
    bounds: { windowNs, maxPending, maxFlows, recordsCreated: pool.created, recordsReused: pool.reused, servicesDropped: m.servicesDropped },
  };
}

function direction(st: DirStats, from: 'A' | 'B', to: 'A' | 'B', at: (t: number) => number, ab: boolean): DirectionResult {
  const r = st.delays;
  let delay: DelayStats | null = null;
  if (r.n > 0) {
    const d = new Float64Array(r.n);
    for (let i = 0; i < r.n; i++) d[i] = (ab ? r.x[i] - at(r.t[i]) : at(r.t[i]) - r.x[i]) / 1e9;
    d.sort();
    delay = { min: d[0], median: quantile(d, 0.5), p99: quantile(d, 0.99), max: d[d.length - 1], samples: r.seen };
  }
  return {
    from, to,
    sent: st.matched + st.lost + st.notCapturedDown + st.notCapturedUp,
    matched: st.matched,
    lost: st.lost,
    injected: st.injected,
    modified: st.modified,
    reordered: st.reordered,
    notCapturedDownstream: st.notCapturedDown,
    notCapturedUpstream: st.notCapturedUp,
    missingAtBoth: { ranges: st.missingBoth, bytes: st.missingBothBytes },
    flowsLost: st.flowsLost,
    delay,
    hops: Number.isFinite(st.hopsMin) ? { min: st.hopsMin, max: st.hopsMax } : null,
    fields: [...st.fields].map(([field, v]) => ({ field, count: v.count, examples: v.examples })).sort((x, y) => y.count - x.count),
    stats: st,
  };
}

/** The coarser of the capture's clock resolutions, in ns (1 us for classic microsecond pcap). */
function resolutionNs(s: ReadSummary | null): number {
  if (!s) return 1000;
  let digits = 9;
  for (const i of s.info.interfaces) digits = Math.min(digits, i.tsDigits);
  return 10 ** (9 - digits);
}
