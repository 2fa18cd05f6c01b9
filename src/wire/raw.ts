// Raw IP link types: no link header at all. 101 (and the historical 12 and 14) hold IPv4 or IPv6
// told apart by the version nibble; 228 is IPv4 only and 229 IPv6 only.
import { fail } from './issue.js';
import { type LinkResult, NET_FAIL, NET_IPV4, NET_IPV6, linkOut } from './link.js';
import type { Packet } from './packet.js';

export function decodeRaw(b: Uint8Array, base: number, cap: number, wire: number, pkt: Packet, r: LinkResult): void {
  if (cap <= base) {
    fail(pkt, 'link_truncated', 'truncated', base);
    linkOut(r, NET_FAIL, base, cap, wire);
    return;
  }
  // anything that is not version 6 goes to IPv4, whose version check reports the bad nibble
  linkOut(r, b[base] >> 4 === 6 ? NET_IPV6 : NET_IPV4, base, cap, wire);
}

export function decodeRawIpv4(_b: Uint8Array, base: number, cap: number, wire: number, _pkt: Packet, r: LinkResult): void {
  linkOut(r, NET_IPV4, base, cap, wire);
}

export function decodeRawIpv6(_b: Uint8Array, base: number, cap: number, wire: number, _pkt: Packet, r: LinkResult): void {
  linkOut(r, NET_IPV6, base, cap, wire);
}
