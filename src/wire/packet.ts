// The decoded frame: one flat, reused record filled by decodeFrame() (wire/decode.ts). Numbers
// only, no per-packet allocation: addresses are 32-bit words (IPv4 uses word 0, IPv6 all four),
// offsets point into the frame's bytes. Like the Frame it came from, a Packet is valid for one
// frame; stages that keep anything copy the numbers they need.

/** Stable codes for what could not be decoded. `truncated` = cut by the capture (snaplen);
 *  `malformed` = the bytes contradict themselves. */
export type WireIssueCode =
  | 'unsupported_link_type'
  | 'link_truncated'
  | 'vlan_truncated'
  | 'vlan_too_deep'
  | 'mpls_truncated'
  | 'sll_truncated'
  | 'nflog_truncated'
  | 'nflog_malformed'
  | 'ipv4_truncated'
  | 'ipv4_bad_version'
  | 'ipv4_bad_header_length'
  | 'ipv4_bad_total_length'
  | 'ipv4_options_malformed'
  | 'ipv6_truncated'
  | 'ipv6_bad_version'
  | 'ipv6_bad_payload_length'
  | 'ipv6_ext_truncated'
  | 'ipv6_ext_malformed'
  | 'tcp_truncated'
  | 'tcp_bad_data_offset'
  | 'tcp_options_malformed'
  | 'tcp_options_truncated'
  | 'udp_truncated'
  | 'udp_bad_length'
  | 'icmp_truncated'
  | 'icmp_quote_truncated'
  | 'icmp_quote_malformed';

export type IssueKind = 'truncated' | 'malformed' | 'unsupported';

export const L3_NONE = 0;
export const L3_IPV4 = 4;
export const L3_IPV6 = 6;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

// TCP flag bits as in the header's 12 low bits (NS is bit 8, AE/ECN-nonce position).
export const TCP_FIN = 0x001;
export const TCP_SYN = 0x002;
export const TCP_RST = 0x004;
export const TCP_PSH = 0x008;
export const TCP_ACK = 0x010;
export const TCP_URG = 0x020;
export const TCP_ECE = 0x040;
export const TCP_CWR = 0x080;
export const TCP_NS = 0x100;

/** The header quoted inside an ICMP/ICMPv6 error (RFC 792: IP header + at least 8 bytes). */
export interface QuotedHeader {
  present: boolean;
  l3: number; // L3_IPV4 | L3_IPV6 | L3_NONE
  src: Uint32Array; // 4 words
  dst: Uint32Array;
  proto: number;
  /** IP total length (v4) or header+payload length (v6) as quoted */
  ipLength: number;
  /** ports are valid when hasPorts (TCP/UDP with >= 4 quoted bytes) */
  hasPorts: boolean;
  srcPort: number;
  dstPort: number;
  /** TCP only: sequence number (>= 8 quoted bytes) and ack, flags (>= 14 bytes) */
  hasSeq: boolean;
  seq: number;
  hasAck: boolean;
  ack: number;
  tcpFlags: number;
}

export interface Packet {
  // ---- link ----
  linkType: number;
  /** number of 802.1Q/802.1ad tags, outermost first in `vlans` */
  vlanDepth: number;
  vlans: Uint16Array; // VLAN IDs (12 bits), up to MAX_VLAN_DEPTH
  /** a number identifying the whole tag stack (0 = untagged); part of pcapdx's flow key */
  vlanKey: number;
  mplsDepth: number;
  /** offset of the network-layer header in frame.data, -1 when none */
  l3Offset: number;

  // ---- network ----
  l3: number; // L3_NONE | L3_IPV4 | L3_IPV6
  src: Uint32Array; // 4 words, IPv4 in word 0 (others 0)
  dst: Uint32Array;
  /** transport protocol (after IPv6 extension headers) */
  proto: number;
  ttl: number; // TTL or hop limit
  ipId: number; // IPv4 identification (or IPv6 fragment id low 32 bits), -1 when none
  tos: number; // DSCP/ECN byte (traffic class for IPv6)
  /** IPv4 total length, or IPv6 40 + payload length: the length the packet had on the wire */
  ipTotalLength: number;
  ipHeaderLength: number; // incl. IPv4 options / IPv6 extension headers
  dontFragment: boolean;
  /** 0 = not a fragment, 1 = first fragment (offset 0, more fragments), 2 = a later fragment */
  fragment: number;
  fragOffset: number; // in bytes
  /** IPv6 flow label, 0 for IPv4 */
  flowLabel: number;

