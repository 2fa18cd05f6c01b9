import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTcpFlagsShort, formatTcpFlagsTshark } from './tcpflags.js';
import { linkTypeName } from './linktypes.js';
import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_NS, TCP_PSH, TCP_RST, TCP_SYN } from './packet.js';

test("tshark's tcp.flags.str, strings taken from the corpus reference", () => {
  assert.equal(formatTcpFlagsTshark(TCP_SYN), '··········S·');
  assert.equal(formatTcpFlagsTshark(TCP_SYN | TCP_ACK), '·······A··S·');
  assert.equal(formatTcpFlagsTshark(TCP_PSH | TCP_ACK), '·······AP···');
  assert.equal(formatTcpFlagsTshark(TCP_FIN | TCP_ACK), '·······A···F');
  assert.equal(formatTcpFlagsTshark(TCP_RST), '·········R··');
  assert.equal(formatTcpFlagsTshark(TCP_SYN | TCP_ECE | TCP_CWR), '····CE····S·');
  // tcp/port-reuse-rst-inject.pcap frame 2: all reserved bits, AE (NS), ACK, RST
  assert.equal(formatTcpFlagsTshark(TCP_NS | TCP_ACK | TCP_RST, 7), 'RRRA···A·R··');
  assert.equal(formatTcpFlagsTshark(0), '············');
});

test('short flags for humans', () => {
  assert.equal(formatTcpFlagsShort(TCP_SYN), 'S');
  assert.equal(formatTcpFlagsShort(TCP_SYN | TCP_ACK), 'SA');
  assert.equal(formatTcpFlagsShort(TCP_PSH | TCP_ACK), 'PA');
  assert.equal(formatTcpFlagsShort(TCP_FIN | TCP_ACK), 'FA');
  assert.equal(formatTcpFlagsShort(TCP_RST), 'R');
  assert.equal(formatTcpFlagsShort(TCP_RST | TCP_ACK), 'RA');
  assert.equal(formatTcpFlagsShort(0), '-');
});

test('link type names', () => {
  assert.equal(linkTypeName(1), 'Ethernet');
  assert.equal(linkTypeName(113), 'Linux cooked (SLL)');
  assert.equal(linkTypeName(276), 'Linux cooked v2 (SLL2)');
  assert.equal(linkTypeName(99999), 'unknown link type 99999');
});
