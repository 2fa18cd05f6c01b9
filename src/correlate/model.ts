// The compare model: everything a renderer (terminal, HTML) needs, as plain data, computed once.
// It holds the pcapdx.compare/1 document (verdict, clock, per-direction counts, findings) and two
// bounded views of individual packets:
//  - delay: per direction, one-way delay points (time, delay) for a scatter plot, sorted by time,
//    at most MAX_DELAY_POINTS each (an even thinning of the uniform sample the delay quantiles
//    come from), computed with the final clock fit;
//  - ladder: rows for a side-by-side view of the two captures (A's column, B's column), at most
//    MAX_ANOMALY_ROWS anomalies (lost, injected, modified, reordered, not captured, missing at
//    both) plus MAX_MATCHED_ROWS matched packets sampled uniformly, sorted by time.
// All times are seconds from the start of the judged window on A's clock; B's capture times are
// converted with the fitted clock (B = A + offset(t)), so both columns share one time axis.
// Documented in docs/compare.md ("The model for renderers").
import type { CompareResult } from './compare.js';
import { MAX_ANOMALY_ROWS, MAX_MATCHED_ROWS, MAX_ROWS_PER_KIND, type RawRow, type RowKind } from './ladder.js';
import { buildDoc, type CompareDoc, epoch } from './report.js';

export const MODEL_SCHEMA = 'pcapdx.compare-model/1';
/** Delay points per direction: enough for a dense scatter plot at any screen width. */
export const MAX_DELAY_POINTS = 2000;

export interface DelayPoint {
  /** seconds from the window start (A's clock) */
  t: number;
  /** one-way delay, seconds */
  delay: number;
}

export interface LadderRow {
  kind: RowKind;
  direction: 'A->B' | 'B->A';
  /** frame numbers (1-based), null on the side where the packet is absent; a missing-at-both row
   *  carries the first frames after the gap */
  a: number | null;
  b: number | null;
  /** seconds from the window start on A's clock, null where absent */
  tA: number | null;
  tB: number | null;
  /** numbers only (flags, seq, lengths, changed fields): safe, but a renderer still escapes */
  note: string;
}

export interface CompareModel {
  schema: typeof MODEL_SCHEMA;
  doc: CompareDoc;
  /** the judged window's start, the zero of every time in this model: seconds since the epoch
   *  as a decimal string (exact), or null when the captures share nothing */
  timeZero: string | null;
  delay: {
    'A->B': DelayPoint[];
    'B->A': DelayPoint[];
    /** matched packets the points were drawn from, per direction */
    sampledFrom: { 'A->B': number; 'B->A': number };
  };
  ladder: {
    rows: LadderRow[];
    /** anomalies found in all, and matched packets in all, of which `rows` shows a bounded part */
    anomalies: number;
    matched: number;
    maxAnomalyRows: number;
    /** anomaly rows kept per kind (the first ones of each kind) */
    maxRowsPerKind: number;
    maxMatchedRows: number;
  };
}

export function buildModel(r: CompareResult): CompareModel {
  const doc = buildDoc(r);
  const fit = r.clock;
  const zero = r.window ? r.window.start : Number.isFinite(r.a.first) ? r.a.first : 0;
  // B = A + offset(tA): offset at an A-time
  const at = (t: number): number => (fit ? fit.offset0 + fit.drift * (t - fit.t0) : 0);
  const sec = (ns: number): number => (ns - zero) / 1e9;
  // a B time (B's clock, A's base) on A's clock: one fixed-point step is exact to well below a
  // nanosecond for any real drift
  const bToA = (tb: number): number => tb - at(tb - at(tb));

  const delay = (k: 0 | 1): DelayPoint[] => {
    const res = r.directions[k].stats.delays;
    const pts: DelayPoint[] = [];
    if (!fit) return pts;
    const m = Math.min(res.n, MAX_DELAY_POINTS);
    for (let j = 0; j < m; j++) {
      const i = Math.floor((j * res.n) / m);
      const t = res.t[i];
      const x = res.x[i];
      pts.push({ t: sec(t), delay: (k === 0 ? x - at(t) : at(t) - x) / 1e9 });
    }
    return pts.sort((p, q) => p.t - q.t);
  };

  const row = (w: RawRow): LadderRow => ({
    kind: w.kind,
    direction: w.dir === 0 ? 'A->B' : 'B->A',
    a: w.a,
    b: w.b,
    tA: Number.isNaN(w.ta) ? null : sec(w.ta),
    tB: Number.isNaN(w.tb) ? null : sec(w.aligned ? w.tb : bToA(w.tb)),
    note: w.note,
  });
  const rows = [...r.ladder.anomalies, ...r.ladder.matched].map(row);
  const key = (x: LadderRow): number => x.tA ?? x.tB ?? 0;
  rows.sort((x, y) => key(x) - key(y) || (x.a ?? 0) - (y.a ?? 0) || (x.b ?? 0) - (y.b ?? 0));
  return {
    schema: MODEL_SCHEMA,
    doc,
    timeZero: r.overlap ? epoch(r.a.baseSec, zero) || null : null,
    delay: {
      'A->B': delay(0),
      'B->A': delay(1),
      sampledFrom: { 'A->B': r.directions[0].stats.delays.seen, 'B->A': r.directions[1].stats.delays.seen },
    },
    ladder: {
      rows,
      anomalies: r.ladder.anomaliesSeen,
      matched: r.ladder.matchedSeen,
      maxAnomalyRows: MAX_ANOMALY_ROWS,
      maxRowsPerKind: MAX_ROWS_PER_KIND,
      maxMatchedRows: MAX_MATCHED_ROWS,
    },
  };
}
