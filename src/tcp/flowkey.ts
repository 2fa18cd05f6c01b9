// Flow keys as numbers: a symmetric hash of (l3, both endpoints), so that both directions of a
// connection land in the same bucket without building a string per packet. The VLAN tag stack
// is part of the key but not of the hash (the tracker compares it per direction, as a capture
// point may see one direction tagged and the other not). A hit is always confirmed by comparing
// the full key (keyMatches).

import type { Conn } from './conn.js';

function mix(h: number): number {
  // murmur3 finaliser: spreads every input bit over the word
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function endpointHash(a: Uint32Array, port: number): number {
  // one multiply per word and a single finaliser (it was five: a measurable share per packet)
  return mix(Math.imul(a[0] ^ 0x9e3779b9, 0xcc9e2d51) ^ Math.imul(a[1], 0x1b873593) ^
    Math.imul(a[2], 0xe6546b64) ^ Math.imul(a[3], 0x85ebca6b) ^ Math.imul(port + 0x27d4eb2d, 0x165667b1));
}

/** Direction-independent hash of a connection key, as a small non-negative integer (a Map key
 *  that V8 keeps unboxed). */
export function flowHash(l3: number, src: Uint32Array, dst: Uint32Array, sport: number, dport: number): number {
  const hs = endpointHash(src, sport);
  const hd = endpointHash(dst, dport);
  // sum and xor are both symmetric; mixing in l3 keeps IPv4 and IPv6 apart
  return mix(((hs + hd) | 0) ^ Math.imul(hs ^ hd, 0x27d4eb2d) ^ l3) & 0x3fffffff;
}

/** 0 when the addresses and ports are the connection's originator -> responder direction, 1
 *  when they are the reverse, -1 when it is another connection (VLAN tags not compared). */
export function keyMatches(c: Conn, l3: number, src: Uint32Array, dst: Uint32Array, sport: number, dport: number): number {
  if (c.l3 !== l3) return -1;
  if (c.aPort === sport && c.bPort === dport &&
      c.a0 === src[0] && c.a1 === src[1] && c.a2 === src[2] && c.a3 === src[3] &&
      c.b0 === dst[0] && c.b1 === dst[1] && c.b2 === dst[2] && c.b3 === dst[3]) return 0;
  if (c.aPort === dport && c.bPort === sport &&
      c.a0 === dst[0] && c.a1 === dst[1] && c.a2 === dst[2] && c.a3 === dst[3] &&
      c.b0 === src[0] && c.b1 === src[1] && c.b2 === src[2] && c.b3 === src[3]) return 1;
  return -1;
}
