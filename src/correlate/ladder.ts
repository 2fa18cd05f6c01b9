// Rows for a side-by-side view of the two captures (a ladder diagram: A's column, B's column, a
// line per packet between them), collected while matching and bounded: the first
// MAX_ROWS_PER_KIND anomalies of each kind (so that losses, which are only judged once the
// matching window has passed, are not crowded out by changes and reordering found earlier), at
// most MAX_ANOMALY_ROWS in all, and a uniform sample of MAX_MATCHED_ROWS matched packets
// (algorithm R) for context. Times are raw, in ns: an A frame's capture time from A's base, a B
// frame's capture time shifted into A's base but still on B's clock (model.ts converts them with
// the final clock fit, so a renderer computes nothing). A row of data missing at both points has
// no frame of its own: it carries the frames right after the gap, and aligned times.
import { Rng } from './rng.js';

/** Anomaly rows of one kind (lost, injected, modified, ...) kept for the side-by-side view. */
export const MAX_ROWS_PER_KIND = 150;
/** All anomaly rows: every kind at its own cap (7 kinds) stays under this. */
export const MAX_ANOMALY_ROWS = 7 * MAX_ROWS_PER_KIND;
export const MAX_MATCHED_ROWS = 500;

export type RowKind =
  | 'matched'
  | 'modified'
  | 'reordered'
  | 'lost'
  | 'injected'
  | 'not-captured-downstream'
  | 'not-captured-upstream'
  | 'missing-at-both';

export interface RawRow {
  kind: RowKind;
  /** 0 = A->B, 1 = B->A */
  dir: number;
  a: number | null;
  b: number | null;
  /** raw times (see above), NaN where the frame is absent */
  ta: number;
  tb: number;
  /** true when ta and tb are both aligned times on A's clock already (missing-at-both rows) */
  aligned: boolean;
  note: string;
}

export class Ladder {
  readonly anomalies: RawRow[] = [];
  anomaliesSeen = 0;
  readonly matched: RawRow[] = [];
  matchedSeen = 0;
  private readonly rng = new Rng(0x1add3);
  private readonly perKind = new Map<RowKind, number>();

  anomaly(row: RawRow): void {
    this.anomaliesSeen++;
    const n = this.perKind.get(row.kind) ?? 0;
    if (n >= MAX_ROWS_PER_KIND || this.anomalies.length >= MAX_ANOMALY_ROWS) return;
    this.perKind.set(row.kind, n + 1);
    this.anomalies.push(row);
  }

  /** A matched packet offered for the sample: the index its row goes to, or -1 when it is not
   *  kept (so the hot path builds no row for the packets not sampled). */
  matchedSlot(): number {
    this.matchedSeen++;
    if (this.matched.length < MAX_MATCHED_ROWS) return this.matched.length;
    const j = Math.floor(this.rng.next() * this.matchedSeen);
    return j < MAX_MATCHED_ROWS ? j : -1;
  }
}
