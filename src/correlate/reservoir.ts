// A uniform sample of at most `cap` (t, x) pairs (Vitter's algorithm R), for delay quantiles
// computed at the end with the final clock model. Memory is fixed whatever the capture length;
// with 32,768 samples the median and p99 are within a fraction of a percentile of the truth.
import { Rng } from './rng.js';

export const RESERVOIR_SIZE = 32768;

export class Reservoir {
  readonly t: Float64Array;
  readonly x: Float64Array;
  n = 0;
  seen = 0;
  private readonly rng = new Rng(0x5eed);
  constructor(readonly cap = RESERVOIR_SIZE) {
    this.t = new Float64Array(cap);
    this.x = new Float64Array(cap);
  }
  add(t: number, x: number): void {
    this.seen++;
    if (this.n < this.cap) {
      this.t[this.n] = t;
      this.x[this.n] = x;
      this.n++;
      return;
    }
    const j = Math.floor(this.rng.next() * this.seen);
    if (j < this.cap) {
      this.t[j] = t;
      this.x[j] = x;
    }
  }
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
