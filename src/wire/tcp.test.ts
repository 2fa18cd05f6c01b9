import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEveryCut, corpusFrames, decodeBytes, hexBytes } from './testkit.js';
import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_SYN } from './packet.js';

const ETH = 1;

// tcp/keepalive-0byte-vlan.pcap frame 6 without its two VLAN tags: IPv4 141.142.228.5 ->
// 192.150.187.43, TCP SYN 59856 -> 80, seq 0xfe21323a, window 65535, 24 option bytes:
// MSS 1460, NOP, WS 4, NOP, NOP, TS 373005600/0, SACK permitted, EOL, EOL
const SYN = hexBytes(`
  00 10 db 88 d2 ef c8 bc c8 96 d2 a0 08 00 45 00 00 40 df 8e 40 00 40 06 6d d3 8d 8e e4 05 c0 96
  bb 2b e9 d0 00 50 fe 21 32 3a 00 00 00 00 b0 02 ff ff 3b c0 00 00 02 04 05 b4 01 03 03 04 01 01
  08 0a 16 4a dd 20 00 00 00 00 04 02 00 00`);

/** SYN with its 24 option bytes replaced by `opts` (padded with EOL to a multiple of 4) */
function withOptions(opts: number[]): Uint8Array {
  const padded = [...opts];
  while (padded.length % 4) padded.push(0);
  const d = new Uint8Array([...SYN.subarray(0, 54), ...padded]);
  d[46] = ((20 + padded.length) / 4) << 4 | (d[46] & 0x0f);
  const total = d.length - 14;
  d[16] = total >> 8;
  d[17] = total & 0xff;
  return d;
}

test('TCP header and options of a real SYN', () => {
  const p = decodeBytes(SYN, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.tcpValid, true);
  assert.equal(p.srcPort, 59856);
  assert.equal(p.dstPort, 80);
  assert.equal(p.seq, 0xfe21323a);
  assert.equal(p.ack, 0);
  assert.equal(p.tcpFlags, TCP_SYN);
  assert.equal(p.window, 65535);
  assert.equal(p.tcpHeaderLength, 44);
  assert.equal(p.mss, 1460);
  assert.equal(p.wscale, 4);
  assert.equal(p.sackPermitted, true);
  assert.equal(p.hasTimestamp, true);
  assert.equal(p.tsVal, 0x164add20);
  assert.equal(p.tsEcr, 0);
  assert.equal(p.payloadOffset, 78);
  assert.equal(p.payloadLength, 0);
});

test('every cut of the fixed header: tcp_truncated, not valid; of the options: decoded so far + truncated', () => {
  checkEveryCut(SYN, ETH, 34, 20, 'tcp_truncated', (p, n) => {
    assert.equal(p.tcpValid, false);
    assert.equal(p.srcPort, n >= 38 ? 59856 : -1);
  });
  // the options end in two EOLs: once the first is captured, nothing after it matters
  checkEveryCut(SYN, ETH, 54, 23, 'tcp_options_truncated', (p, n) => {
    assert.equal(p.tcpValid, true);
    assert.equal(p.tcpOptionsTruncated, true);
    assert.equal(p.mss, n >= 58 ? 1460 : -1);
    assert.equal(p.wscale, n >= 62 ? 4 : -1);
    assert.equal(p.hasTimestamp, n >= 74);
    assert.equal(p.sackPermitted, n >= 76);
  });
  assert.equal(decodeBytes(SYN.subarray(0, 77), ETH, SYN.length).issue, null);
});

test('data offset below 5 or beyond the IP payload: tcp_bad_data_offset', () => {
  const low = SYN.slice();
  low[46] = 0x40 | (low[46] & 0x0f);
  assert.equal(decodeBytes(low, ETH).issue, 'tcp_bad_data_offset');
  assert.equal(decodeBytes(low, ETH).tcpValid, false);
  const high = SYN.slice();
  high[46] = 0xf0 | (high[46] & 0x0f); // 60 bytes, the IP payload has 44
  assert.equal(decodeBytes(high, ETH).issue, 'tcp_bad_data_offset');
});

test('nine flag bits and the reserved bits', () => {
  const d = SYN.slice();
  d[46] = 0xbf; // data offset 11, reserved 111, NS
  d[47] = 0xd2; // CWR ECE ACK SYN
  const p = decodeBytes(d, ETH);
  assert.equal(p.tcpFlags, 0x100 | TCP_CWR | TCP_ECE | TCP_ACK | TCP_SYN);
  assert.equal(p.tcpReserved, 7);
});

test('SACK blocks, unknown options skipped by length', () => {
  const d = withOptions([
    1, 1, 5, 26, // NOP NOP SACK with 3 blocks
    0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 5,
    30, 4, 0xaa, 0xbb, // MPTCP-like unknown option, length 4
    3, 3, 14, // WS 14 after the unknown option
  ]);
  const p = decodeBytes(d, ETH);
  assert.equal(p.issue, null);
  assert.equal(p.sackCount, 3);
  assert.deepEqual([...p.sack.subarray(0, 6)], [1, 2, 3, 4, 0xfffffff0, 5]);
  assert.equal(p.wscale, 14);
});

test('malformed options: a length byte < 2 or past the header stops decoding, the header stays valid', () => {
  const zero = withOptions([2, 4, 5, 0xb4, 8, 0, 1, 1]);
  const p = decodeBytes(zero, ETH);
  assert.equal(p.issue, 'tcp_options_malformed');
  assert.equal(p.tcpValid, true);
  assert.equal(p.mss, 1460);
  const past = withOptions([2, 4, 5, 0xb4, 8, 10, 1, 1]);
  assert.equal(decodeBytes(past, ETH).issue, 'tcp_options_malformed');
  const wrongLen = withOptions([2, 3, 5, 1, 3, 3, 7]); // MSS of length 3, then a good WS
  const q = decodeBytes(wrongLen, ETH);
  assert.equal(q.issue, 'tcp_options_malformed');
  assert.equal(q.mss, -1);
  assert.equal(q.wscale, 7);
});

test('options cut by snaplen with a wrong timestamp length (malformed/tcp-header-truncated-snaplen.pcap)', async () => {
  // frame 1: 40-byte TCP header, 68 of 74 bytes captured; tshark notes the TS length 8
  const [f] = await corpusFrames('malformed/tcp-header-truncated-snaplen.pcap', 1);
  const p = decodeBytes(f.data, ETH, f.origlen);
  assert.equal(p.tcpValid, true);
  assert.equal(p.mss, 1460);
  assert.equal(p.sackPermitted, true);
  assert.equal(p.tcpOptionsTruncated, true);
  assert.equal(p.issue, 'tcp_options_malformed');
  assert.equal(p.payloadLength, 0);
});

test('fixed header cut at 46 bytes (malformed/tcp-header-46byte-caplen.pcap): ports only, like tshark', async () => {
  const [f] = await corpusFrames('malformed/tcp-header-46byte-caplen.pcap', 1);
  const p = decodeBytes(f.data, ETH, f.origlen);
  assert.equal(p.issue, 'tcp_truncated');
  assert.equal(p.issueKind, 'truncated');
  assert.equal(p.tcpValid, false);
  assert.equal(p.srcPort, 12336);
  assert.equal(p.dstPort, 12336);
});

test('an IP payload shorter than 20 bytes cannot hold TCP: malformed', () => {
  const d = SYN.slice(0, 14 + 20 + 12);
  d[16] = 0;
  d[17] = 32;
  const p = decodeBytes(d, ETH);
  assert.equal(p.issue, 'tcp_truncated');
  assert.equal(p.issueKind, 'malformed');
});
