// The clock model: B's clock = A's clock + offset(t), offset(t) = offset0 + drift * (t - t0).
//
// A matched packet gives X = tB - tA. For a packet that went A->B, X = offset + delay_ab; for one
// that went B->A, X = offset - delay_ba. Neither delay is observable alone, but their minima are
// properties of the path (propagation + serialisation), so per time bin:
//   min X over A->B packets = offset + min delay_ab
//   max X over B->A packets = offset - min delay_ba
// Assuming the minimum delays are equal in both directions, offset is the midpoint of the two and
// the minimum one-way delay is half their distance. Physics allows no better: any offset in
// [max X(B->A), min X(A->B)] is consistent with the data if delays may be asymmetric, so that
// half-width is reported as the asymmetry bound. Drift is the slope of a least-squares line through
// the per-bin midpoints (weighted by how many matches made each bin).
//
// Memory: at most MAX_BINS bins; when time runs past the last bin, neighbours merge and the bin
// width doubles, so a capture of any length keeps the same number.

/** Bins kept. 128 gives a drift fit with enough points and a bounded, tiny state. */
export const MAX_BINS = 128;
/** Initial bin width (ns): one second resolves drift on short captures. */
export const INITIAL_BIN_NS = 1e9;

class Bin {
  nAB = 0;
  nBA = 0;
  minAB = Infinity;
  tMinAB = 0;
  maxAB = -Infinity;
  tMaxAB = 0;
  maxBA = -Infinity;
  tMaxBA = 0;
  minBA = Infinity;
  tMinBA = 0;
  sumT = 0;

  merge(o: Bin): void {
    this.nAB += o.nAB;
    this.nBA += o.nBA;
    this.sumT += o.sumT;
    if (o.minAB < this.minAB) { this.minAB = o.minAB; this.tMinAB = o.tMinAB; }
    if (o.maxAB > this.maxAB) { this.maxAB = o.maxAB; this.tMaxAB = o.tMaxAB; }
    if (o.maxBA > this.maxBA) { this.maxBA = o.maxBA; this.tMaxBA = o.tMaxBA; }
    if (o.minBA < this.minBA) { this.minBA = o.minBA; this.tMinBA = o.tMinBA; }
  }
}

export interface ClockFit {
  /** offset (ns) at time t0 (ns, A's base), and drift as a fraction (1e-6 = 1 ppm) */
  offset0: number;
  t0: number;
  drift: number;
  /** statistical uncertainty of offset0 under the symmetric-minimum-delay assumption (ns) */
  uncertainty: number;
  /** half the distance between the direction clusters: the estimated minimum one-way delay, and
   *  how far the offset could be if the minimum delays were not symmetric (ns) */
  asymmetryBound: number;
  /** bins that had matches in both directions (the fit's points) */
  points: number;
  /** how the offset was found */
  method: 'two-way' | 'one-way' | 'coarse';
}

export class ClockModel {
  private bins: Bin[] = [];
  private width = INITIAL_BIN_NS;
  private origin: number | null = null;
  /** the running estimate used while streaming (ns), and whether it has come from matches in
   *  both directions yet (until then it is the coarse estimate) */
  current: number;
  calibrated = false;

  constructor(coarse: number) {
    this.current = coarse;
  }

  private bin(t: number): Bin {
    if (this.origin === null) this.origin = t;
    let i = Math.floor((t - this.origin) / this.width);
    if (i < 0) i = 0;
    while (i >= MAX_BINS) {
      const merged: Bin[] = [];
      for (let k = 0; k < this.bins.length; k += 2) {
        const a = this.bins[k] ?? new Bin();
        const b = this.bins[k + 1];
        if (b) a.merge(b);
        merged.push(a);
      }
      this.bins = merged;
      this.width *= 2;
      i = Math.floor((t - this.origin) / this.width);
    }
    while (this.bins.length <= i) this.bins.push(new Bin());
    return this.bins[i];
  }

