// Linux NFLOG (LINKTYPE_NFLOG, 239): a 4-byte header (address family, version, resource id)
// then netlink attributes (TLVs). Each TLV is length (includes its 4-byte header) and type, both
// in the capturing host's byte order, padded to 4 bytes. The IP packet is TLV NFULA_PAYLOAD (9).
import { fail } from './issue.js';
import { type LinkResult, NET_FAIL, NET_IPV4, NET_IPV6, NET_NONE, linkOut, netFromNibble } from './link.js';
import type { Packet } from './packet.js';

export const NFLOG_HEADER_LEN = 4;
const TLV_HEADER_LEN = 4;
const NFULA_PAYLOAD = 9;
/** netlink attribute type flags (nested, network byte order) above the 14-bit type */
const NLA_TYPE_MASK = 0x3fff;
const AF_INET = 2;
const AF_INET6 = 10;

export function decodeNflog(b: Uint8Array, base: number, cap: number, wire: number, pkt: Packet, r: LinkResult): void {
  if (cap - base < NFLOG_HEADER_LEN) {
    fail(pkt, 'nflog_truncated', 'truncated', base);
    linkOut(r, NET_FAIL, base, cap, wire);
    return;
  }
  const family = b[base];
  let off = base + NFLOG_HEADER_LEN;
  // Byte order: little-endian unless the first TLV only makes sense big-endian.
  let bigEndian = false;
  if (off + TLV_HEADER_LEN <= cap) {
    const le = b[off] | (b[off + 1] << 8);
    const be = (b[off] << 8) | b[off + 1];
    bigEndian = (le < TLV_HEADER_LEN || off + le > wire) && be >= TLV_HEADER_LEN && off + be <= wire;
  }
  // each TLV advances by at least its 4-byte header, so the loop ends
  while (off < cap) {
    if (off + TLV_HEADER_LEN > cap) {
      fail(pkt, 'nflog_truncated', 'truncated', off);
      linkOut(r, NET_FAIL, off, cap, wire);
      return;
    }
    const len = bigEndian ? (b[off] << 8) | b[off + 1] : b[off] | (b[off + 1] << 8);
    const type = (bigEndian ? (b[off + 2] << 8) | b[off + 3] : b[off + 2] | (b[off + 3] << 8)) & NLA_TYPE_MASK;
    if (len < TLV_HEADER_LEN || off + len > wire) {
      fail(pkt, 'nflog_malformed', 'malformed', off);
      linkOut(r, NET_FAIL, off, cap, wire);
      return;
    }
    if (type === NFULA_PAYLOAD) {
      const start = off + TLV_HEADER_LEN;
      const end = off + len;
      const capEnd = end < cap ? end : cap;
      const next = family === AF_INET ? NET_IPV4 : family === AF_INET6 ? NET_IPV6 : netFromNibble(b, start, capEnd);
      linkOut(r, next, start, capEnd, end);
      return;
    }
    off += (len + 3) & ~3;
  }
  if (off < wire) {
    // the capture ended before the attribute list did: the payload may be in the missing part
    fail(pkt, 'nflog_truncated', 'truncated', cap);
    linkOut(r, NET_FAIL, cap, cap, wire);
    return;
  }
  linkOut(r, NET_NONE, off, cap, wire);
}
