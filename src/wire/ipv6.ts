// IPv6 fixed header (RFC 8200) and the extension-header chain up to the transport header.
import { fail } from './issue.js';
import { L3_IPV6, type Packet, type QuotedHeader } from './packet.js';

export const IPV6_HEADER_LEN = 40;
const IP6_PAYLOAD_LENGTH = 4;
const IP6_NEXT = 6;
const IP6_HOP_LIMIT = 7;
const IP6_SRC = 8;
const IP6_DST = 24;

export const EXT_HOP_BY_HOP = 0;
export const EXT_ROUTING = 43;
export const EXT_FRAGMENT = 44;
export const EXT_ESP = 50;
export const EXT_AH = 51;
export const EXT_NO_NEXT = 59;
export const EXT_DEST_OPTS = 60;
export const EXT_MOBILITY = 135;
export const EXT_HIP = 139;
export const EXT_SHIM6 = 140;
const FRAGMENT_HEADER_LEN = 8;
const FRAG_M = 0x0001;

/** Outcome of walking the extension headers; reused, one per decoder. */
interface ExtWalk {
  /** the first header that is not an extension header (transport, ESP, no-next-header) */
  proto: number;
  /** its offset */
  off: number;
  /** 0 = ok, 1 = cut by the capture, 2 = runs past the IPv6 payload */
  status: number;
  /** offset of the extension header that failed */
  badOff: number;
  hasFrag: boolean;
  fragOffset: number;
  fragMore: boolean;
  fragId: number;
}
const WALK_OK = 0;
const WALK_TRUNCATED = 1;
const WALK_MALFORMED = 2;

function newWalk(): ExtWalk {
  return { proto: 0, off: 0, status: WALK_OK, badOff: 0, hasFrag: false, fragOffset: 0, fragMore: false, fragId: 0 };
}
const walk = newWalk();
const quotedWalk = newWalk();

/** Length in bytes of the extension header `next` at `off` (>= 8, so the walk always advances),
 *  or 0 when `next` is not an extension header we skip. Needs 2 bytes at `off`. */
function extLength(next: number, b: Uint8Array, off: number): number {
  switch (next) {
    case EXT_HOP_BY_HOP:
    case EXT_ROUTING:
    case EXT_DEST_OPTS:
    case EXT_MOBILITY:
    case EXT_HIP:
    case EXT_SHIM6:
      return (b[off + 1] + 1) << 3;
    case EXT_FRAGMENT:
      return FRAGMENT_HEADER_LEN;
    case EXT_AH:
      return (b[off + 1] + 2) << 2; // RFC 4302: length in 32-bit words, minus 2
    default:
      return 0;
  }
}

function isExtension(next: number): boolean {
  return next === EXT_HOP_BY_HOP || next === EXT_ROUTING || next === EXT_FRAGMENT || next === EXT_DEST_OPTS ||
    next === EXT_AH || next === EXT_MOBILITY || next === EXT_HIP || next === EXT_SHIM6;
}

/** Walks from `next` at `off`. Stops at a non-extension header, or after a fragment header
 *  that is not the first fragment (the rest of the chain is in an earlier fragment). */
function walkExtensions(b: Uint8Array, next: number, off: number, capEnd: number, ipEnd: number, w: ExtWalk): void {
  w.status = WALK_OK;
  w.hasFrag = false;
  w.fragOffset = 0;
  w.fragMore = false;
  w.fragId = 0;
  // each extension header is at least 8 bytes long, so the walk advances and ends at ipEnd
  while (isExtension(next)) {
    if (off + 2 > ipEnd) return walkFail(w, next, off, WALK_MALFORMED);
    if (off + 2 > capEnd) return walkFail(w, next, off, WALK_TRUNCATED);
    const len = extLength(next, b, off);
    if (off + len > ipEnd) return walkFail(w, next, off, WALK_MALFORMED);
    if (off + len > capEnd) return walkFail(w, next, off, WALK_TRUNCATED);
    const following = b[off];
    if (next === EXT_FRAGMENT) {
      const fo = (b[off + 2] << 8) | b[off + 3];
      w.hasFrag = true;
      w.fragOffset = fo & ~7;
      w.fragMore = (fo & FRAG_M) !== 0;
      w.fragId = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
      if (w.fragOffset !== 0) {
        w.proto = following;
        w.off = off + len;
        return;
      }
    }
    next = following;
    off += len;
  }
  w.proto = next;
  w.off = off;
}