  /** A matched packet: t = aligned time (ns, A's base), x = tB - tA, ab = it went A->B. */
  add(t: number, x: number, ab: boolean): void {
    const b = this.bin(t);
    b.sumT += t;
    if (ab) {
      b.nAB++;
      if (x < b.minAB) { b.minAB = x; b.tMinAB = t; }
      if (x > b.maxAB) { b.maxAB = x; b.tMaxAB = t; }
    } else {
      b.nBA++;
      if (x > b.maxBA) { b.maxBA = x; b.tMaxBA = t; }
      if (x < b.minBA) { b.minBA = x; b.tMinBA = t; }
    }
    if (b.nAB > 0 && b.nBA > 0) {
      this.current = (b.minAB + b.maxBA) / 2;
      this.calibrated = true;
    }
  }

  /** Fits the model at the end. `coarse` is used when no bin saw both directions. */
  fit(coarse: number, t0: number, resolutionNs: number): ClockFit {
    const pts: { t: number; o: number; w: number; half: number }[] = [];
    for (const b of this.bins) {
      if (b.nAB > 0 && b.nBA > 0) {
        pts.push({ t: (b.tMinAB + b.tMaxBA) / 2, o: (b.minAB + b.maxBA) / 2, w: Math.min(b.nAB, b.nBA), half: (b.minAB - b.maxBA) / 2 });
      }
    }
    if (pts.length === 0) {
      // one direction only: the offset includes that direction's delay; no separation possible
      let minAB = Infinity;
      let maxBA = -Infinity;
      for (const b of this.bins) {
        if (b.nAB) minAB = Math.min(minAB, b.minAB);
        if (b.nBA) maxBA = Math.max(maxBA, b.maxBA);
      }
      const o = Number.isFinite(minAB) ? minAB : Number.isFinite(maxBA) ? maxBA : coarse;
      return { offset0: o, t0, drift: 0, uncertainty: resolutionNs, asymmetryBound: NaN, points: 0, method: Number.isFinite(minAB) || Number.isFinite(maxBA) ? 'one-way' : 'coarse' };
    }
    let sw = 0;
    let st = 0;
    let so = 0;
    for (const p of pts) {
      sw += p.w;
      st += p.w * p.t;
      so += p.w * p.o;
    }
    const mt = st / sw;
    const mo = so / sw;
    let stt = 0;
    let sto = 0;
    for (const p of pts) {
      stt += p.w * (p.t - mt) * (p.t - mt);
      sto += p.w * (p.t - mt) * (p.o - mo);
    }
    // drift needs at least three points spread over time; otherwise assume none
    const drift = pts.length >= 3 && stt > 0 ? sto / stt : 0;
    let rss = 0;
    for (const p of pts) {
      const r = p.o - (mo + drift * (p.t - mt));
      rss += p.w * r * r;
    }
    const sigma = pts.length > 2 ? Math.sqrt(rss / sw) : 0;
    const halves = pts.map((p) => p.half).sort((a, b) => a - b);
    const offset0 = mo + drift * (t0 - mt);
    const spreadT = pts.length > 1 ? Math.abs(t0 - mt) : 0;
    const stderr = pts.length > 2 ? sigma * Math.sqrt(1 / pts.length + (stt > 0 ? (spreadT * spreadT * sw) / (stt * pts.length) : 0)) : sigma;
    return {
      offset0, t0, drift,
      uncertainty: Math.max(stderr, resolutionNs),
      asymmetryBound: Math.max(0, halves[halves.length >> 1]),
      points: pts.length, method: 'two-way',
    };
  }

  /** For the delay extremes: per direction, the sample with the largest delay under `at`. */
  extremes(at: (t: number) => number): { maxAB: number; maxBA: number; minAB: number; minBA: number } {
    let maxAB = -Infinity;
    let maxBA = -Infinity;
    let minAB = Infinity;
    let minBA = Infinity;
    for (const b of this.bins) {
      if (b.nAB) {
        maxAB = Math.max(maxAB, b.maxAB - at(b.tMaxAB));
        minAB = Math.min(minAB, b.minAB - at(b.tMinAB));
      }
      if (b.nBA) {
        maxBA = Math.max(maxBA, at(b.tMinBA) - b.minBA);
        minBA = Math.min(minBA, at(b.tMaxBA) - b.maxBA);
      }
    }
    return { maxAB, maxBA, minAB, minBA };
  }
}
