// Short fingerprint of a file handle for display and correlation (FNV-1a 32-bit over its bytes).
import { hex32Cached } from '../text.js';

export function fhFingerprint(b: Uint8Array, off: number, len: number): string {
  let h = 0x811c9dc5;
  const end = Math.min(b.length, off + len);
  for (let i = off; i < end; i++) {
    h ^= b[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return hex32Cached(h);
}
