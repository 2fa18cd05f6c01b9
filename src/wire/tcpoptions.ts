// TCP options (RFC 9293 section 3.1; MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK).
import { fail } from './issue.js';
import type { Packet } from './packet.js';

export const OPT_EOL = 0;
export const OPT_NOP = 1;
export const OPT_MSS = 2;
export const OPT_WSCALE = 3;
export const OPT_SACK_PERMITTED = 4;
export const OPT_SACK = 5;
export const OPT_TIMESTAMP = 8;
const MSS_LEN = 4;
const WSCALE_LEN = 3;
const SACK_PERMITTED_LEN = 2;
const TIMESTAMP_LEN = 10;
const SACK_BLOCK_LEN = 8;
/** the 40-byte option space fits at most 4 SACK blocks (2 + 4 * 8 = 34) */
export const MAX_SACK_BLOCKS = 4;

/**
 * Decodes the options in [off, hdrEnd); bytes at or beyond `capEnd` were not captured.
 * A length byte below 2 or an option running past the header ends decoding as malformed
 * (the TCP header itself stays valid); an option cut by the capture sets tcpOptionsTruncated.
 * An option with a wrong length for its kind is skipped by its length and counted as malformed.
 */
export function decodeTcpOptions(b: Uint8Array, off: number, hdrEnd: number, capEnd: number, pkt: Packet): void {
  // every branch advances `off` by at least 1 (NOP) or 2 (length >= 2), so the loop ends
  while (off < hdrEnd) {
    if (off >= capEnd) return optionsCut(pkt, off);
    const kind = b[off];
    if (kind === OPT_EOL) return;
    if (kind === OPT_NOP) {
      off++;
      continue;
    }
    if (off + 1 >= hdrEnd) {
      fail(pkt, 'tcp_options_malformed', 'malformed', off);
      return;
    }
    if (off + 1 >= capEnd) return optionsCut(pkt, off);
    const len = b[off + 1];
    if (len < 2 || off + len > hdrEnd) {
      fail(pkt, 'tcp_options_malformed', 'malformed', off);
      return;
    }
    if (off + len > capEnd) return optionsCut(pkt, off);
    switch (kind) {
      case OPT_MSS:
        if (len === MSS_LEN) pkt.mss = (b[off + 2] << 8) | b[off + 3];
        else fail(pkt, 'tcp_options_malformed', 'malformed', off);
        break;
      case OPT_WSCALE:
        if (len === WSCALE_LEN) pkt.wscale = b[off + 2];
        else fail(pkt, 'tcp_options_malformed', 'malformed', off);
        break;
      case OPT_SACK_PERMITTED:
        if (len === SACK_PERMITTED_LEN) pkt.sackPermitted = true;
        else fail(pkt, 'tcp_options_malformed', 'malformed', off);
        break;
      case OPT_TIMESTAMP:
        if (len === TIMESTAMP_LEN) {
          pkt.hasTimestamp = true;
          pkt.tsVal = ((b[off + 2] << 24) | (b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5]) >>> 0;
          pkt.tsEcr = ((b[off + 6] << 24) | (b[off + 7] << 16) | (b[off + 8] << 8) | b[off + 9]) >>> 0;
        } else fail(pkt, 'tcp_options_malformed', 'malformed', off);
        break;
      case OPT_SACK:
        if ((len - 2) % SACK_BLOCK_LEN !== 0) fail(pkt, 'tcp_options_malformed', 'malformed', off);
        else decodeSack(b, off + 2, (len - 2) / SACK_BLOCK_LEN, pkt);
        break;
      default:
        break; // unknown option: skipped by its length
    }
    off += len;
  }
}

function decodeSack(b: Uint8Array, off: number, blocks: number, pkt: Packet): void {
  const n = blocks < MAX_SACK_BLOCKS ? blocks : MAX_SACK_BLOCKS;
  const sack = pkt.sack;
  for (let i = 0; i < n; i++) {
    const o = off + i * SACK_BLOCK_LEN;
    sack[i * 2] = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
    sack[i * 2 + 1] = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
  }
  pkt.sackCount = n;
}

function optionsCut(pkt: Packet, off: number): void {
  pkt.tcpOptionsTruncated = true;
  fail(pkt, 'tcp_options_truncated', 'truncated', off);
}
