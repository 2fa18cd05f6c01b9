// Packet builders for synthetic captures: link (Ethernet with 802.1Q/802.1ad tags, Linux SLL and
// SLL2, raw IP), IPv4 (options, fragments), IPv6 (extension headers), TCP (every option), UDP,
// ICMP and ICMPv6, with correct lengths and checksums. Everything is written into a caller's
// buffer at an offset, so one reused buffer serves millions of packets without allocation.
//
// Checksums are the Internet checksum (RFC 1071): the one's-complement of the one's-complement sum
// of 16-bit words, with the pseudo-header of RFC 793 (IPv4) or RFC 8200 section 8.1 (IPv6).
// A payload's partial sum can be passed in (`payloadSum`) when the same bytes are sent again and
// again, which keeps bulk generation fast.

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100; // 802.1Q customer tag
export const ETHERTYPE_QINQ = 0x88a8; // 802.1ad service tag (outer tag of QinQ)

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;
export const NS = 0x100;

// ---------------------------------------------------------------- addresses

/** Parses a MAC address "02:00:00:00:00:01". */
export function mac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6) throw new Error(`bad MAC address ${s}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Parses an IPv4 dotted quad (4 bytes) or an IPv6 address with optional "::" (16 bytes). */
export function ip(s: string): Uint8Array {
  if (s.includes(':')) return ipv6(s);
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 address ${s}`);
  return Uint8Array.from(parts);
}

