import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEveryCut, corpusFrames, cut, decodeBytes, hexBytes } from './testkit.js';
import { formatAddr } from './addr.js';
import { L3_IPV4, L3_IPV6, TCP_ACK, TCP_SYN } from './packet.js';

const ETH = 1;

// An ICMP destination unreachable, code 13 (administratively prohibited), from 192.168.1.10 to
// 10.0.0.5, quoting in full (RFC 1812 style) the 60-byte SYN-ACK 10.0.0.5:2049 -> 192.168.1.10:
// 871 it rejected: the firewall reply of incident B. Hand-built (the corpus has no ICMP error
// quoting TCP); the quoted SYN-ACK has a Linux SYN-ACK's option layout (MSS, SACK-perm, TS, WS).
const QUOTED_SYNACK = hexBytes(`
  00 10 db 88 d2 ef c8 bc c8 96 d2 a0 08 00
  45 c0 00 58 12 34 00 00 40 01 00 00 c0 a8 01 0a 0a 00 00 05   # IPv4, ICMP, 88 bytes
  03 0d 00 00 00 00 00 00                                       # type 3 code 13
  45 00 00 3c 00 00 40 00 3f 06 00 00 0a 00 00 05 c0 a8 01 0a   # quoted IPv4, TCP
  08 01 03 67 bd 4e e3 1e 69 81 79 06 a0 12 16 a0 00 00 00 00   # quoted TCP 2049 -> 871 SYN-ACK
  02 04 05 b4 04 02 08 0a 00 00 00 01 00 00 00 01 01 03 03 07`);

test('ICMP error quoting a TCP SYN-ACK: ports, seq, ack and flags tie it to the connection', () => {
  const p = decodeBytes(QUOTED_SYNACK, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.icmpType, 3);
  assert.equal(p.icmpCode, 13);
  assert.equal(p.srcPort, -1);
  const q = p.quoted;
  assert.equal(q.present, true);
  assert.equal(q.l3, L3_IPV4);
  assert.equal(formatAddr(q.l3, q.src), '10.0.0.5');
  assert.equal(formatAddr(q.l3, q.dst), '192.168.1.10');
  assert.equal(q.proto, 6);
  assert.equal(q.ipLength, 60);
  assert.equal(q.srcPort, 2049);
  assert.equal(q.dstPort, 871);
  assert.equal(q.hasSeq, true);
  assert.equal(q.seq, 0xbd4ee31e);
  assert.equal(q.hasAck, true);
  assert.equal(q.ack, 0x69817906);
  assert.equal(q.tcpFlags, TCP_SYN | TCP_ACK);
});

test('an RFC 792 quote (IP header + 8 bytes) gives ports and seq, no ack', () => {
  const d = QUOTED_SYNACK.slice(0, 14 + 20 + 8 + 28);
  d[17] = 56; // outer total length
  const p = decodeBytes(d, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.quoted.hasPorts, true);
  assert.equal(p.quoted.hasSeq, true);
  assert.equal(p.quoted.hasAck, false);
});

test('every cut of the ICMP header and of the quoted IP header', () => {
  checkEveryCut(QUOTED_SYNACK, ETH, 34, 8, 'icmp_truncated', (p, n) => assert.equal(p.icmpType, n >= 38 ? 3 : -1));
  checkEveryCut(QUOTED_SYNACK, ETH, 42, 20, 'icmp_quote_truncated', (p) => assert.equal(p.quoted.present, false));
  // cuts inside the quoted transport header just give less of it
  for (let n = 62; n < QUOTED_SYNACK.length; n++) {
    const p = cut(QUOTED_SYNACK, ETH, n);
    assert.equal(p.issue, null, `cut at ${n}`);
    assert.equal(p.quoted.hasPorts, n >= 66);
    assert.equal(p.quoted.hasSeq, n >= 70);
    assert.equal(p.quoted.hasAck, n >= 76);
  }
});

test('a quote that is not an IP header is malformed', () => {
  const d = QUOTED_SYNACK.slice();
  d[42] = 0x15;
  assert.equal(decodeBytes(d, ETH).issue, 'icmp_quote_malformed');
});

test('port unreachable quoting UDP (icmp/icmp-destunreach-udp-single.pcap), as tshark shows it', async () => {
  const [f] = await corpusFrames('icmp/icmp-destunreach-udp-single.pcap', 1);
  const p = decodeBytes(f.data, ETH);
  assert.equal(p.issue, null);
  assert.equal(formatAddr(p.l3, p.src), '192.168.1.102'); // tshark ip.src: 192.168.1.102,192.168.1.1
  assert.equal(formatAddr(p.quoted.l3, p.quoted.src), '192.168.1.1');
  assert.equal(p.icmpType, 3);
  assert.equal(p.icmpCode, 3);
  assert.equal(p.quoted.proto, 17);
  assert.equal(p.quoted.srcPort, 53);
  assert.equal(p.quoted.dstPort, 59207);
  assert.equal(p.quoted.hasSeq, false);
});

test('ICMPv6 destination unreachable quoting IPv6/UDP (icmp/icmp6-destunreach-udp-single.pcap)', async () => {
  const [f] = await corpusFrames('icmp/icmp6-destunreach-udp-single.pcap', 1);
  const p = decodeBytes(f.data, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.proto, 58);
  assert.equal(p.icmpType, 1);
  assert.equal(p.quoted.l3, L3_IPV6);
  assert.equal(formatAddr(p.quoted.l3, p.quoted.src), 'fe80::beef');
  assert.equal(formatAddr(p.quoted.l3, p.quoted.dst), 'fe80::dead');
  assert.equal(p.quoted.srcPort, 30000);
  assert.equal(p.quoted.dstPort, 13000);
  checkEveryCut(f.data, ETH, 62, 40, 'icmp_quote_truncated');
});

test('echo request identifiers, and an unreachable quoting an echo (icmp/dest-unreachable-ping.pcap)', async () => {
  const [req, unreach] = await corpusFrames('icmp/dest-unreachable-ping.pcap', 2);
  const p = decodeBytes(req.data, ETH);
  assert.equal(p.icmpType, 8);
  assert.equal(p.icmpId, 512);
  assert.equal(p.icmpSeq, 9472);
  assert.equal(p.quoted.present, false);
  const u = decodeBytes(unreach.data, ETH);
  assert.equal(u.icmpType, 3);
  assert.equal(u.icmpCode, 1);
  assert.equal(u.quoted.proto, 1);
  assert.equal(u.quoted.hasPorts, false);
  assert.equal(formatAddr(u.quoted.l3, u.quoted.dst), '10.4.88.88');
});
