// What a link-layer decoder hands to the network layer. One module-level record is reused for
// every frame (decoding is synchronous), so link decoders allocate nothing.

/** no network layer follows (not an error by itself) */
export const NET_NONE = 0;
export const NET_IPV4 = 4;
export const NET_IPV6 = 6;
/** decoding stopped; the issue is recorded on the packet */
export const NET_FAIL = -1;

export interface LinkResult {
  /** NET_NONE | NET_IPV4 | NET_IPV6 | NET_FAIL */
  next: number;
  /** offset of the network header */
  off: number;
  /** end of the captured bytes that belong to the network packet */
  capEnd: number;
  /** end of the bytes the network packet had on the wire (>= capEnd) */
  wireEnd: number;
}

export function newLinkResult(): LinkResult {
  return { next: NET_NONE, off: 0, capEnd: 0, wireEnd: 0 };
}

export function linkOut(r: LinkResult, next: number, off: number, capEnd: number, wireEnd: number): void {
  r.next = next;
  r.off = off;
  r.capEnd = capEnd;
  r.wireEnd = wireEnd;
}

/** Network layer chosen from the first nibble of the packet (raw IP, MPLS payloads). */
export function netFromNibble(b: Uint8Array, off: number, capEnd: number): number {
  if (off >= capEnd) return NET_NONE;
  const v = b[off] >> 4;
  return v === 4 ? NET_IPV4 : v === 6 ? NET_IPV6 : NET_NONE;
}

/** A link decoder: the frame is b[base .. cap) as captured, b[base .. wire) on the wire (all
 *  offsets absolute in `b`). Fills `r` and the link fields of the packet. */
export type LinkDecoder = (
  b: Uint8Array, base: number, cap: number, wire: number, pkt: import('./packet.js').Packet, r: LinkResult,
) => void;