function ipv6(s: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head, tail, extra] = s.split('::');
  if (extra !== undefined) throw new Error(`bad IPv6 address ${s}`);
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  if (tail === undefined && h.length !== 8) throw new Error(`bad IPv6 address ${s}`);
  const words = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (words.length !== 8) throw new Error(`bad IPv6 address ${s}`);
  words.forEach((w, i) => {
    const v = parseInt(w, 16);
    if (!(v >= 0 && v <= 0xffff)) throw new Error(`bad IPv6 address ${s}`);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

// ---------------------------------------------------------------- byte helpers

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}
export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Partial one's-complement sum of b[o, o+n) added to `acc` (not folded, not inverted). An odd
 *  trailing byte is padded with zero as RFC 1071 says. Long runs are summed as little-endian
 *  32-bit words and byte-swapped at the end, which RFC 1071 section 2(B) allows (the sum does not
 *  depend on byte order); this is what makes bulk generation fast. */
export function sum16(b: Uint8Array, o: number, n: number, acc = 0): number {
  let s = acc;
  let i = o;
  let left = n;
  if (left >= 64 && ((b.byteOffset + i) & 1) === 0 && LITTLE_ENDIAN_HOST) {
    if ((b.byteOffset + i) & 2) {
      s += (b[i] << 8) | b[i + 1];
      i += 2;
      left -= 2;
    }
    const words = left >> 2;
    const u32 = u32View(b);
    const w0 = (b.byteOffset + i) >> 2;
    // two small-integer accumulators (low and high halves of each word) keep the loop in int
    // arithmetic; fold them every 16K words, long before 2^31
    let le = 0;
    for (let k = 0; k < words; ) {
      const stop = Math.min(words, k + 16384);
      let lo = 0;
      let hi = 0;
      for (; k < stop; k++) {
        const w = u32[w0 + k];
        lo += w & 0xffff;
        hi += w >>> 16;
      }
      le += lo + hi;
      le = (le & 0xffff) + Math.floor(le / 65536);
    }
    while (le > 0xffff) le = (le & 0xffff) + (le >>> 16);
    s += ((le & 0xff) << 8) | (le >> 8);
    i += words * 4;
    left -= words * 4;
  }
  const end = i + (left & ~1);
  while (i < end) {
    // fold well before 2^53 would be reached
    const stop = Math.min(end, i + 65536);
    for (; i < stop; i += 2) s += (b[i] << 8) | b[i + 1];
    s = (s & 0xffff) + Math.floor(s / 65536);
  }
  if (left & 1) s += b[i] << 8;
  return s;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
let lastBuffer: ArrayBufferLike | null = null;
let lastU32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
/** A 32-bit view of the whole buffer under b (cached for the last buffer seen). */
function u32View(b: Uint8Array): Uint32Array<ArrayBufferLike> {
  if (b.buffer !== lastBuffer) {
    lastBuffer = b.buffer;
    lastU32 = new Uint32Array(b.buffer, 0, b.buffer.byteLength >> 2);
  }
  return lastU32;
}

/** Folds a partial sum to 16 bits and inverts it: the value to store in a checksum field. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

// ---------------------------------------------------------------- specs

export type LinkSpec =
  | {
      kind: 'ethernet';
      src: Uint8Array;
      dst: Uint8Array;
      /** tag control fields (VID in the low 12 bits, PCP in the top 3), outermost first */
      vlans?: readonly number[];
      /** when true and there are at least two tags, the outermost uses 802.1ad (0x88a8) */
      qinq?: boolean;
    }
  | { kind: 'sll'; packetType: number; addr: Uint8Array; arphrd?: number }
  | { kind: 'sll2'; packetType: number; addr: Uint8Array; ifIndex: number; arphrd?: number }
  | { kind: 'raw' };

/** SLL packet types (the receiving host's view). */
export const SLL_HOST = 0;
export const SLL_OUTGOING = 4;
const ARPHRD_ETHER = 1;

export interface Ipv4Spec {
  v: 4;
  src: Uint8Array;
  dst: Uint8Array;
  ttl?: number;
  id?: number;
  tos?: number;
  df?: boolean;
  /** more fragments */
  mf?: boolean;
  /** fragment offset in bytes (a multiple of 8) */
  fragOffset?: number;
  /** raw option bytes; padded with end-of-options to a multiple of 4 */
  options?: Uint8Array;
  /** overrides the protocol field (fragments: the protocol of the whole datagram) */
  protocol?: number;
}

export type Ipv6Ext =
  | { type: typeof IPPROTO_HOPOPTS | typeof IPPROTO_DSTOPTS | typeof IPPROTO_ROUTING; body: Uint8Array }
  | { type: typeof IPPROTO_FRAGMENT; offset: number; more: boolean; id: number };

export interface Ipv6Spec {
  v: 6;
  src: Uint8Array;
  dst: Uint8Array;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  /** extension headers in order; hop-by-hop first if present */
  ext?: readonly Ipv6Ext[];
  /** overrides the upper-layer protocol after the extension headers (fragments) */
  protocol?: number;
}

export type IpSpec = Ipv4Spec | Ipv6Spec;

export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  /** [tsVal, tsEcr] */
  ts?: readonly [number, number];
  /** SACK blocks as left,right pairs (up to 4 blocks; 3 with timestamps fit in 40 bytes) */
  sack?: readonly number[];
  /** raw option bytes replacing all of the above (for malformed-option tests) */
  raw?: Uint8Array;
}

export interface TcpSpec {
  kind: 'tcp';
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent?: number;
  options?: TcpOptions;
  /** when set, written instead of the computed checksum */
  badChecksum?: number;
}

export interface UdpSpec {
  kind: 'udp';
  srcPort: number;
  dstPort: number;
  /** IPv4 only: write a zero checksum ("none computed") */
  noChecksum?: boolean;
}

/** ICMP (with IPv4) or ICMPv6 (with IPv6). The 4 bytes after type/code/checksum are `rest`
 *  (echo: id << 16 | seq; destination unreachable: 0 or next-hop MTU; packet too big: MTU). */
export interface IcmpSpec {
  kind: 'icmp';
  type: number;
  code: number;
  rest: number;
}

/** Transport bytes written as they are (IP fragments, unknown protocols). */
export interface RawL4Spec {
  kind: 'raw';
  proto: number;
}

export type L4Spec = TcpSpec | UdpSpec | IcmpSpec | RawL4Spec;

export interface PacketSpec {
  link: LinkSpec;
  ip: IpSpec;
  l4: L4Spec;
}

// ---------------------------------------------------------------- link

export function linkHeaderLength(link: LinkSpec): number {
  switch (link.kind) {
    case 'ethernet':
      return 14 + 4 * (link.vlans?.length ?? 0);
    case 'sll':
      return 16;
    case 'sll2':
      return 20;
    case 'raw':
      return 0;
  }
}

