// TCP sequence-number arithmetic modulo 2^32 (RFC 793 section 3.3, RFC 1982 serial numbers).
// Every comparison of sequence or acknowledgement numbers in pcapdx goes through here so that
// wrap-around is handled in one place. Values are unsigned 32-bit integers held in JS numbers.

/** a - b as a signed 32-bit distance (positive when a is after b). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
/** (a + n) mod 2^32 */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
/** the later of two sequence numbers */
export function seqMax(a: number, b: number): number {
  return ((a - b) | 0) >= 0 ? a : b;
}