function walkFail(w: ExtWalk, next: number, off: number, status: number): void {
  w.status = status;
  w.badOff = off;
  w.proto = next;
  w.off = off;
}

function readAddr(b: Uint8Array, off: number, out: Uint32Array): void {
  for (let i = 0; i < 4; i++) {
    const o = off + (i << 2);
    out[i] = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }
}

/**
 * Decodes the IPv6 header and extension headers at `off`. On success sets `pkt.proto` to the
 * transport protocol, `pkt.l4Offset`, `ipHeaderLength` (including extension headers) and
 * `ipTotalLength` (40 + payload length; the bytes present when the payload length is 0, as with
 * jumbograms and segmentation offload), and returns true. ESP and no-next-header end the walk
 * with a proto the transport layer does not decode.
 */
export function decodeIpv6(b: Uint8Array, off: number, capEnd: number, wireEnd: number, pkt: Packet): boolean {
  pkt.l3Offset = off;
  if (off >= capEnd) return fail(pkt, 'ipv6_truncated', 'truncated', off);
  if (b[off] >> 4 !== 6) return fail(pkt, 'ipv6_bad_version', 'malformed', off);
  if (off + IPV6_HEADER_LEN > capEnd) return fail(pkt, 'ipv6_truncated', 'truncated', off);

  pkt.l3 = L3_IPV6;
  pkt.tos = ((b[off] & 0x0f) << 4) | (b[off + 1] >> 4);
  pkt.flowLabel = ((b[off + 1] & 0x0f) << 16) | (b[off + 2] << 8) | b[off + 3];
  pkt.ttl = b[off + IP6_HOP_LIMIT];
  readAddr(b, off + IP6_SRC, pkt.src);
  readAddr(b, off + IP6_DST, pkt.dst);
  const next = b[off + IP6_NEXT];
  pkt.proto = next;
  pkt.ipHeaderLength = IPV6_HEADER_LEN;

  const wireAvail = wireEnd - off;
  const plen = (b[off + IP6_PAYLOAD_LENGTH] << 8) | b[off + IP6_PAYLOAD_LENGTH + 1];
  let total = plen === 0 ? wireAvail : IPV6_HEADER_LEN + plen;
  if (total > wireAvail) {
    fail(pkt, 'ipv6_bad_payload_length', 'malformed', off + IP6_PAYLOAD_LENGTH);
    total = wireAvail;
  }
  pkt.ipTotalLength = total;

  const ipEnd = off + total;
  const w = walk;
  walkExtensions(b, next, off + IPV6_HEADER_LEN, capEnd, ipEnd, w);
  pkt.proto = w.proto;
  pkt.ipHeaderLength = w.off - off;
  if (w.hasFrag) {
    pkt.ipId = w.fragId;
    pkt.fragOffset = w.fragOffset;
    // an atomic fragment (offset 0, no more fragments) is a whole packet
    pkt.fragment = w.fragOffset !== 0 ? 2 : w.fragMore ? 1 : 0;
  }
  if (w.status === WALK_TRUNCATED) return fail(pkt, 'ipv6_ext_truncated', 'truncated', w.badOff);
  if (w.status === WALK_MALFORMED) return fail(pkt, 'ipv6_ext_malformed', 'malformed', w.badOff);
  pkt.l4Offset = w.off;
  return true;
}

/** The IPv6 header (and extension headers) quoted in an ICMPv6 error; returns the offset of the
 *  quoted transport header (`end` when the quote holds no transport header), or -1 when the
 *  fixed header is not all there or is not IPv6. */
export function decodeQuotedIpv6(b: Uint8Array, off: number, end: number, q: QuotedHeader): number {
  if (off + IPV6_HEADER_LEN > end || b[off] >> 4 !== 6) return -1;
  q.present = true;
  q.l3 = L3_IPV6;
  q.ipLength = IPV6_HEADER_LEN + ((b[off + IP6_PAYLOAD_LENGTH] << 8) | b[off + IP6_PAYLOAD_LENGTH + 1]);
  readAddr(b, off + IP6_SRC, q.src);
  readAddr(b, off + IP6_DST, q.dst);
  const w = quotedWalk;
  walkExtensions(b, b[off + IP6_NEXT], off + IPV6_HEADER_LEN, end, end, w);
  q.proto = w.proto;
  if (w.status !== WALK_OK || w.fragOffset !== 0) return end;
  return w.off;
}
