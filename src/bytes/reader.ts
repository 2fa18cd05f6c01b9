// Bounds-checked big-endian / little-endian getters over a Uint8Array view. Header views check
// their length once when created and then read with these without further checks.

export function u8(b: Uint8Array, o: number): number {
  return b[o];
}
export function u16be(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
export function u16le(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
export function u32be(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
export function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
/** true when [o, o+n) lies inside b */
export function has(b: Uint8Array, o: number, n: number): boolean {
  return o >= 0 && n >= 0 && o + n <= b.length;
}
