// Addresses as text exactly as tshark 4.0 prints them, and a numeric hash for flow keys.
// IPv6 follows RFC 5952 (lower-case hex, the longest run of two or more zero groups becomes
// "::", the leftmost on a tie) with glibc inet_ntop's embedded-IPv4 forms, which tshark uses:
// ::a.b.c.d when the first six groups are zero (IPv4-compatible) and ::ffff:a.b.c.d (mapped).
import { L3_IPV4, L3_IPV6 } from './packet.js';

export function formatIpv4(w: number): string {
  return `${(w >>> 24) & 0xff}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
}

export function formatIpv6(words: Uint32Array | readonly number[]): string {
  const g = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    g[i * 2] = (words[i] >>> 16) & 0xffff;
    g[i * 2 + 1] = words[i] & 0xffff;
  }
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  if (bestBase === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
    const v4 = formatIpv4(((g[6] << 16) | g[7]) >>> 0);
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestBase) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += g[i].toString(16);
  }
  return s;
}

/** An address from the Packet's 4-word form: IPv4 in word 0, IPv6 in all four. '' when l3 is
 *  neither. */
export function formatAddr(l3: number, words: Uint32Array | readonly number[]): string {
  if (l3 === L3_IPV4) return formatIpv4(words[0] >>> 0);
  if (l3 === L3_IPV6) return formatIpv6(words);
  return '';
}

/** A 32-bit hash of an address (FNV-1a over the four words, with the family mixed in), for
 *  hashing flow keys without building strings. Equal addresses hash equally; distinct ones
 *  may collide, so compare the words too. */
export function hashAddr(l3: number, words: Uint32Array): number {
  let h = 0x811c9dc5 ^ l3;
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ words[i], 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/** "10.0.0.1:445", "[2001:db8::1]:445": an address and port as text, IPv6 in brackets (RFC 3986
 *  3.2.2) so the port cannot be read as the address's last group. */
export function formatEndpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