export function linkTypeOf(link: LinkSpec): number {
  switch (link.kind) {
    case 'ethernet':
      return LINKTYPE_ETHERNET;
    case 'sll':
      return LINKTYPE_LINUX_SLL;
    case 'sll2':
      return LINKTYPE_LINUX_SLL2;
    case 'raw':
      return LINKTYPE_RAW;
  }
}

/** Writes the link header carrying `etherType`; returns its length. */
export function writeLink(b: Uint8Array, o: number, link: LinkSpec, etherType: number): number {
  switch (link.kind) {
    case 'ethernet': {
      for (let i = 0; i < 6; i++) {
        b[o + i] = link.dst[i];
        b[o + 6 + i] = link.src[i];
      }
      let p = o + 12;
      const tags = link.vlans ?? [];
      for (let i = 0; i < tags.length; i++) {
        put16(b, p, i === 0 && link.qinq && tags.length > 1 ? ETHERTYPE_QINQ : ETHERTYPE_VLAN);
        put16(b, p + 2, tags[i]);
        p += 4;
      }
      put16(b, p, etherType);
      return p + 2 - o;
    }
    case 'sll': {
      // packet type, ARPHRD type, address length, 8 address bytes, protocol
      put16(b, o, link.packetType);
      put16(b, o + 2, link.arphrd ?? ARPHRD_ETHER);
      put16(b, o + 4, link.addr.length);
      b.fill(0, o + 6, o + 14);
      b.set(link.addr.subarray(0, 8), o + 6);
      put16(b, o + 14, etherType);
      return 16;
    }
    case 'sll2': {
      // protocol, reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes
      put16(b, o, etherType);
      put16(b, o + 2, 0);
      put32(b, o + 4, link.ifIndex);
      put16(b, o + 8, link.arphrd ?? ARPHRD_ETHER);
      b[o + 10] = link.packetType;
      b[o + 11] = link.addr.length;
      b.fill(0, o + 12, o + 20);
      b.set(link.addr.subarray(0, 8), o + 12);
      return 20;
    }
    case 'raw':
      return 0;
  }
}

// ---------------------------------------------------------------- IP

function ipv4OptionsLength(spec: Ipv4Spec): number {
  return spec.options ? (spec.options.length + 3) & ~3 : 0;
}

function ipv6ExtLength(e: Ipv6Ext): number {
  return e.type === IPPROTO_FRAGMENT ? 8 : (e.body.length + 2 + 7) & ~7;
}

export function ipHeaderLength(spec: IpSpec): number {
  if (spec.v === 4) return 20 + ipv4OptionsLength(spec);
  let n = 40;
  for (const e of spec.ext ?? []) n += ipv6ExtLength(e);
  return n;
}

/** Writes an IPv4 header (with checksum) for `payloadLen` bytes of transport; returns its length. */
export function writeIpv4(b: Uint8Array, o: number, s: Ipv4Spec, proto: number, payloadLen: number): number {
  const optLen = ipv4OptionsLength(s);
  const hl = 20 + optLen;
  b[o] = 0x40 | (hl >> 2);
  b[o + 1] = s.tos ?? 0;
  put16(b, o + 2, hl + payloadLen);
  put16(b, o + 4, s.id ?? 0);
  const frag = ((s.fragOffset ?? 0) >> 3) & 0x1fff;
  put16(b, o + 6, (s.df ? 0x4000 : 0) | (s.mf ? 0x2000 : 0) | frag);
  b[o + 8] = s.ttl ?? 64;
  b[o + 9] = s.protocol ?? proto;
  put16(b, o + 10, 0);
  for (let i = 0; i < 4; i++) {
    b[o + 12 + i] = s.src[i];
    b[o + 16 + i] = s.dst[i];
  }
  if (s.options) {
    b.set(s.options, o + 20);
    b.fill(0, o + 20 + s.options.length, o + hl); // end-of-option-list padding
  }
  put16(b, o + 10, finishChecksum(sum16(b, o, hl)));
  return hl;
}

