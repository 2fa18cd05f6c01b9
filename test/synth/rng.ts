// Seeded pseudo-random numbers for fixtures and property tests: deterministic from a seed, fast
// enough for per-packet decisions in bulk generation. Not for anything that needs real
// randomness. The generator itself (mulberry32) is the one pcapdx samples with
// (src/correlate/rng.ts); this adds what tests want on top of it.

import { Rng as Mulberry32 } from '../../src/correlate/rng.js';

export class Rng extends Mulberry32 {
  /** uniform 32-bit unsigned integer (exact: next() is a multiple of 2^-32) */
  u32(): number {
    return this.next() * 4294967296;
  }
  /** uniform integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** true with probability p */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
}

/** A seeded source of uniform numbers in [0, 1), for property tests that take a plain function. */
export function uniform(seed: number): () => number {
  const r = new Mulberry32(seed);
  return () => r.next();
}
