import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEveryCut, corpusFrames, decodeBytes } from './testkit.js';
import { formatAddr } from './addr.js';
import { L3_IPV4, L3_IPV6, L3_NONE } from './packet.js';

const NULL = 0;
const LOOP = 108;
const RAW = 101;

test('BSD null, little-endian host: smb/smb2-echo-macos-dlt-null.pcap frame 1', async () => {
  const [f] = await corpusFrames('smb/smb2-echo-macos-dlt-null.pcap', 1);
  assert.equal(f.linkType, NULL);
  assert.deepEqual([...f.data.subarray(0, 4)], [2, 0, 0, 0]);
  const p = decodeBytes(f.data, NULL);
  assert.equal(p.issue, null);
  assert.equal(p.l3Offset, 4);
  assert.equal(formatAddr(p.l3, p.src), '127.0.0.1');
  assert.equal(p.srcPort, 49754);
  assert.equal(p.dstPort, 4445);
  assert.equal(p.mss, 16344);
  checkEveryCut(f.data, NULL, 0, 4, 'link_truncated');

  // the same packet from a big-endian host, and as LOOP (always network order)
  const be = f.data.slice();
  be.set([0, 0, 0, 2], 0);
  assert.equal(decodeBytes(be, NULL).srcPort, 49754);
  assert.equal(decodeBytes(be, LOOP).srcPort, 49754);
  checkEveryCut(be, LOOP, 0, 4, 'link_truncated');
});

test('BSD null: the AF_INET6 values of NetBSD (24), FreeBSD (28) and macOS (30)', () => {
  for (const af of [24, 28, 30]) {
    const d = new Uint8Array(44);
    d[0] = af;
    d[4] = 0x60;
    d[10] = 59; // no next header
    const p = decodeBytes(d, NULL);
    assert.equal(p.l3, L3_IPV6, `AF ${af}`);
    assert.equal(p.issue, null);
  }
  const other = new Uint8Array(24);
  other[0] = 7; // not an IP family
  assert.equal(decodeBytes(other, NULL).l3, L3_NONE);
});

test('raw IP (101): tcp/keepalive-0byte-sack-rawip.pcap frame 1, and IPv6 by the nibble', async () => {
  const [f] = await corpusFrames('tcp/keepalive-0byte-sack-rawip.pcap', 1);
  assert.equal(f.linkType, RAW);
  const p = decodeBytes(f.data, RAW);
  assert.equal(p.issue, null);
  assert.equal(p.l3Offset, 0);
  assert.equal(formatAddr(p.l3, p.src), '192.168.0.54');
  assert.equal(formatAddr(p.l3, p.dst), '17.173.66.179');
  assert.equal(p.dstPort, 443);
  assert.equal(decodeBytes(f.data, 12).srcPort, 49506);
  assert.equal(decodeBytes(f.data, 14).srcPort, 49506);
  assert.equal(decodeBytes(f.data, 228).srcPort, 49506);
  assert.equal(decodeBytes(f.data, 229).issue, 'ipv6_bad_version');
  assert.equal(decodeBytes(new Uint8Array(0), RAW).issue, 'link_truncated');
  const v6 = new Uint8Array(40);
  v6[0] = 0x60;
  v6[6] = 59;
  assert.equal(decodeBytes(v6, RAW).l3, L3_IPV6);
  assert.equal(decodeBytes(v6, 229).l3, L3_IPV6);
  assert.equal(decodeBytes(v6, 228).issue, 'ipv4_bad_version');
  assert.equal(decodeBytes(f.data, RAW).l3, L3_IPV4);
});

test('unknown link type: unsupported, nothing decoded', () => {
  const p = decodeBytes(new Uint8Array(64), 182);
  assert.equal(p.issue, 'unsupported_link_type');
  assert.equal(p.issueKind, 'unsupported');
  assert.equal(p.l3, L3_NONE);
  assert.equal(decodeBytes(new Uint8Array(64), 100000).issue, 'unsupported_link_type');
  assert.equal(decodeBytes(new Uint8Array(64), -1).issue, 'unsupported_link_type');
});
