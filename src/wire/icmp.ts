// ICMP (RFC 792) and ICMPv6 (RFC 4443): type, code, echo identifiers, and for error messages the
// quoted IP header with the first bytes of its transport header. The quote is how an error is
// tied to the connection it concerns: RFC 792 guarantees the IP header plus 8 bytes (ports and
// the TCP sequence number); RFC 1812 / RFC 4443 senders quote more (ack and flags).
import { decodeQuotedIpv4 } from './ipv4.js';
import { decodeQuotedIpv6 } from './ipv6.js';
import { fail } from './issue.js';
import { PROTO_TCP, PROTO_UDP, type Packet } from './packet.js';

export const ICMP_HEADER_LEN = 8; // type, code, checksum, 4 bytes that depend on the type
const ICMP_MIN_LEN = 4; // type, code, checksum
const ICMP_ID = 4;
const ICMP_SEQ = 6;

const ICMP4_ECHO_REPLY = 0;
const ICMP4_DEST_UNREACH = 3;
const ICMP4_SOURCE_QUENCH = 4;
const ICMP4_REDIRECT = 5;
const ICMP4_ECHO_REQUEST = 8;
const ICMP4_TIME_EXCEEDED = 11;
const ICMP4_PARAM_PROBLEM = 12;
const ICMP6_DEST_UNREACH = 1;
const ICMP6_PARAM_PROBLEM = 4;
const ICMP6_ECHO_REQUEST = 128;
const ICMP6_ECHO_REPLY = 129;

/** quoted transport bytes needed for ports, the TCP sequence number, and ack + flags */
const QUOTE_PORTS = 4;
const QUOTE_SEQ = 8;
const QUOTE_ACK_FLAGS = 14;

export function isIcmpError(v6: boolean, type: number): boolean {
  if (v6) return type >= ICMP6_DEST_UNREACH && type <= ICMP6_PARAM_PROBLEM;
  return type === ICMP4_DEST_UNREACH || type === ICMP4_SOURCE_QUENCH || type === ICMP4_REDIRECT ||
    type === ICMP4_TIME_EXCEEDED || type === ICMP4_PARAM_PROBLEM;
}

function isEcho(v6: boolean, type: number): boolean {
  return v6 ? type === ICMP6_ECHO_REQUEST || type === ICMP6_ECHO_REPLY
    : type === ICMP4_ECHO_REQUEST || type === ICMP4_ECHO_REPLY;
}

/** Decodes an ICMP (v6 = false) or ICMPv6 message at `off`; `ipPayload` = its length per IP. */
export function decodeIcmp(b: Uint8Array, off: number, capEnd: number, ipPayload: number, v6: boolean, pkt: Packet): void {
  pkt.l4Offset = off;
  if (ipPayload < ICMP_MIN_LEN) {
    fail(pkt, 'icmp_truncated', 'malformed', off);
    return;
  }
  if (capEnd - off < ICMP_MIN_LEN) {
    fail(pkt, 'icmp_truncated', 'truncated', off);
    return;
  }
  const type = b[off];
  pkt.icmpType = type;
  pkt.icmpCode = b[off + 1];
  const payloadOffset = off + ICMP_HEADER_LEN;
  pkt.payloadOffset = payloadOffset;
  pkt.payloadLength = ipPayload > ICMP_HEADER_LEN ? ipPayload - ICMP_HEADER_LEN : 0;
  const captured = capEnd - payloadOffset;
  pkt.payloadCaptured = captured <= 0 ? 0 : captured < pkt.payloadLength ? captured : pkt.payloadLength;

  const error = isIcmpError(v6, type);
  if (!error && !isEcho(v6, type)) return;
  if (ipPayload < ICMP_HEADER_LEN) {
    fail(pkt, 'icmp_truncated', 'malformed', off);
    return;
  }
  if (capEnd - off < ICMP_HEADER_LEN) {
    fail(pkt, 'icmp_truncated', 'truncated', off);
    return;
  }
  if (!error) {
    pkt.icmpId = (b[off + ICMP_ID] << 8) | b[off + ICMP_ID + 1];
    pkt.icmpSeq = (b[off + ICMP_SEQ] << 8) | b[off + ICMP_SEQ + 1];
    return;
  }
  decodeQuote(b, payloadOffset, capEnd, payloadOffset + pkt.payloadLength, pkt);
}

/** The quoted packet in [off, capEnd); `wireEnd` is where it ends on the wire. */
function decodeQuote(b: Uint8Array, off: number, capEnd: number, wireEnd: number, pkt: Packet): void {
  const q = pkt.quoted;
  if (off >= capEnd) {
    if (wireEnd > off) fail(pkt, 'icmp_quote_truncated', 'truncated', off);
    else fail(pkt, 'icmp_quote_malformed', 'malformed', off);
    return;
  }
  const version = b[off] >> 4;
  const l4 = version === 4 ? decodeQuotedIpv4(b, off, capEnd, q) : version === 6 ? decodeQuotedIpv6(b, off, capEnd, q) : -1;
  if (l4 < 0) {
    // either the quoted header is cut by the capture, or it is not an IP header at all
    const need = version === 6 ? 40 : 20;
    if ((version === 4 || version === 6) && off + need > capEnd && off + need <= wireEnd) {
      fail(pkt, 'icmp_quote_truncated', 'truncated', off);
    } else fail(pkt, 'icmp_quote_malformed', 'malformed', off);
    return;
  }
  const proto = q.proto;
  if (proto !== PROTO_TCP && proto !== PROTO_UDP) return;
  const present = capEnd - l4;
  if (present >= QUOTE_PORTS) {
    q.hasPorts = true;
    q.srcPort = (b[l4] << 8) | b[l4 + 1];
    q.dstPort = (b[l4 + 2] << 8) | b[l4 + 3];
  }
  if (proto !== PROTO_TCP) return;
  if (present >= QUOTE_SEQ) {
    q.hasSeq = true;
    q.seq = ((b[l4 + 4] << 24) | (b[l4 + 5] << 16) | (b[l4 + 6] << 8) | b[l4 + 7]) >>> 0;
  }
  if (present >= QUOTE_ACK_FLAGS) {
    q.hasAck = true;
    q.ack = ((b[l4 + 8] << 24) | (b[l4 + 9] << 16) | (b[l4 + 10] << 8) | b[l4 + 11]) >>> 0;
    q.tcpFlags = ((b[l4 + 12] << 8) | b[l4 + 13]) & 0x1ff;
  }
}
