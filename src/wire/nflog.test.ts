import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusFrames, cut, decodeBytes } from './testkit.js';
import { formatAddr } from './addr.js';
import { L3_NONE } from './packet.js';

const NFLOG = 239;

test('NFLOG: formats/nflog-tcp-http.pcap frames 1-2, IP packet in the payload TLV (type 9)', async () => {
  const [f1, f2] = await corpusFrames('formats/nflog-tcp-http.pcap', 2);
  assert.equal(f1.linkType, NFLOG);
  const p = decodeBytes(f1.data, NFLOG);
  assert.equal(p.issue, null);
  assert.equal(p.l3Offset, 48);
  assert.equal(formatAddr(p.l3, p.src), '10.10.10.10');
  assert.equal(formatAddr(p.l3, p.dst), '52.43.228.156');
  assert.equal(p.srcPort, 54064);
  assert.equal(p.seq, 4058668159);
  const q = decodeBytes(f2.data, NFLOG);
  assert.equal(q.issue, null);
  assert.equal(q.l3Offset, 104);
  assert.equal(q.ack, 4058668160);
  assert.equal(q.ttl, 226);
});

test('NFLOG: every cut before the IP packet is nflog_truncated', async () => {
  const [f] = await corpusFrames('formats/nflog-tcp-http.pcap', 1);
  for (let n = 0; n < 48; n++) {
    const p = cut(f.data, NFLOG, n);
    assert.equal(p.issue, 'nflog_truncated', `cut at ${n}`);
    assert.equal(p.issueKind, 'truncated');
  }
  assert.equal(cut(f.data, NFLOG, 48).issue, 'ipv4_truncated');
});

test('NFLOG: a TLV length below 4 is malformed; no payload TLV means no L3', async () => {
  const [f] = await corpusFrames('formats/nflog-tcp-http.pcap', 1);
  const bad = f.data.slice();
  bad[4] = 2; // first TLV length 2 (little-endian)
  bad[5] = 0;
  assert.equal(decodeBytes(bad, NFLOG).issue, 'nflog_malformed');
  const noPayload = f.data.slice(0, 44); // TLVs up to the payload one
  const p = decodeBytes(noPayload, NFLOG);
  assert.equal(p.l3, L3_NONE);
  assert.equal(p.issue, null);
});

test('NFLOG: TLVs written by a big-endian host are read too', async () => {
  const [f] = await corpusFrames('formats/nflog-tcp-http.pcap', 1);
  const be = f.data.slice();
  for (let off = 4; off + 4 <= be.length;) {
    const len = be[off] | (be[off + 1] << 8);
    be[off] = len >> 8; be[off + 1] = len & 0xff;
    const t0 = be[off + 2]; be[off + 2] = be[off + 3]; be[off + 3] = t0;
    off += (len + 3) & ~3;
  }
  const p = decodeBytes(be, NFLOG);
  assert.equal(p.issue, null);
  assert.equal(p.srcPort, 54064);
});