/** Writes an IPv6 header and its extension headers; returns the total length. */
export function writeIpv6(b: Uint8Array, o: number, s: Ipv6Spec, proto: number, payloadLen: number): number {
  const ext = s.ext ?? [];
  const hl = ipHeaderLength(s);
  const upper = s.protocol ?? proto;
  const tc = s.trafficClass ?? 0;
  const fl = s.flowLabel ?? 0;
  put32(b, o, ((6 << 28) | (tc << 20) | (fl & 0xfffff)) >>> 0);
  put16(b, o + 4, hl - 40 + payloadLen);
  b[o + 6] = ext.length ? ext[0].type : upper;
  b[o + 7] = s.hopLimit ?? 64;
  b.set(s.src, o + 8);
  b.set(s.dst, o + 24);
  let p = o + 40;
  for (let i = 0; i < ext.length; i++) {
    const e = ext[i];
    const next = i + 1 < ext.length ? ext[i + 1].type : upper;
    const len = ipv6ExtLength(e);
    b[p] = next;
    if (e.type === IPPROTO_FRAGMENT) {
      b[p + 1] = 0;
      put16(b, p + 2, (e.offset & ~7) | (e.more ? 1 : 0));
      put32(b, p + 4, e.id);
    } else {
      b[p + 1] = len / 8 - 1;
      b.set(e.body, p + 2);
      b.fill(0, p + 2 + e.body.length, p + len); // Pad1 options
    }
    p += len;
  }
  return hl;
}

/** Partial sum of the pseudo-header for an upper-layer checksum. */
export function pseudoHeaderSum(b: Uint8Array, ipOff: number, v: 4 | 6, proto: number, l4Len: number): number {
  if (v === 4) return sum16(b, ipOff + 12, 8) + proto + l4Len;
  // RFC 8200 8.1: upper-layer length as 32 bits, then zero and the next-header value
  return sum16(b, ipOff + 8, 32) + (l4Len >>> 16) + (l4Len & 0xffff) + proto;
}

// ---------------------------------------------------------------- TCP

const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
const TCPOPT_MSS = 2;
const TCPOPT_WS = 3;
const TCPOPT_SACK_PERM = 4;
const TCPOPT_SACK = 5;
const TCPOPT_TS = 8;

/** Length of the option area (a multiple of 4) for `o`, laid out as Linux does. */
export function tcpOptionsLength(o: TcpOptions | undefined): number {
  if (!o) return 0;
  if (o.raw) return (o.raw.length + 3) & ~3;
  let n = 0;
  if (o.mss !== undefined) n += 4;
  if (o.sackPermitted && o.ts) n += 12; // SACK_PERM(2) + TS(10)
  else {
    if (o.sackPermitted) n += 4; // NOP NOP SACK_PERM
    if (o.ts) n += 12; // NOP NOP TS
  }
  if (o.wscale !== undefined) n += 4; // NOP WS
  if (o.sack && o.sack.length) n += 4 + 4 * o.sack.length; // NOP NOP SACK
  return n;
}

function writeTcpOptions(b: Uint8Array, o: number, opt: TcpOptions, len: number): void {
  if (opt.raw) {
    b.set(opt.raw, o);
    b.fill(TCPOPT_EOL, o + opt.raw.length, o + len);
    return;
  }
  let p = o;
  if (opt.mss !== undefined) {
    b[p] = TCPOPT_MSS;
    b[p + 1] = 4;
    put16(b, p + 2, opt.mss);
    p += 4;
  }
  if (opt.sackPermitted && opt.ts) {
    b[p] = TCPOPT_SACK_PERM;
    b[p + 1] = 2;
    p += 2;
  } else if (opt.sackPermitted) {
    b[p] = TCPOPT_NOP;
    b[p + 1] = TCPOPT_NOP;
    b[p + 2] = TCPOPT_SACK_PERM;
    b[p + 3] = 2;
    p += 4;
  } else if (opt.ts) {
    b[p] = TCPOPT_NOP;
    b[p + 1] = TCPOPT_NOP;
    p += 2;
  }
  if (opt.ts) {
    b[p] = TCPOPT_TS;
    b[p + 1] = 10;
    put32(b, p + 2, opt.ts[0]);
    put32(b, p + 6, opt.ts[1]);
    p += 10;
  }
  if (opt.wscale !== undefined) {
    b[p] = TCPOPT_NOP;
    b[p + 1] = TCPOPT_WS;
    b[p + 2] = 3;
    b[p + 3] = opt.wscale;
    p += 4;
  }
  if (opt.sack && opt.sack.length) {
    b[p] = TCPOPT_NOP;
    b[p + 1] = TCPOPT_NOP;
    b[p + 2] = TCPOPT_SACK;
    b[p + 3] = 2 + 4 * opt.sack.length;
    p += 4;
    for (let i = 0; i < opt.sack.length; i++) put32(b, p + 4 * i, opt.sack[i]);
    p += 4 * opt.sack.length;
  }
  if (p - o !== len) throw new Error('TCP option layout mismatch');
}

