// TCP header (RFC 9293) and its options.
import { fail } from './issue.js';
import type { Packet } from './packet.js';
import { decodeTcpOptions } from './tcpoptions.js';

export const TCP_MIN_HEADER_LEN = 20;
const TCP_SEQ = 4;
const TCP_ACK = 8;
const TCP_OFF_FLAGS = 12;
const TCP_WINDOW = 14;
const TCP_URGENT = 18;
/** A header whose only options are NOP, NOP, timestamps (12 bytes): decoded without the loop. */
const TS_ONLY_HEADER_LEN = 32;

/**
 * Decodes the TCP header at `off`. `capEnd` = end of the captured bytes of this IP packet,
 * `ipPayload` = the TCP segment's length according to IP. The segment's payload length is
 * always taken from IP (what tshark reports as tcp.len), even when the capture holds only the
 * headers. Ports are filled as soon as their 4 bytes are present, even when the rest of the
 * fixed header is missing (tshark shows them too), but `tcpValid` needs all 20 bytes.
 */
export function decodeTcp(b: Uint8Array, off: number, capEnd: number, ipPayload: number, pkt: Packet): void {
  pkt.l4Offset = off;
  const present = capEnd - off;
  if (present >= 4 && ipPayload >= 4) {
    pkt.srcPort = (b[off] << 8) | b[off + 1];
    pkt.dstPort = (b[off + 2] << 8) | b[off + 3];
  }
  if (ipPayload < TCP_MIN_HEADER_LEN) {
    fail(pkt, 'tcp_truncated', 'malformed', off);
    return;
  }
  if (present < TCP_MIN_HEADER_LEN) {
    fail(pkt, 'tcp_truncated', 'truncated', off);
    return;
  }
  const offFlags = (b[off + TCP_OFF_FLAGS] << 8) | b[off + TCP_OFF_FLAGS + 1];
  const hl = (offFlags >> 12) << 2;
  pkt.seq = ((b[off + TCP_SEQ] << 24) | (b[off + TCP_SEQ + 1] << 16) | (b[off + TCP_SEQ + 2] << 8) | b[off + TCP_SEQ + 3]) >>> 0;
  pkt.ack = ((b[off + TCP_ACK] << 24) | (b[off + TCP_ACK + 1] << 16) | (b[off + TCP_ACK + 2] << 8) | b[off + TCP_ACK + 3]) >>> 0;
  pkt.tcpFlags = offFlags & 0x1ff;
  pkt.tcpReserved = (offFlags >> 9) & 0x7;
  pkt.window = (b[off + TCP_WINDOW] << 8) | b[off + TCP_WINDOW + 1];
  pkt.urgentPtr = (b[off + TCP_URGENT] << 8) | b[off + TCP_URGENT + 1];
  pkt.tcpHeaderLength = hl;
  if (hl < TCP_MIN_HEADER_LEN || hl > ipPayload) {
    fail(pkt, 'tcp_bad_data_offset', 'malformed', off + TCP_OFF_FLAGS);
    return;
  }
  pkt.tcpValid = true;
  if (hl === TS_ONLY_HEADER_LEN && off + TS_ONLY_HEADER_LEN <= capEnd && b[off + 20] === 1 && b[off + 21] === 1 &&
      b[off + 22] === 8 && b[off + 23] === 10) {
    // NOP, NOP, timestamps: what most segments after the handshake carry (Linux, BSD); the same
    // result as decodeTcpOptions, without its loop
    pkt.hasTimestamp = true;
    pkt.tsVal = ((b[off + 24] << 24) | (b[off + 25] << 16) | (b[off + 26] << 8) | b[off + 27]) >>> 0;
    pkt.tsEcr = ((b[off + 28] << 24) | (b[off + 29] << 16) | (b[off + 30] << 8) | b[off + 31]) >>> 0;
  } else if (hl > TCP_MIN_HEADER_LEN) {
    decodeTcpOptions(b, off + TCP_MIN_HEADER_LEN, off + hl, capEnd, pkt);
  }
  const payloadOffset = off + hl;
  pkt.payloadOffset = payloadOffset;
  pkt.payloadLength = ipPayload - hl;
  const captured = capEnd - payloadOffset;
  pkt.payloadCaptured = captured <= 0 ? 0 : captured < pkt.payloadLength ? captured : pkt.payloadLength;
}
