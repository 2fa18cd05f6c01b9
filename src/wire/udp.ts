// UDP header (RFC 768).
import { fail } from './issue.js';
import type { Packet } from './packet.js';

export const UDP_HEADER_LEN = 8;
const UDP_LENGTH = 4;

/**
 * Decodes the UDP header at `off`; `ipPayload` = the datagram's length according to IP. The
 * UDP length must lie within [8, ipPayload]; in a first fragment it may exceed the fragment
 * (the rest follows), and a 0 length is the jumbogram convention (RFC 2675) when IP carries
 * more than 65535 bytes. Payload length follows the UDP length when it is consistent.
 */
export function decodeUdp(b: Uint8Array, off: number, capEnd: number, ipPayload: number, pkt: Packet): void {
  pkt.l4Offset = off;
  const present = capEnd - off;
  if (present >= 4 && ipPayload >= 4) {
    pkt.srcPort = (b[off] << 8) | b[off + 1];
    pkt.dstPort = (b[off + 2] << 8) | b[off + 3];
  }
  if (ipPayload < UDP_HEADER_LEN) {
    fail(pkt, 'udp_truncated', 'malformed', off);
    return;
  }
  if (present < UDP_HEADER_LEN) {
    fail(pkt, 'udp_truncated', 'truncated', off);
    return;
  }
  const len = (b[off + UDP_LENGTH] << 8) | b[off + UDP_LENGTH + 1];
  pkt.udpLength = len;
  let datagram = ipPayload;
  if (len === 0 && ipPayload > 0xffff) {
    // jumbogram: the IP layer carries the length
  } else if (len < UDP_HEADER_LEN) {
    fail(pkt, 'udp_bad_length', 'malformed', off + UDP_LENGTH);
  } else if (len > ipPayload) {
    if (pkt.fragment !== 1) fail(pkt, 'udp_bad_length', 'malformed', off + UDP_LENGTH);
  } else {
    datagram = len;
  }
  const payloadOffset = off + UDP_HEADER_LEN;
  pkt.payloadOffset = payloadOffset;
  pkt.payloadLength = datagram - UDP_HEADER_LEN;
  const captured = capEnd - payloadOffset;
  pkt.payloadCaptured = captured <= 0 ? 0 : captured < pkt.payloadLength ? captured : pkt.payloadLength;
}
