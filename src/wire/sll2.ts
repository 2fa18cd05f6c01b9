// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276): 20-byte pseudo header, protocol first.
import { decodeEthertype } from './ethernet.js';
import { fail } from './issue.js';
import { type LinkResult, NET_FAIL, NET_NONE, linkOut } from './link.js';
import type { Packet } from './packet.js';

export const SLL2_HEADER_LEN = 20;
const SLL2_PROTOCOL = 0;
const SLL2_HATYPE = 8;
const ARPHRD_NETLINK = 824;

export function decodeSll2(b: Uint8Array, base: number, cap: number, wire: number, pkt: Packet, r: LinkResult): void {
  if (cap - base < SLL2_HEADER_LEN) {
    fail(pkt, 'sll_truncated', 'truncated', base);
    linkOut(r, NET_FAIL, base, cap, wire);
    return;
  }
  const hatype = (b[base + SLL2_HATYPE] << 8) | b[base + SLL2_HATYPE + 1];
  if (hatype === ARPHRD_NETLINK) {
    linkOut(r, NET_NONE, base + SLL2_HEADER_LEN, cap, wire);
    return;
  }
  const proto = (b[base + SLL2_PROTOCOL] << 8) | b[base + SLL2_PROTOCOL + 1];
  decodeEthertype(b, base + SLL2_HEADER_LEN, cap, wire, proto, pkt, r);
}
