// Payload fingerprints: 32-bit hashes of captured payload bytes, computed once per packet while
// the frame is valid, so nothing outlives the frame but two numbers.
//
// Two hashes per packet: a prefix hash over the first PREFIX_BYTES (how flows are discovered
// across captures whose snaplen differs: a 128-byte snaplen on one side and a full capture on the
// other still agree on the first bytes), and a hash over every captured byte (how payload changes
// in flight are seen, compared only when both sides captured the same number of bytes).

/** Bytes covered by the prefix hash. 64 leaves room for Ethernet + IPv4 + TCP with options inside
 *  a 128- or 160-byte snaplen and is long enough to tell application headers apart. */
export const PREFIX_BYTES = 64;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a-style hash of b[off, off+n), 4 bytes per step (mixing each 32-bit word). */
export function hashBytes(b: Uint8Array, off: number, n: number, seed = FNV_OFFSET): number {
  let h = seed ^ n;
  const end = off + n;
  const words = end - ((end - off) & 3);
  let i = off;
  for (; i < words; i += 4) {
    const w = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    h = Math.imul(h ^ w, FNV_PRIME);
    h ^= h >>> 13;
  }
  for (; i < end; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Mixes numbers into a 32-bit hash (for table keys; equal inputs give equal outputs, and
 *  distinct inputs may collide, so tables compare the fields too). */
export function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v | 0), 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}
