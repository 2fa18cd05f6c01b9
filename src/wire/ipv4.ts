// IPv4 header (RFC 791). Options are skipped by the header length, not interpreted.
import { fail } from './issue.js';
import { L3_IPV4, type Packet, type QuotedHeader } from './packet.js';

export const IPV4_MIN_HEADER_LEN = 20;
const IP_TOS = 1;
const IP_TOTAL_LENGTH = 2;
const IP_ID = 4;
const IP_FLAGS_FRAG = 6;
const IP_TTL = 8;
const IP_PROTO = 9;
const IP_SRC = 12;
const IP_DST = 16;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAG_OFFSET_MASK = 0x1fff;

/**
 * Decodes the IPv4 header at `off`; `capEnd` / `wireEnd` bound the captured bytes and the bytes
 * the link layer says were on the wire. On success fills the network fields, sets
 * `pkt.l4Offset` (the transport header), `ipTotalLength` (the length used: the header's, or the
 * bytes present when the header says 0, as with segmentation offload) and returns true.
 * A total length beyond the wire bytes is recorded as malformed but decoding continues with the
 * wire bytes, as Wireshark does.
 */
export function decodeIpv4(b: Uint8Array, off: number, capEnd: number, wireEnd: number, pkt: Packet): boolean {
  pkt.l3Offset = off;
  if (off >= capEnd) return fail(pkt, 'ipv4_truncated', 'truncated', off);
  const vihl = b[off];
  if (vihl >> 4 !== 4) return fail(pkt, 'ipv4_bad_version', 'malformed', off);
  const hl = (vihl & 0x0f) << 2;
  if (hl < IPV4_MIN_HEADER_LEN) return fail(pkt, 'ipv4_bad_header_length', 'malformed', off);
  if (off + IPV4_MIN_HEADER_LEN > capEnd) return fail(pkt, 'ipv4_truncated', 'truncated', off);

  pkt.l3 = L3_IPV4;
  pkt.tos = b[off + IP_TOS];
  const ff = (b[off + IP_FLAGS_FRAG] << 8) | b[off + IP_FLAGS_FRAG + 1];
  pkt.ipId = (b[off + IP_ID] << 8) | b[off + IP_ID + 1];
  pkt.dontFragment = (ff & FLAG_DF) !== 0;
  pkt.ttl = b[off + IP_TTL];
  pkt.proto = b[off + IP_PROTO];
  pkt.src[0] = ((b[off + IP_SRC] << 24) | (b[off + IP_SRC + 1] << 16) | (b[off + IP_SRC + 2] << 8) | b[off + IP_SRC + 3]) >>> 0;
  pkt.dst[0] = ((b[off + IP_DST] << 24) | (b[off + IP_DST + 1] << 16) | (b[off + IP_DST + 2] << 8) | b[off + IP_DST + 3]) >>> 0;
  pkt.ipHeaderLength = hl;
  const fragOffset = (ff & FRAG_OFFSET_MASK) << 3;
  pkt.fragOffset = fragOffset;
  pkt.fragment = fragOffset !== 0 ? 2 : (ff & FLAG_MF) !== 0 ? 1 : 0;

  const wireAvail = wireEnd - off;
  let total = (b[off + IP_TOTAL_LENGTH] << 8) | b[off + IP_TOTAL_LENGTH + 1];
  if (total === 0) total = wireAvail; // TSO: the NIC fills the length in later
  if (total < hl) {
    pkt.ipTotalLength = total;
    return fail(pkt, 'ipv4_bad_total_length', 'malformed', off + IP_TOTAL_LENGTH);
  }
  if (total > wireAvail) {
    fail(pkt, 'ipv4_bad_total_length', 'malformed', off + IP_TOTAL_LENGTH);
    total = wireAvail;
    if (total < hl) {
      pkt.ipTotalLength = total;
      return false;
    }
  }
  pkt.ipTotalLength = total;
  if (off + hl > capEnd) return fail(pkt, 'ipv4_truncated', 'truncated', off + IPV4_MIN_HEADER_LEN);
  pkt.l4Offset = off + hl;
  return true;
}

/** The IPv4 header quoted in an ICMP error; returns the offset of the quoted transport header,
 *  or -1 when fewer than 20 bytes are present or the header is not IPv4. */
export function decodeQuotedIpv4(b: Uint8Array, off: number, end: number, q: QuotedHeader): number {
  if (off + IPV4_MIN_HEADER_LEN > end || b[off] >> 4 !== 4) return -1;
  const hl = (b[off] & 0x0f) << 2;
  if (hl < IPV4_MIN_HEADER_LEN) return -1;
  q.present = true;
  q.l3 = L3_IPV4;
  q.proto = b[off + IP_PROTO];
  q.ipLength = (b[off + IP_TOTAL_LENGTH] << 8) | b[off + IP_TOTAL_LENGTH + 1];
  q.src[0] = ((b[off + IP_SRC] << 24) | (b[off + IP_SRC + 1] << 16) | (b[off + IP_SRC + 2] << 8) | b[off + IP_SRC + 3]) >>> 0;
  q.dst[0] = ((b[off + IP_DST] << 24) | (b[off + IP_DST + 1] << 16) | (b[off + IP_DST + 2] << 8) | b[off + IP_DST + 3]) >>> 0;
  // a later fragment quotes no transport header
  const ff = (b[off + IP_FLAGS_FRAG] << 8) | b[off + IP_FLAGS_FRAG + 1];
  if ((ff & FRAG_OFFSET_MASK) !== 0) return end;
  return off + hl;
}
