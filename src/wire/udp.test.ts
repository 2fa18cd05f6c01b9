import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEveryCut, corpusFrames, decodeBytes } from './testkit.js';
import { formatAddr } from './addr.js';

const ETH = 1;

test('UDP header of a portmap call (nfs-rpc/nfsv3-udp-wiki.pcap frame 1)', async () => {
  const [f] = await corpusFrames('nfs-rpc/nfsv3-udp-wiki.pcap', 1);
  const p = decodeBytes(f.data, ETH);
  assert.equal(p.issue, null);
  assert.equal(formatAddr(p.l3, p.src), '139.25.22.2');
  assert.equal(p.srcPort, 3295);
  assert.equal(p.dstPort, 111);
  assert.equal(p.udpLength, 72);
  assert.equal(p.payloadOffset, 42);
  assert.equal(p.payloadLength, 64);
  assert.equal(p.payloadCaptured, 64);
  checkEveryCut(f.data, ETH, 34, 8, 'udp_truncated', (q, n) => assert.equal(q.srcPort, n >= 38 ? 3295 : -1));
});

test('UDP length below 8 or beyond the IP payload is malformed; shorter than IP is fine', async () => {
  const [f] = await corpusFrames('nfs-rpc/nfsv3-udp-wiki.pcap', 1);
  const small = f.data.slice();
  small[38] = 0;
  small[39] = 7;
  assert.equal(decodeBytes(small, ETH).issue, 'udp_bad_length');
  const big = f.data.slice();
  big[39] = 73;
  const p = decodeBytes(big, ETH);
  assert.equal(p.issue, 'udp_bad_length');
  assert.equal(p.issueKind, 'malformed');
  assert.equal(p.payloadLength, 64); // from the IP payload
  const shorter = f.data.slice();
  shorter[39] = 40;
  const q = decodeBytes(shorter, ETH);
  assert.equal(q.issue, null);
  assert.equal(q.payloadLength, 32);
});
