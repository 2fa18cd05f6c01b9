import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEveryCut, corpusFrames, decodeBytes, hexBytes } from './testkit.js';
import { formatAddr } from './addr.js';
import { L3_IPV4 } from './packet.js';

const ETH = 1;

// formats/vlan-mpls-mixed-tcp.pcap frame 1 without its MPLS label: Ethernet, IPv4 (TOS 0xc0,
// TTL 255, no DF) 10.1.2.1 -> 10.34.0.1, TCP SYN 11001 -> 23 with MSS 536
const SYN = hexBytes(`
  00 30 96 e6 fc 39 00 30 96 05 28 38 08 00 45 c0 00 2c 00 00 00 00 ff 06 a4 e7 0a 01 02 01 0a 22
  00 01 2a f9 00 17 98 32 0f fb 00 00 00 00 60 02 10 20 a2 40 00 00 02 04 02 18`);

/** SYN with a 4-byte IPv4 option (RFC 2113 router alert), IHL 6 */
function withRouterAlert(): Uint8Array {
  const d = new Uint8Array([...SYN.subarray(0, 34), 0x94, 0x04, 0x00, 0x00, ...SYN.subarray(34)]);
  d[14] = 0x46;
  d[17] = 0x30; // total length 48
  return d;
}

test('IPv4 header fields', () => {
  const p = decodeBytes(SYN, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.l3, L3_IPV4);
  assert.equal(p.tos, 0xc0);
  assert.equal(p.ttl, 255);
  assert.equal(p.ipId, 0);
  assert.equal(p.dontFragment, false);
  assert.equal(p.fragment, 0);
  assert.equal(p.ipTotalLength, 44);
  assert.equal(p.ipHeaderLength, 20);
  assert.equal(p.proto, 6);
  assert.equal(formatAddr(p.l3, p.src), '10.1.2.1');
  assert.equal(formatAddr(p.l3, p.dst), '10.34.0.1');
  assert.equal(p.l4Offset, 34);
});

test('every cut of the IPv4 header, options included, is ipv4_truncated', () => {
  assert.equal(checkEveryCut(SYN, ETH, 14, 20, 'ipv4_truncated'), 20);
  const opt = withRouterAlert();
  checkEveryCut(opt, ETH, 14, 24, 'ipv4_truncated');
  const p = decodeBytes(opt, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.ipHeaderLength, 24);
  assert.equal(p.l4Offset, 38);
  assert.equal(p.dstPort, 23);
  assert.equal(p.mss, 536);
});

test('bad version, header length below 5 words, total length below the header: malformed', () => {
  const v = SYN.slice();
  v[14] = 0x55;
  assert.equal(decodeBytes(v, ETH).issue, 'ipv4_bad_version');
  const ihl = SYN.slice();
  ihl[14] = 0x44;
  assert.equal(decodeBytes(ihl, ETH).issue, 'ipv4_bad_header_length');
  const tl = SYN.slice();
  tl[17] = 19;
  const p = decodeBytes(tl, ETH);
  assert.equal(p.issue, 'ipv4_bad_total_length');
  assert.equal(p.issueKind, 'malformed');
  assert.equal(p.srcPort, -1);
});

test('total length 0 (segmentation offload): the captured IP length is used', () => {
  const d = new Uint8Array([...SYN, ...new Uint8Array(100).fill(0x61)]);
  d[16] = 0;
  d[17] = 0;
  const p = decodeBytes(d, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.ipTotalLength, d.length - 14);
  assert.equal(p.payloadLength, 100);
});

test('Ethernet padding after the IP packet is not payload', () => {
  const d = new Uint8Array([...SYN, 0, 0]); // 60-byte minimum frame: 2 bytes of padding
  const p = decodeBytes(d, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.payloadLength, 0);
  assert.equal(p.payloadCaptured, 0);
});

test('total length beyond the frame: malformed, TCP decoded from the bytes there (tshark tcp.len 1440)', async () => {
  // tcp/reassembly-loss-fast-retrans.pcap frame 7: IP says 1500, the frame holds 1492
  const frames = await corpusFrames('tcp/reassembly-loss-fast-retrans.pcap', 7);
  const p = decodeBytes(frames[6].data, ETH);
  assert.equal(p.issue, 'ipv4_bad_total_length');
  assert.equal(p.issueKind, 'malformed');
  assert.equal(p.ipTotalLength, 1492);
  assert.equal(p.tcpValid, true);
  assert.equal(p.payloadLength, 1440);
});

test('fragments: the first decodes its UDP header, a later one does not', async () => {
  // nfs-rpc/nfsv3-udp-ipfrag-dup-retransm.pcap: an NFS WRITE over UDP in 1480-byte fragments
  const [first, later] = await corpusFrames('nfs-rpc/nfsv3-udp-ipfrag-dup-retransm.pcap', 2);
  const a = decodeBytes(first.data, ETH);
  assert.equal(a.issue, null);
  assert.equal(a.fragment, 1);
  assert.equal(a.ipId, 33387);
  assert.equal(a.srcPort, 912);
  assert.equal(a.dstPort, 2049);
  assert.equal(a.udpLength, 16544); // the whole datagram: no udp_bad_length in a first fragment
  const b = decodeBytes(later.data, ETH);
  assert.equal(b.issue, null);
  assert.equal(b.fragment, 2);
  assert.equal(b.fragOffset, 1480);
  assert.equal(b.l4Offset, -1);
  assert.equal(b.srcPort, -1);
  assert.equal(b.payloadOffset, 34);
  assert.equal(b.payloadLength, 1480);
});

test('a frame cut by snaplen after the TCP header keeps the IP-derived payload length', async () => {
  // tcp/fast-retrans-headers-only.pcap frame 4: 54 of 528 bytes captured; tshark tcp.len = 474
  const frames = await corpusFrames('tcp/fast-retrans-headers-only.pcap', 4);
  const f = frames[3];
  assert.equal(f.caplen, 54);
  const p = decodeBytes(f.data, ETH, f.origlen);
  assert.equal(p.issue, null);
  assert.equal(p.ipTotalLength, 514);
  assert.equal(p.payloadLength, 474);
  assert.equal(p.payloadCaptured, 0);
});
