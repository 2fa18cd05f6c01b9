import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddr, formatIpv6, hashAddr } from './addr.js';
import { L3_IPV4, L3_IPV6, L3_NONE } from './packet.js';

function words(hex: string): Uint32Array {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16) >>> 0;
  return w;
}

test('IPv4 dotted quad', () => {
  assert.equal(formatAddr(L3_IPV4, new Uint32Array([0xc0a80166, 0, 0, 0])), '192.168.1.102');
  assert.equal(formatAddr(L3_IPV4, new Uint32Array([0xffffffff, 0, 0, 0])), '255.255.255.255');
  assert.equal(formatAddr(L3_IPV4, new Uint32Array(4)), '0.0.0.0');
  assert.equal(formatAddr(L3_NONE, new Uint32Array(4)), '');
});

// Each expectation is what tshark 4.0.17 printed as ipv6.src for a raw IPv6 packet with that
// source address (a throwaway capture made while writing this test).
const TSHARK_IPV6: [string, string][] = [
  ['00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
  ['00000000000000000000000001020304', '::1.2.3.4'],
  ['00000000000000000000000000000002', '::2'],
  ['00000000000000000000000000000001', '::1'],
  ['00000000000000000000000000000000', '::'],
  ['00010000000000010000000000000001', '1:0:0:1::1'],
  ['00010000000000000001000000000001', '1::1:0:0:1'],
  ['00010000000100000001000000010000', '1:0:1:0:1:0:1:0'],
  ['00000000000100000000000000000000', '0:0:1::'],
  ['20010db8000000000000000000000001', '2001:db8::1'],
  ['0000000000000000ffff000001020304', '::ffff:0:102:304'],
  ['00000000000000000000000100000000', '::1:0:0'],
  ['0064ff9b000000000000000001020304', '64:ff9b::102:304'],
  ['fe800000000000000001000200030004', 'fe80::1:2:3:4'],
  ['000000000000000000000000000a000b', '::0.10.0.11'],
  ['00010002000300040005000600070000', '1:2:3:4:5:6:7:0'],
  ['00000001000200030004000500060007', '0:1:2:3:4:5:6:7'],
  ['00000000000000000000ffff00000000', '::ffff:0.0.0.0'],
  ['00000000000000000000000000000100', '::100'],
  ['abcdef0123456789abcdef0123456789', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
];

test('IPv6 exactly as tshark prints it', () => {
  for (const [hex, want] of TSHARK_IPV6) {
    assert.equal(formatAddr(L3_IPV6, words(hex)), want, hex);
    assert.equal(formatIpv6(words(hex)), want);
  }
});

test('hashAddr: equal for equal addresses, family mixed in, spreads nearby addresses', () => {
  const a = words('20010db8000000000000000000000001');
  assert.equal(hashAddr(L3_IPV6, a), hashAddr(L3_IPV6, a.slice()));
  const v4 = new Uint32Array([0x0a000001, 0, 0, 0]);
  assert.notEqual(hashAddr(L3_IPV4, v4), hashAddr(L3_IPV6, v4));
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(hashAddr(L3_IPV4, new Uint32Array([0x0a000000 + i, 0, 0, 0])));
  assert.equal(seen.size, 1000);
});
