// decodeFrame: one captured frame -> the flat, reused Packet record. Link layer by link type,
// network layer by what the link layer found, transport by IP protocol, each through a table.
// Allocates nothing per frame, never throws on any input, and every loop advances.
import type { Frame } from '../capture/types.js';
import { decodeEthernet } from './ethernet.js';
import { decodeIcmp } from './icmp.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { fail } from './issue.js';
import { type LinkDecoder, NET_IPV4, NET_IPV6, newLinkResult } from './link.js';
import { LINKTYPE } from './linktypes.js';
import { decodeNflog } from './nflog.js';
import { decodeLoop, decodeNull } from './null.js';
import { L3_NONE, type Packet, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from './packet.js';
import { decodeRaw, decodeRawIpv4, decodeRawIpv6 } from './raw.js';
import { decodeSll } from './sll.js';
import { decodeSll2 } from './sll2.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';

/** Decodes the transport header at `off`: `capEnd` = end of the captured bytes of this IP
 *  packet, `ipPayload` = the transport's length according to IP. */
type TransportDecoder = (b: Uint8Array, off: number, capEnd: number, ipPayload: number, pkt: Packet) => void;

const LINK_DECODERS: ReadonlyArray<readonly [number, LinkDecoder]> = [
  [LINKTYPE.NULL, decodeNull],
  [LINKTYPE.ETHERNET, decodeEthernet],
  [LINKTYPE.RAW_HISTORIC_12, decodeRaw],
  [LINKTYPE.RAW_HISTORIC_14, decodeRaw],
  [LINKTYPE.RAW, decodeRaw],
  [LINKTYPE.LOOP, decodeLoop],
  [LINKTYPE.LINUX_SLL, decodeSll],
  [LINKTYPE.IPV4, decodeRawIpv4],
  [LINKTYPE.IPV6, decodeRawIpv6],
  [LINKTYPE.NFLOG, decodeNflog],
  [LINKTYPE.LINUX_SLL2, decodeSll2],
];

const TRANSPORT_DECODERS: ReadonlyArray<readonly [number, TransportDecoder]> = [
  [PROTO_TCP, decodeTcp],
  [PROTO_UDP, decodeUdp],
  [PROTO_ICMP, (b, off, capEnd, ipPayload, pkt) => decodeIcmp(b, off, capEnd, ipPayload, false, pkt)],
  [PROTO_ICMPV6, (b, off, capEnd, ipPayload, pkt) => decodeIcmp(b, off, capEnd, ipPayload, true, pkt)],
];

/** Link types are small numbers (0..~300); anything outside the table is unsupported. */
const linkTable: (LinkDecoder | undefined)[] = [];
for (const [t, d] of LINK_DECODERS) linkTable[t] = d;
const LINK_TABLE_SIZE = linkTable.length;

const IP_PROTOCOLS = 256;
const transportTable: (TransportDecoder | undefined)[] = new Array<TransportDecoder | undefined>(IP_PROTOCOLS).fill(undefined);
for (const [p, d] of TRANSPORT_DECODERS) transportTable[p] = d;

/** true when decodeFrame has a decoder for this link type */
export function isSupportedLinkType(linkType: number): boolean {
  return linkType >= 0 && linkType < LINK_TABLE_SIZE && linkTable[linkType] !== undefined;
}

const link = newLinkResult();

export function decodeFrame(frame: Frame, pkt: Packet): void {
  resetPacket(pkt);
  const lt = frame.linkType;
  pkt.linkType = lt;
  const dec = lt >= 0 && lt < LINK_TABLE_SIZE ? linkTable[lt] : undefined;
  if (dec === undefined) {
    fail(pkt, 'unsupported_link_type', 'unsupported', 0);
    return;
  }
  // Decode straight from the reader's buffer (frame.data would be a view made per frame); the
  // offsets stored in the Packet are made relative to the frame's first byte at the end.
  const b = frame.buf;
  const base = frame.start;
  const caplen = frame.caplen < b.length - base ? frame.caplen : b.length - base;
  const cap = base + caplen;
  const wire = base + (frame.origlen > caplen ? frame.origlen : caplen);
  decodeLayers(b, base, cap, wire, pkt, dec);
  if (base !== 0) rebase(pkt, base);
}

function decodeLayers(b: Uint8Array, base: number, cap: number, wire: number, pkt: Packet, dec: LinkDecoder): void {
  const r = link;
  dec(b, base, cap, wire, pkt, r);
  const next = r.next;
  let ok: boolean;
  if (next === NET_IPV4) ok = decodeIpv4(b, r.off, r.capEnd, r.wireEnd, pkt);
  else if (next === NET_IPV6) ok = decodeIpv6(b, r.off, r.capEnd, r.wireEnd, pkt);
  else {
    // no network layer (or a link-layer issue): the payload is whatever follows the link header
    if (r.off <= r.capEnd) setPayload(pkt, r.off, r.capEnd, r.wireEnd - r.off);
    return;
  }
  if (!ok) return;

  // the transport sees only this IP packet's bytes (Ethernet padding after it is not included)
  const l4 = pkt.l4Offset;
  const ipEnd = pkt.l3Offset + pkt.ipTotalLength;
  const capEnd = r.capEnd < ipEnd ? r.capEnd : ipEnd;
  const ipPayload = ipEnd - l4;
  const td = transportTable[pkt.proto];
  if (pkt.fragment === 2 || td === undefined) {
    // a later fragment or a transport we do not decode: the IP payload is the payload
    pkt.l4Offset = -1;
    setPayload(pkt, l4, capEnd, ipPayload);
    return;
  }
  td(b, l4, capEnd, ipPayload, pkt);
}

/** Offsets were computed in the reader's buffer; make them relative to the frame. Every offset
 *  a decoder sets is >= base; unset ones (-1, or 0 for payload and issue) stay as they are. */
function rebase(pkt: Packet, base: number): void {
  if (pkt.l3Offset >= base) pkt.l3Offset -= base;
  if (pkt.l4Offset >= base) pkt.l4Offset -= base;
  if (pkt.payloadOffset >= base) pkt.payloadOffset -= base;
  if (pkt.issue !== null && pkt.issueOffset >= base) pkt.issueOffset -= base;
}

function setPayload(pkt: Packet, off: number, capEnd: number, length: number): void {
  pkt.payloadOffset = off;
  pkt.payloadLength = length;
  const captured = capEnd - off;
  pkt.payloadCaptured = captured <= 0 ? 0 : captured < length ? captured : length;
}

/** Puts every field back to its "absent" value (same values as newPacket()). */
export function resetPacket(pkt: Packet): void {
  pkt.linkType = 0;
  pkt.vlanDepth = 0;
  pkt.vlanKey = 0;
  pkt.mplsDepth = 0;
  pkt.l3Offset = -1;
  pkt.l3 = L3_NONE;
  const src = pkt.src;
  const dst = pkt.dst;
  src[0] = 0; src[1] = 0; src[2] = 0; src[3] = 0;
  dst[0] = 0; dst[1] = 0; dst[2] = 0; dst[3] = 0;
  pkt.proto = -1;
  pkt.ttl = -1;
  pkt.ipId = -1;
  pkt.tos = 0;
  pkt.ipTotalLength = 0;
  pkt.ipHeaderLength = 0;
  pkt.dontFragment = false;
  pkt.fragment = 0;
  pkt.fragOffset = 0;
  pkt.flowLabel = 0;
  pkt.l4Offset = -1;
  pkt.srcPort = -1;
  pkt.dstPort = -1;
  pkt.tcpValid = false;
  pkt.seq = 0;
  pkt.ack = 0;
  pkt.tcpFlags = 0;
  pkt.tcpReserved = 0;
  pkt.window = 0;
  pkt.tcpHeaderLength = 0;
  pkt.urgentPtr = 0;
  pkt.mss = -1;
  pkt.wscale = -1;
  pkt.sackPermitted = false;
  pkt.hasTimestamp = false;
  pkt.tsVal = 0;
  pkt.tsEcr = 0;
  pkt.sackCount = 0;
  pkt.tcpOptionsTruncated = false;
  pkt.udpLength = -1;
  pkt.icmpType = -1;
  pkt.icmpCode = -1;
  pkt.icmpId = -1;
  pkt.icmpSeq = -1;
  const q = pkt.quoted;
  if (q.present || q.proto !== -1) resetQuoted(q);
  pkt.payloadOffset = 0;
  pkt.payloadLength = 0;
  pkt.payloadCaptured = 0;
  pkt.issue = null;
  pkt.issueKind = null;
  pkt.issueOffset = 0;
}

function resetQuoted(q: Packet['quoted']): void {
  q.present = false;
  q.l3 = L3_NONE;
  q.src.fill(0);
  q.dst.fill(0);
  q.proto = -1;
  q.ipLength = 0;
  q.hasPorts = false;
  q.srcPort = -1;
  q.dstPort = -1;
  q.hasSeq = false;
  q.seq = 0;
  q.hasAck = false;
  q.ack = 0;
  q.tcpFlags = 0;
}