  // ---- transport ----
  /** offset of the transport header in frame.data, -1 when not decoded */
  l4Offset: number;
  srcPort: number; // -1 when no ports
  dstPort: number;

  // TCP (valid when proto == PROTO_TCP and tcpValid)
  tcpValid: boolean;
  seq: number;
  ack: number;
  tcpFlags: number; // 9 bits: FIN..CWR plus NS
  /** the 3 reserved bits above NS (tshark prints them as 'R' in tcp.flags.str), 0 normally */
  tcpReserved: number;
  window: number; // raw 16-bit window (unscaled)
  tcpHeaderLength: number;
  urgentPtr: number;
  /** options (-1 / false when absent) */
  mss: number;
  wscale: number;
  sackPermitted: boolean;
  hasTimestamp: boolean;
  tsVal: number;
  tsEcr: number;
  sackCount: number; // number of SACK blocks
  sack: Uint32Array; // left0,right0,left1,right1,... up to 4 blocks
  /** options were cut by snaplen (we decoded what we could) */
  tcpOptionsTruncated: boolean;

  // UDP
  udpLength: number; // -1 when not UDP

  // ICMP / ICMPv6
  icmpType: number; // -1 when not ICMP
  icmpCode: number;
  /** echo identifier and sequence (types 0/8, 128/129), -1 otherwise */
  icmpId: number;
  icmpSeq: number;
  quoted: QuotedHeader;

  // ---- payload of the transport (or of IP when the transport is unknown) ----
  /** offset of the payload in frame.data */
  payloadOffset: number;
  /** payload length on the wire, from the IP length (not from the captured bytes) */
  payloadLength: number;
  /** payload bytes actually present in the capture (<= payloadLength) */
  payloadCaptured: number;

  // ---- what could not be decoded ----
  issue: WireIssueCode | null;
  issueKind: IssueKind | null;
  /** offset in frame.data where the problem was found */
  issueOffset: number;
}

export const MAX_VLAN_DEPTH = 8;
export const MAX_MPLS_DEPTH = 16;

export function newQuoted(): QuotedHeader {
  return {
    present: false, l3: L3_NONE, src: new Uint32Array(4), dst: new Uint32Array(4), proto: -1,
    ipLength: 0, hasPorts: false, srcPort: -1, dstPort: -1, hasSeq: false, seq: 0, hasAck: false,
    ack: 0, tcpFlags: 0,
  };
}

export function newPacket(): Packet {
  return {
    linkType: 0, vlanDepth: 0, vlans: new Uint16Array(MAX_VLAN_DEPTH), vlanKey: 0, mplsDepth: 0,
    l3Offset: -1, l3: L3_NONE, src: new Uint32Array(4), dst: new Uint32Array(4), proto: -1, ttl: -1,
    ipId: -1, tos: 0, ipTotalLength: 0, ipHeaderLength: 0, dontFragment: false, fragment: 0,
    fragOffset: 0, flowLabel: 0, l4Offset: -1, srcPort: -1, dstPort: -1, tcpValid: false, seq: 0,
    ack: 0, tcpFlags: 0, tcpReserved: 0, window: 0, tcpHeaderLength: 0, urgentPtr: 0, mss: -1, wscale: -1,
    sackPermitted: false, hasTimestamp: false, tsVal: 0, tsEcr: 0, sackCount: 0,
    sack: new Uint32Array(8), tcpOptionsTruncated: false, udpLength: -1, icmpType: -1, icmpCode: -1,
    icmpId: -1, icmpSeq: -1, quoted: newQuoted(), payloadOffset: 0, payloadLength: 0,
    payloadCaptured: 0, issue: null, issueKind: null, issueOffset: 0,
  };
}
