// Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113): 16-byte pseudo header ending in a protocol
// field that holds an ethertype for ordinary devices.
import { decodeEthertype } from './ethernet.js';
import { fail } from './issue.js';
import { type LinkResult, NET_FAIL, NET_NONE, linkOut } from './link.js';
import type { Packet } from './packet.js';

export const SLL_HEADER_LEN = 16;
const SLL_HATYPE = 2;
const SLL_PROTOCOL = 14;
/** ARPHRD_NETLINK: the protocol field is a netlink family, not an ethertype */
const ARPHRD_NETLINK = 824;

export function decodeSll(b: Uint8Array, base: number, cap: number, wire: number, pkt: Packet, r: LinkResult): void {
  if (cap - base < SLL_HEADER_LEN) {
    fail(pkt, 'sll_truncated', 'truncated', base);
    linkOut(r, NET_FAIL, base, cap, wire);
    return;
  }
  const hatype = (b[base + SLL_HATYPE] << 8) | b[base + SLL_HATYPE + 1];
  if (hatype === ARPHRD_NETLINK) {
    linkOut(r, NET_NONE, base + SLL_HEADER_LEN, cap, wire);
    return;
  }
  const proto = (b[base + SLL_PROTOCOL] << 8) | b[base + SLL_PROTOCOL + 1];
  decodeEthertype(b, base + SLL_HEADER_LEN, cap, wire, proto, pkt, r);
}
