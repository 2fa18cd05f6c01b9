// Strings from captures are untrusted: bounded length, control characters replaced.

/** Longest string kept from a capture (file names, paths, netids). */
export const MAX_TEXT_CHARS = 512;

function clean(code: number): string {
  return code < 0x20 || code === 0x7f ? '?' : String.fromCharCode(code);
}

export function utf16le(b: Uint8Array, off: number, byteLen: number): string {
  const end = Math.min(b.length, off + byteLen, off + MAX_TEXT_CHARS * 2);
  let s = '';
  for (let o = off; o + 1 < end; o += 2) s += clean(b[o] | (b[o + 1] << 8));
  return s;
}

export function ascii(b: Uint8Array, off: number, len: number): string {
  const end = Math.min(b.length, off + len, off + MAX_TEXT_CHARS);
  let s = '';
  for (let o = off; o < end; o++) s += b[o] < 0x80 ? clean(b[o]) : '?';
  return s;
}

/** two lowercase hex digits per byte value: a table lookup instead of toString(16) per byte */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex(b: Uint8Array, off: number, len: number): string {
  const end = Math.min(b.length, off + len);
  let s = '';
  for (let o = Math.max(0, off); o < end; o++) s += HEX_BYTE[b[o]];
  return s;
}

/** 32-bit value as 8 lowercase hex digits */
export function hex32(v: number): string {
  return HEX_BYTE[(v >>> 24) & 0xff] + HEX_BYTE[(v >>> 16) & 0xff] + HEX_BYTE[(v >>> 8) & 0xff] + HEX_BYTE[v & 0xff];
}

// Identifier strings made once per distinct value. A busy capture names the same few file handles
// and FileIds in most of its exchanges, and a consumer that keeps the exchanges keeps every
// string: a 32-digit hex string built by concatenation is a tree of about ten string objects, so
// kept SMB2 exchanges cost the collector more for their FileId than for anything else. Each
// cache is direct-mapped (a slot per hash value, the newest value wins): bounded, no eviction
// bookkeeping, and a miss costs what building the string cost before.

/** Slots of each identifier cache (a few thousand open files or handles in flight). */
const ID_CACHE_SLOTS = 4096;

const id16Words = new Int32Array(4 * ID_CACHE_SLOTS);
const id16Text: (string | undefined)[] = new Array<string | undefined>(ID_CACHE_SLOTS).fill(undefined);

/** hex(b, off, 16), the same string object for the same 16 bytes while its slot holds them. */
export function hex16(b: Uint8Array, off: number): string {
  if (off < 0 || off + 16 > b.length) return hex(b, off, 16);
  const w0 = word(b, off);
  const w1 = word(b, off + 4);
  const w2 = word(b, off + 8);
  const w3 = word(b, off + 12);
  let h = Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(w2 ^ Math.imul(w3, 0xc2b2ae35), 0x27d4eb2f);
  h ^= h >>> 15;
  const slot = h & (ID_CACHE_SLOTS - 1);
  const k = 4 * slot;
  const cached = id16Text[slot];
  if (cached !== undefined && id16Words[k] === w0 && id16Words[k + 1] === w1 && id16Words[k + 2] === w2 && id16Words[k + 3] === w3) return cached;
  const s = hex(b, off, 16);
  id16Words[k] = w0;
  id16Words[k + 1] = w1;
  id16Words[k + 2] = w2;
  id16Words[k + 3] = w3;
  id16Text[slot] = s;
  return s;
}

function word(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
}

const id32Value = new Float64Array(ID_CACHE_SLOTS).fill(-1);
const id32Text: string[] = new Array<string>(ID_CACHE_SLOTS).fill('');

/** hex32(v) for v in [0, 2^32), the same string object for the same value while its slot holds it. */
export function hex32Cached(v: number): string {
  const slot = (v ^ (v >>> 12) ^ (v >>> 24)) & (ID_CACHE_SLOTS - 1);
  if (id32Value[slot] === v) return id32Text[slot];
  const s = hex32(v);
  id32Value[slot] = v;
  id32Text[slot] = s;
  return s;
}
