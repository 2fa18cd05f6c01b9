// BSD loopback encapsulations: NULL (0) carries the address family in the capturing host's byte
// order, LOOP (108) in network byte order. Families: 2 = AF_INET everywhere; AF_INET6 differs per
// OS (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS), so all three are accepted.
import { fail } from './issue.js';
import { type LinkResult, NET_FAIL, NET_IPV4, NET_IPV6, NET_NONE, linkOut } from './link.js';
import type { Packet } from './packet.js';

export const NULL_HEADER_LEN = 4;
const AF_INET = 2;
const AF_INET6_BSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

function netFromFamily(family: number): number {
  if (family === AF_INET) return NET_IPV4;
  if (family === AF_INET6_BSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN) return NET_IPV6;
  return NET_NONE;
}

export function decodeNull(b: Uint8Array, base: number, cap: number, wire: number, pkt: Packet, r: LinkResult): void {
  if (cap - base < NULL_HEADER_LEN) {
    fail(pkt, 'link_truncated', 'truncated', base);
    linkOut(r, NET_FAIL, base, cap, wire);
    return;
  }
  // families are small numbers: whichever byte order leaves the upper half zero is the host's
  const le = b[base] | (b[base + 1] << 8) | (b[base + 2] << 16) | (b[base + 3] << 24);
  const family = (le & 0xffff0000) === 0 ? le : ((b[base] << 24) | (b[base + 1] << 16) | (b[base + 2] << 8) | b[base + 3]) >>> 0;
  linkOut(r, netFromFamily(family), base + NULL_HEADER_LEN, cap, wire);
}

export function decodeLoop(b: Uint8Array, base: number, cap: number, wire: number, pkt: Packet, r: LinkResult): void {
  if (cap - base < NULL_HEADER_LEN) {
    fail(pkt, 'link_truncated', 'truncated', base);
    linkOut(r, NET_FAIL, base, cap, wire);
    return;
  }
  const family = ((b[base] << 24) | (b[base + 1] << 16) | (b[base + 2] << 8) | b[base + 3]) >>> 0;
  linkOut(r, netFromFamily(family), base + NULL_HEADER_LEN, cap, wire);
}
