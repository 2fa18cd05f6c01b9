// Ethernet II / 802.3 framing, VLAN tag stacks (802.1Q, 802.1ad, 0x9100) and MPLS label stacks.
// The ethertype chain is shared with the Linux cooked headers, which end in an ethertype too.
import { fail } from './issue.js';
import { type LinkResult, NET_FAIL, NET_IPV4, NET_IPV6, NET_NONE, linkOut, netFromNibble } from './link.js';
import { MAX_VLAN_DEPTH, type Packet } from './packet.js';

export const ETH_HEADER_LEN = 14;
const ETH_TYPE = 12;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100; // 802.1Q
export const ETHERTYPE_QINQ = 0x88a8; // 802.1ad
export const ETHERTYPE_QINQ_OLD = 0x9100; // pre-standard Q-in-Q
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MC = 0x8848;
/** type/length values below this are an 802.3 length, not an ethertype */
const ETH_MIN_ETHERTYPE = 0x0600;

const VLAN_TAG_LEN = 4;
const MPLS_LABEL_LEN = 4;
const LLC_SNAP_LEN = 8; // DSAP, SSAP, control, OUI(3), ethertype(2)
const LLC_SAP_SNAP = 0xaa;
const LLC_CTRL_UI = 0x03;

/** vlanKey is an exact base-4097 number of (id + 1) digits for up to 4 tags (< 2^53); deeper
 *  stacks fold into it modulo this prime, still deterministic. */
const VLAN_KEY_MODULUS = 9007199254740881;

export function decodeEthernet(b: Uint8Array, base: number, cap: number, wire: number, pkt: Packet, r: LinkResult): void {
  if (cap - base < ETH_HEADER_LEN) {
    fail(pkt, 'link_truncated', 'truncated', base);
    linkOut(r, NET_FAIL, base, cap, wire);
    return;
  }
  const type = (b[base + ETH_TYPE] << 8) | b[base + ETH_TYPE + 1];
  if (type < ETH_MIN_ETHERTYPE) {
    decodeLlc(b, base + ETH_HEADER_LEN, cap, wire, pkt, r);
    return;
  }
  decodeEthertype(b, base + ETH_HEADER_LEN, cap, wire, type, pkt, r);
}

/** 802.3 + LLC: only SNAP with a zero OUI carries an ethertype; anything else has no L3 here. */
function decodeLlc(b: Uint8Array, off: number, cap: number, wire: number, pkt: Packet, r: LinkResult): void {
  if (off + LLC_SNAP_LEN <= cap && b[off] === LLC_SAP_SNAP && b[off + 1] === LLC_SAP_SNAP &&
      b[off + 2] === LLC_CTRL_UI && b[off + 3] === 0 && b[off + 4] === 0 && b[off + 5] === 0) {
    const type = (b[off + 6] << 8) | b[off + 7];
    decodeEthertype(b, off + LLC_SNAP_LEN, cap, wire, type, pkt, r);
    return;
  }
  linkOut(r, NET_NONE, off, cap, wire);
}

/** Follows an ethertype at `off` through VLAN tags and MPLS labels to IPv4/IPv6. */
export function decodeEthertype(
  b: Uint8Array, off: number, cap: number, wire: number, type: number, pkt: Packet, r: LinkResult,
): void {
  // every iteration consumes a 4-byte tag, so the loop ends at the end of the capture
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (off + VLAN_TAG_LEN > cap) {
      fail(pkt, 'vlan_truncated', 'truncated', off);
      linkOut(r, NET_FAIL, off, cap, wire);
      return;
    }
    const id = ((b[off] << 8) | b[off + 1]) & 0x0fff;
    const depth = pkt.vlanDepth;
    if (depth < MAX_VLAN_DEPTH) pkt.vlans[depth] = id;
    else if (depth === MAX_VLAN_DEPTH) fail(pkt, 'vlan_too_deep', 'unsupported', off);
    pkt.vlanDepth = depth + 1;
    const key = pkt.vlanKey * 4097 + id + 1;
    pkt.vlanKey = key < VLAN_KEY_MODULUS ? key : key % VLAN_KEY_MODULUS;
    type = (b[off + 2] << 8) | b[off + 3];
    off += VLAN_TAG_LEN;
  }
  if (type === ETHERTYPE_IPV4) linkOut(r, NET_IPV4, off, cap, wire);
  else if (type === ETHERTYPE_IPV6) linkOut(r, NET_IPV6, off, cap, wire);
  else if (type === ETHERTYPE_MPLS || type === ETHERTYPE_MPLS_MC) decodeMpls(b, off, cap, wire, pkt, r);
  else if (type < ETH_MIN_ETHERTYPE && pkt.vlanDepth > 0) decodeLlc(b, off, cap, wire, pkt, r);
  else linkOut(r, NET_NONE, off, cap, wire);
}

/** MPLS: labels until the bottom-of-stack bit, then IPv4/IPv6 by the first nibble (as Wireshark
 *  guesses; a pseudowire control word starts with nibble 0 and is left undecoded). */
function decodeMpls(b: Uint8Array, off: number, cap: number, wire: number, pkt: Packet, r: LinkResult): void {
  for (;;) {
    if (off + MPLS_LABEL_LEN > cap) {
      fail(pkt, 'mpls_truncated', 'truncated', off);
      linkOut(r, NET_FAIL, off, cap, wire);
      return;
    }
    pkt.mplsDepth++;
    const bottom = (b[off + 2] & 0x01) !== 0;
    off += MPLS_LABEL_LEN;
    if (bottom) break;
  }
  linkOut(r, netFromNibble(b, off, cap), off, cap, wire);
}
