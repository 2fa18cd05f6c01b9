import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEveryCut, corpusFrames, decodeBytes } from './testkit.js';
import { formatAddr } from './addr.js';
import { L3_IPV6, L3_NONE } from './packet.js';

const SLL = 113;
const SLL2 = 276;

test('Linux cooked v1: first SYN of formats/pcap-nsec-sll-handshake.pcap', async () => {
  const [f] = await corpusFrames('formats/pcap-nsec-sll-handshake.pcap', 1);
  assert.equal(f.linkType, SLL);
  const p = decodeBytes(f.data, SLL);
  assert.equal(p.issue, null);
  assert.equal(p.l3Offset, 16);
  assert.equal(formatAddr(p.l3, p.src), '131.155.215.69');
  assert.equal(formatAddr(p.l3, p.dst), '137.116.81.94');
  assert.equal(p.srcPort, 46656);
  assert.equal(p.seq, 797190859);
  checkEveryCut(f.data, SLL, 0, 16, 'sll_truncated');
});

test('Linux cooked v1 carrying IPv6 (formats/pcapng-sll-nsec-ipv6-tcp.pcapng frame 21)', async () => {
  const frames = await corpusFrames('formats/pcapng-sll-nsec-ipv6-tcp.pcapng', 21);
  const p = decodeBytes(frames[20].data, SLL);
  assert.equal(p.issue, null);
  assert.equal(p.l3, L3_IPV6);
  assert.equal(p.proto, 6);
});

test('Linux cooked v1 netlink device: protocol is not an ethertype, no L3', () => {
  const d = new Uint8Array(40);
  d[2] = 824 >> 8; // ARPHRD_NETLINK
  d[3] = 824 & 0xff;
  d[14] = 0x08; // would read as IPv4 if taken for an ethertype
  d[16] = 0x45;
  const p = decodeBytes(d, SLL);
  assert.equal(p.l3, L3_NONE);
  assert.equal(p.issue, null);
});

test('Linux cooked v2: first SYN of formats/sll2-tcp-http.pcap', async () => {
  const [f] = await corpusFrames('formats/sll2-tcp-http.pcap', 1);
  assert.equal(f.linkType, SLL2);
  const p = decodeBytes(f.data, SLL2);
  assert.equal(p.issue, null);
  assert.equal(p.l3Offset, 20);
  assert.equal(formatAddr(p.l3, p.src), '192.168.1.253');
  assert.equal(formatAddr(p.l3, p.dst), '192.168.1.21');
  assert.equal(p.srcPort, 56478);
  assert.equal(p.dstPort, 80);
  assert.equal(p.seq, 2332771219);
  checkEveryCut(f.data, SLL2, 0, 20, 'sll_truncated');
});
