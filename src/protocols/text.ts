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