function l4HeaderLength(l4: L4Spec): number {
  switch (l4.kind) {
    case 'tcp':
      return 20 + tcpOptionsLength(l4.options);
    case 'udp':
    case 'icmp':
      return 8;
    case 'raw':
      return 0;
  }
}

function l4Proto(l4: L4Spec, v: 4 | 6): number {
  switch (l4.kind) {
    case 'tcp':
      return IPPROTO_TCP;
    case 'udp':
      return IPPROTO_UDP;
    case 'icmp':
      return v === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    case 'raw':
      return l4.proto;
  }
}

// ---------------------------------------------------------------- whole packets

/** Where the pieces of the last built packet lie (offsets relative to the start of the packet). */
export interface BuiltLayout {
  l3Offset: number;
  l4Offset: number;
  payloadOffset: number;
  length: number;
}

/** Length of the packet `spec` with `payloadLen` bytes of payload. */
export function packetLength(spec: PacketSpec, payloadLen: number): number {
  return linkHeaderLength(spec.link) + ipHeaderLength(spec.ip) + l4HeaderLength(spec.l4) + payloadLen;
}

/**
 * Writes a whole packet at b[o...]: link header, IP header(s), transport header and `payload`
 * (or `payloadLen` bytes already placed by the caller at the payload offset when `payload` is
 * null). Returns the packet length. `payloadSum` is the precomputed sum16 of the payload (as if
 * it started at an even offset), saving the pass over repeated payloads.
 */
