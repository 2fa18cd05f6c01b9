import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEveryCut, decodeBytes, hexBytes } from './testkit.js';
import { formatAddr } from './addr.js';
import { L3_IPV6 } from './packet.js';

const ETH = 1;

// formats/ipv6-http-atomic-frag.pcap frame 4: IPv6 2001:db8:1::2 -> 2001:db8:1::1 with a
// destination-options header (PadN), TCP SYN 36951 -> 80
const DSTOPTS_SYN = hexBytes(`
  aa 00 04 00 0a 04 00 10 18 95 31 6a 86 dd 60 00 00 00 00 1c 3c 40 20 01 0d b8 00 01 00 00 00 00
  00 00 00 00 00 02 20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 01 06 00 01 04 00 00 00 00 90 57
  00 50 e3 1e bd 4e 00 00 00 00 50 02 20 00 03 57 00 00`);

// the same file, frame 13: an atomic fragment (fragment header, offset 0, M = 0, id 0) around
// a TCP SYN 59694 -> 80; a whole packet, so TCP is decoded
const ATOMIC_SYN = hexBytes(`
  aa 00 04 00 0a 04 00 10 18 95 31 6a 86 dd 60 00 00 00 00 1c 2c 40 20 01 0d b8 00 01 00 00 00 00
  00 00 00 00 00 02 20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 01 06 00 00 00 00 00 00 00 e9 2e
  00 50 69 81 79 05 00 00 00 00 50 02 20 00 68 66 00 00`);

/** The DSTOPTS_SYN packet with `ext` (a chain of extension headers whose last next-header is
 *  60) inserted before its destination-options header; `first` = the first header's type. */
function withChain(first: number, ext: number[]): Uint8Array {
  const d = new Uint8Array([...DSTOPTS_SYN.subarray(0, 54), ...ext, ...DSTOPTS_SYN.subarray(54)]);
  d[20] = first;
  const plen = d.length - 54;
  d[18] = plen >> 8;
  d[19] = plen & 0xff;
  return d;
}

test('IPv6 fixed header and a destination-options header', () => {
  const p = decodeBytes(DSTOPTS_SYN, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.l3, L3_IPV6);
  assert.equal(formatAddr(p.l3, p.src), '2001:db8:1::2');
  assert.equal(formatAddr(p.l3, p.dst), '2001:db8:1::1');
  assert.equal(p.ttl, 64);
  assert.equal(p.ipTotalLength, 68);
  assert.equal(p.ipHeaderLength, 48);
  assert.equal(p.proto, 6);
  assert.equal(p.l4Offset, 62);
  assert.equal(p.srcPort, 36951);
  assert.equal(p.seq, 0xe31ebd4e);
  assert.equal(p.fragment, 0);
  assert.equal(p.ipId, -1);
});

test('every cut of the fixed header is ipv6_truncated, of an extension header ipv6_ext_truncated', () => {
  assert.equal(checkEveryCut(DSTOPTS_SYN, ETH, 14, 40, 'ipv6_truncated'), 40);
  assert.equal(checkEveryCut(DSTOPTS_SYN, ETH, 54, 8, 'ipv6_ext_truncated'), 8);
  checkEveryCut(ATOMIC_SYN, ETH, 54, 8, 'ipv6_ext_truncated');
});

test('an atomic fragment (offset 0, M = 0) decodes TCP and records the fragment id', () => {
  const p = decodeBytes(ATOMIC_SYN, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.fragment, 0);
  assert.equal(p.ipId, 0);
  assert.equal(p.srcPort, 59694);
  assert.equal(p.tcpValid, true);
});

test('first and later fragments', () => {
  const first = ATOMIC_SYN.slice();
  first[57] = 0x01; // M = 1
  first.set([0x12, 0x34, 0x56, 0x78], 58);
  const a = decodeBytes(first, ETH);
  assert.equal(a.fragment, 1);
  assert.equal(a.ipId, 0x12345678);
  assert.equal(a.srcPort, 59694);
  const later = first.slice();
  later[56] = 0x05; // offset 0x05 << 8 | 0xa8 -> 1448 bytes
  later[57] = 0xa8;
  const b = decodeBytes(later, ETH);
  assert.equal(b.issue, null);
  assert.equal(b.fragment, 2);
  assert.equal(b.fragOffset, 1448);
  assert.equal(b.l4Offset, -1);
  assert.equal(b.srcPort, -1);
  assert.equal(b.payloadLength, 20);
});

test('a chain: hop-by-hop, routing, AH (4-byte units + 2), mobility, then the destination options', () => {
  const hop = [43, 0, 1, 4, 0, 0, 0, 0]; // next routing, 8 bytes, PadN
  const rt = [51, 0, 0, 0, 0, 0, 0, 0]; // next AH, 8 bytes, routing type 0 segments left 0
  const ah = [135, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // (4+2)*4 = 24
  const mob = [60, 0, 0, 0, 0, 0, 0, 0]; // 8 bytes
  const d = withChain(0, [...hop, ...rt, ...ah, ...mob]);
  const p = decodeBytes(d, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.ipHeaderLength, 40 + 8 + 8 + 24 + 8 + 8);
  assert.equal(p.proto, 6);
  assert.equal(p.srcPort, 36951);
  checkEveryCut(d, ETH, 54, 56, 'ipv6_ext_truncated');
});

test('ESP and no-next-header end the chain without a transport', () => {
  for (const nh of [50, 59]) {
    const d = DSTOPTS_SYN.slice();
    d[54] = nh;
    const p = decodeBytes(d, ETH);
    assert.equal(p.issue, null);
    assert.equal(p.proto, nh);
    assert.equal(p.l4Offset, -1);
    assert.equal(p.payloadOffset, 62);
    assert.equal(p.payloadLength, 20);
  }
});

test('an extension header running past the payload length is malformed', () => {
  const d = DSTOPTS_SYN.slice();
  d[55] = 10; // 88 bytes claimed, 28 in the payload
  const p = decodeBytes(d, ETH);
  assert.equal(p.issue, 'ipv6_ext_malformed');
  assert.equal(p.issueKind, 'malformed');
  const v = DSTOPTS_SYN.slice();
  v[14] = 0x45;
  assert.equal(decodeBytes(v, ETH).issue, 'ipv6_bad_version');
});

test('payload length 0 uses the captured length; beyond the frame is malformed', () => {
  const z = DSTOPTS_SYN.slice();
  z[18] = 0;
  z[19] = 0;
  const p = decodeBytes(z, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.ipTotalLength, 68);
  const big = DSTOPTS_SYN.slice();
  big[19] = 0xff;
  const q = decodeBytes(big, ETH);
  assert.equal(q.issue, 'ipv6_bad_payload_length');
  assert.equal(q.srcPort, 36951);
});
