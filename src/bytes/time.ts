// Capture time. A timestamp is an exact pair (seconds, nanoseconds) of integers; absolute times
// that outlive a frame are bigint nanoseconds since the Unix epoch. No float seconds anywhere a
// value is stored: floats appear only when a duration is printed or put into JSON as seconds.

export const NS_PER_S = 1_000_000_000n;

export function toNs(sec: number, nsec: number): bigint {
  return BigInt(sec) * NS_PER_S + BigInt(nsec);
}

/** Formats epoch nanoseconds as "seconds.fraction" with `digits` fraction digits (0..9), truncating. */
export function formatEpoch(ns: bigint, digits: number): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  const sec = a / NS_PER_S;
  const frac = a % NS_PER_S;
  const s = (neg ? '-' : '') + sec.toString();
  if (digits <= 0) return s;
  return s + '.' + frac.toString().padStart(9, '0').slice(0, digits);
}

/** Formats a pair (sec, nsec) as epoch seconds with `digits` fraction digits. */
export function formatEpochPair(sec: number, nsec: number, digits: number): string {
  if (digits <= 0) return String(sec);
  return sec + '.' + String(nsec).padStart(9, '0').slice(0, digits);
}

/** ISO-8601 UTC rendering with `digits` fraction digits (dates past 2038 and 2106 included). */
export function formatIso(ns: bigint, digits: number): string {
  const ms = ns / 1_000_000n;
  const d = new Date(Number(ms));
  const base = d.toISOString().slice(0, 19);
  const frac = ((ns % NS_PER_S) + NS_PER_S) % NS_PER_S;
  return digits > 0 ? `${base}.${frac.toString().padStart(9, '0').slice(0, digits)}Z` : `${base}Z`;
}

/** A duration in nanoseconds as seconds, for printing and JSON only. */
export function nsToSeconds(ns: bigint | number): number {
  return Number(ns) / 1e9;
}

/**
 * Exact unsigned 64-bit (hi:lo) divided by a divisor below 2^32, without bigint: long division
 * in 16-bit limbs keeps every intermediate below 2^48, so doubles stay exact. Used on the hot
 * read path for pcapng timestamps. Returns [quotient, remainder]; the quotient is exact while
 * it is below 2^53 (every timestamp a capture can carry at 1 ns resolution up to year 2255).
 */
export function divmod64(hi: number, lo: number, divisor: number): [number, number] {
  const limbs = [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff];
  let rem = 0;
  let q = 0;
  for (let i = 0; i < 4; i++) {
    const cur = rem * 65536 + limbs[i];
    const d = Math.floor(cur / divisor);
    rem = cur - d * divisor;
    q = q * 65536 + d;
  }
  return [q, rem];
}