export function buildPacket(
  b: Uint8Array,
  o: number,
  spec: PacketSpec,
  payload: Uint8Array | null,
  payloadLen = payload ? payload.length : 0,
  payloadSum = -1,
  layout?: BuiltLayout,
): number {
  const v = spec.ip.v;
  const proto = l4Proto(spec.l4, v);
  const linkLen = linkHeaderLength(spec.link);
  const l3 = o + linkLen;
  const ipLen = ipHeaderLength(spec.ip);
  const l4 = l3 + ipLen;
  const l4Hdr = l4HeaderLength(spec.l4);
  const pay = l4 + l4Hdr;
  const l4Len = l4Hdr + payloadLen;
  if (payload) b.set(payload, pay);

  writeLink(b, o, spec.link, v === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
  if (v === 4) writeIpv4(b, l3, spec.ip, proto, l4Len);
  else writeIpv6(b, l3, spec.ip, proto, l4Len);

  const paySum = payloadSum >= 0 ? payloadSum : spec.l4.kind === 'raw' ? 0 : sum16(b, pay, payloadLen);
  const l4s = spec.l4;
  switch (l4s.kind) {
    case 'tcp': {
      const optLen = l4Hdr - 20;
      put16(b, l4, l4s.srcPort);
      put16(b, l4 + 2, l4s.dstPort);
      put32(b, l4 + 4, l4s.seq);
      put32(b, l4 + 8, l4s.ack);
      // data offset (4 bits), 3 reserved bits, NS, then CWR..FIN
      put16(b, l4 + 12, ((l4Hdr >> 2) << 12) | (l4s.flags & 0x1ff));
      put16(b, l4 + 14, l4s.window);
      put16(b, l4 + 16, 0);
      put16(b, l4 + 18, l4s.urgent ?? 0);
      if (optLen) writeTcpOptions(b, l4 + 20, l4s.options as TcpOptions, optLen);
      const s = pseudoHeaderSum(b, l3, v, IPPROTO_TCP, l4Len) + sum16(b, l4, l4Hdr) + paySum;
      put16(b, l4 + 16, l4s.badChecksum ?? finishChecksum(s));
      break;
    }
    case 'udp': {
      put16(b, l4, l4s.srcPort);
      put16(b, l4 + 2, l4s.dstPort);
      put16(b, l4 + 4, l4Len);
      put16(b, l4 + 6, 0);
      if (!(l4s.noChecksum && v === 4)) {
        const c = finishChecksum(pseudoHeaderSum(b, l3, v, IPPROTO_UDP, l4Len) + sum16(b, l4, 8) + paySum);
        put16(b, l4 + 6, c === 0 ? 0xffff : c); // RFC 768: a computed zero is sent as all ones
      }
      break;
    }
    case 'icmp': {
      b[l4] = l4s.type;
      b[l4 + 1] = l4s.code;
      put16(b, l4 + 2, 0);
      put32(b, l4 + 4, l4s.rest);
      // ICMPv4 has no pseudo-header; ICMPv6 does (RFC 4443 2.3)
      const pseudo = v === 6 ? pseudoHeaderSum(b, l3, 6, IPPROTO_ICMPV6, l4Len) : 0;
      put16(b, l4 + 2, finishChecksum(pseudo + sum16(b, l4, 8) + paySum));
      break;
    }
    case 'raw':
      break;
  }
  if (layout) {
    layout.l3Offset = linkLen;
    layout.l4Offset = l4 - o;
    layout.payloadOffset = pay - o;
    layout.length = pay + payloadLen - o;
  }
  return pay + payloadLen - o;
}

/** Builds a packet into a new array of exactly its length (convenient in tests). */
export function packet(spec: PacketSpec, payload: Uint8Array | null = null): Uint8Array {
  const len = packetLength(spec, payload ? payload.length : 0);
  const b = new Uint8Array(len);
  buildPacket(b, 0, spec, payload);
  return b;
}

/**
 * The bytes an ICMP error quotes: the offending packet's IP header and the first `transportBytes`
 * of what follows (RFC 792 asks for 8; Linux quotes as much as fits in 576 bytes for ICMPv4 and
 * 1280 for ICMPv6). `pkt` is a whole packet as built above, `l3Offset` where its IP header starts.
 */
export function icmpQuote(pkt: Uint8Array, l3Offset: number, transportBytes: number): Uint8Array {
  const v = pkt[l3Offset] >> 4;
  let hl: number;
  if (v === 4) hl = (pkt[l3Offset] & 0x0f) * 4;
  else hl = 40; // extension headers count as transport bytes here
  return pkt.slice(l3Offset, Math.min(pkt.length, l3Offset + hl + transportBytes));
}

/**
 * Splits an IPv4 packet's transport bytes into fragments of at most `maxFragPayload` bytes (rounded
 * down to a multiple of 8), each a full packet with the same link and IP fields. The transport
 * header and checksum are those of the unfragmented datagram.
 */
export function fragmentIpv4(spec: PacketSpec & { ip: Ipv4Spec }, payload: Uint8Array, maxFragPayload: number): Uint8Array[] {
  const whole = packet(spec, payload);
  const l3 = linkHeaderLength(spec.link);
  const hl = ipHeaderLength(spec.ip);
  const transport = whole.subarray(l3 + hl);
  const step = maxFragPayload & ~7;
  if (step <= 0) throw new Error('fragment payload must be at least 8 bytes');
  const proto = l4Proto(spec.l4, 4);
  const out: Uint8Array[] = [];
  for (let off = 0; off < transport.length; off += step) {
    const piece = transport.subarray(off, Math.min(transport.length, off + step));
    const more = off + step < transport.length;
    out.push(packet({ link: spec.link, ip: { ...spec.ip, mf: more, fragOffset: off, protocol: proto }, l4: { kind: 'raw', proto } }, piece));
  }
  return out;
}
