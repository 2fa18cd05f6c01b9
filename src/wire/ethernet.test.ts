import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEveryCut, corpusFrames, cut, decodeBytes, hexBytes } from './testkit.js';
import { decodeFrame } from './decode.js';
import { formatAddr } from './addr.js';
import { L3_IPV4, L3_NONE, MAX_VLAN_DEPTH, newPacket } from './packet.js';

const ETH = 1;

// tcp/keepalive-0byte-vlan.pcap frame 6: Ethernet, 802.1Q VLAN 10 (PCP 2) inside 802.1Q VLAN 20
// (PCP 2), IPv4 141.142.228.5 -> 192.150.187.43, TCP SYN 59856 -> 80 with MSS/NOP/WS/NOP/NOP/TS/SACK_PERM
const QINQ_SYN = hexBytes(`
  00 10 db 88 d2 ef c8 bc c8 96 d2 a0 81 00 50 0a 81 00 50 14 08 00 45 00 00 40 df 8e 40 00 40 06
  6d d3 8d 8e e4 05 c0 96 bb 2b e9 d0 00 50 fe 21 32 3a 00 00 00 00 b0 02 ff ff 3b c0 00 00 02 04
  05 b4 01 03 03 04 01 01 08 0a 16 4a dd 20 00 00 00 00 04 02 00 00`);

// formats/vlan-mpls-mixed-tcp.pcap frame 1: Ethernet, MPLS label 29 (bottom of stack), IPv4
// 10.1.2.1 -> 10.34.0.1, TCP SYN 11001 -> 23 with MSS 536
const MPLS_SYN = hexBytes(`
  00 30 96 e6 fc 39 00 30 96 05 28 38 88 47 00 01 dd ff 45 c0 00 2c 00 00 00 00 ff 06 a4 e7 0a 01
  02 01 0a 22 00 01 2a f9 00 17 98 32 0f fb 00 00 00 00 60 02 10 20 a2 40 00 00 02 04 02 18`);

test('two stacked 802.1Q tags are recorded outermost first, then IPv4/TCP decodes', () => {
  const p = decodeBytes(QINQ_SYN, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.vlanDepth, 2);
  assert.deepEqual([...p.vlans.subarray(0, 2)], [10, 20]);
  assert.notEqual(p.vlanKey, 0);
  assert.equal(p.l3Offset, 22);
  assert.equal(formatAddr(p.l3, p.src), '141.142.228.5');
  assert.equal(p.srcPort, 59856);
  assert.equal(p.dstPort, 80);
});

test('vlanKey tells tag stacks apart and is 0 untagged', () => {
  const swapped = QINQ_SYN.slice();
  swapped[15] = 0x14; // outer tag becomes 20
  swapped[19] = 0x0a; // inner tag becomes 10
  const a = decodeBytes(QINQ_SYN, ETH).vlanKey;
  const b = decodeBytes(swapped, ETH).vlanKey;
  assert.notEqual(a, b);
  const untagged = decodeBytes(MPLS_SYN, ETH);
  assert.equal(untagged.vlanKey, 0);
  assert.equal(untagged.vlanDepth, 0);
});

test('every cut of the Ethernet header and of each VLAN tag is truncated, never a throw', () => {
  assert.equal(checkEveryCut(QINQ_SYN, ETH, 0, 14, 'link_truncated'), 14);
  checkEveryCut(QINQ_SYN, ETH, 14, 4, 'vlan_truncated', (p) => assert.equal(p.vlanDepth, 0));
  checkEveryCut(QINQ_SYN, ETH, 18, 4, 'vlan_truncated', (p) => assert.equal(p.vlanDepth, 1));
});

test('MPLS: labels skipped to bottom of stack, IPv4 found by its first nibble', () => {
  const p = decodeBytes(MPLS_SYN, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.mplsDepth, 1);
  assert.equal(p.l3Offset, 18);
  assert.equal(formatAddr(p.l3, p.src), '10.1.2.1');
  assert.equal(formatAddr(p.l3, p.dst), '10.34.0.1');
  assert.equal(p.mss, 536);
  checkEveryCut(MPLS_SYN, ETH, 14, 4, 'mpls_truncated');
});

test('MPLS stack of two labels, then a pseudowire control word: no L3, no issue', () => {
  const two = new Uint8Array([...MPLS_SYN.subarray(0, 14), 0x00, 0x01, 0xd0, 0xff, ...MPLS_SYN.subarray(14)]);
  const p = decodeBytes(two, ETH);
  assert.equal(p.mplsDepth, 2);
  assert.equal(p.l3, L3_IPV4);
  const pw = MPLS_SYN.slice();
  pw[18] = 0x00; // control word instead of IP
  const q = decodeBytes(pw, ETH);
  assert.equal(q.l3, L3_NONE);
  assert.equal(q.issue, null);
});

test('tags deeper than MAX_VLAN_DEPTH: vlan_too_deep, still skipped to the IP header', () => {
  const extra = MAX_VLAN_DEPTH + 2;
  const tags: number[] = [];
  for (let i = 0; i < extra; i++) tags.push(0x81, 0x00, 0x00, i + 1);
  const data = new Uint8Array([...QINQ_SYN.subarray(0, 12), ...tags, ...QINQ_SYN.subarray(20)]);
  const p = decodeBytes(data, ETH);
  assert.equal(p.issue, 'vlan_too_deep');
  assert.equal(p.issueKind, 'unsupported');
  assert.equal(p.vlanDepth, extra);
  assert.equal(p.vlans[MAX_VLAN_DEPTH - 1], MAX_VLAN_DEPTH);
  assert.equal(p.srcPort, 59856);
});

test('802.1ad and 0x9100 outer tags are followed like 802.1Q', () => {
  for (const tpid of [0x88a8, 0x9100]) {
    const d = QINQ_SYN.slice();
    d[12] = tpid >> 8;
    d[13] = tpid & 0xff;
    const p = decodeBytes(d, ETH);
    assert.equal(p.vlanDepth, 2);
    assert.equal(p.srcPort, 59856);
  }
});

test('802.3 length + LLC (spanning tree BPDU): no L3, not an issue; LLC/SNAP carries IPv4', () => {
  // an IEEE 802.1D BPDU header: dst 01:80:c2:00:00:00, length 38, LLC 42 42 03
  const bpdu = hexBytes('0180c2000000 0019e7123456 0026 424203 0000 00 00');
  const p = decodeBytes(new Uint8Array([...bpdu, ...new Uint8Array(30)]), ETH);
  assert.equal(p.l3, L3_NONE);
  assert.equal(p.issue, null);
  // the MPLS frame's IPv4 packet re-framed as 802.3 + LLC/SNAP (AA AA 03, OUI 0, ethertype 0800)
  const ip = MPLS_SYN.subarray(18);
  const snap = new Uint8Array([...MPLS_SYN.subarray(0, 12), 0x00, ip.length + 8, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, ...ip]);
  const q = decodeBytes(snap, ETH);
  assert.equal(q.issue, null);
  assert.equal(q.l3Offset, 22);
  assert.equal(q.dstPort, 23);
});

test('a real Q-in-Q-in-Q capture: three tags on every frame', async () => {
  const frames = await corpusFrames('formats/vlan-qinqinq-tcp.pcap');
  assert.ok(frames.length > 0);
  const p = newPacket();
  for (const f of frames) {
    decodeFrame(f, p);
    assert.equal(p.vlanDepth, 3, `frame ${f.number}`);
    assert.deepEqual([...p.vlans.subarray(0, 3)], [30, 20, 10]);
  }
  assert.equal(cut(frames[0].data, ETH, 0).issue, 'link_truncated');
});
