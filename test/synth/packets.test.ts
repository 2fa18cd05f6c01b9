// The builders checked two ways: our own checksum verification over the written bytes, and
// tshark (with checksum validation on) reading a capture of them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACK, ECE, CWR, FIN, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_TCP, NS, PSH, RST, SYN, URG,
  buildPacket, finishChecksum, fragmentIpv4, icmpQuote, ip, mac, packet, packetLength, sum16,
  type BuiltLayout, type LinkSpec, type PacketSpec,
} from './packets.js';
import { PcapWriter } from './pcap-writer.js';
import { tempDir, tsharkFields } from './tshark.js';

const eth: LinkSpec = { kind: 'ethernet', src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02') };
const v4 = { v: 4 as const, src: ip('192.0.2.1'), dst: ip('198.51.100.7'), ttl: 61, id: 0x1234, df: true };
const v6 = { v: 6 as const, src: ip('2001:db8::1'), dst: ip('2001:db8:0:1::abcd'), hopLimit: 60, flowLabel: 0x12345 };
const CHECK = ['tcp.relative_sequence_numbers:FALSE', 'ip.check_checksum:TRUE', 'tcp.check_checksum:TRUE', 'udp.check_checksum:TRUE'];
const GOOD = '1'; // tshark checksum status: 0 bad, 1 good, 2 unverified

test('ip() parses IPv4 and IPv6 (with ::) and rejects nonsense', () => {
  assert.deepEqual([...ip('10.1.2.3')], [10, 1, 2, 3]);
  assert.deepEqual([...ip('2001:db8::1')], [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...ip('::')], new Array(16).fill(0));
  assert.throws(() => ip('10.1.2'));
  assert.throws(() => ip('1::2::3'));
  assert.throws(() => ip('300.1.1.1'));
});

test('sum16 follows RFC 1071 (its worked example) including an odd trailing byte', () => {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (folded)
  const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
  assert.equal(finishChecksum(sum16(b, 0, 8)), ~0xddf2 & 0xffff);
  assert.equal(sum16(Uint8Array.of(0x12, 0x34, 0x56), 0, 3), 0x1234 + 0x5600);
  // a long run folds without losing carries: 100000 words of 0xffff sum to 0xffff
  assert.equal(finishChecksum(sum16(new Uint8Array(200000).fill(0xff), 0, 200000)), 0);
});

test('sum16 word-at-a-time path equals the byte-pair definition at every alignment and length', () => {
  const b = new Uint8Array(5000).map((_, i) => (i * 131 + (i >> 3)) & 0xff);
  const slow = (o: number, n: number) => {
    let s = 0;
    for (let i = 0; i + 1 < n; i += 2) s += (b[o + i] << 8) | b[o + i + 1];
    if (n & 1) s += b[o + n - 1] << 8;
    return finishChecksum(s);
  };
  for (let o = 0; o < 8; o++) for (const n of [0, 1, 63, 64, 65, 66, 67, 1448, 1449, 4000]) assert.equal(finishChecksum(sum16(b, o, n)), slow(o, n), `o=${o} n=${n}`);
  // a view that starts inside its buffer
  const v = b.subarray(3);
  assert.equal(finishChecksum(sum16(v, 1, 1000)), slow(4, 1000));
});

test('TCP over IPv4: lengths, header checksum and transport checksum verify to zero', () => {
  const payload = new TextEncoder().encode('hello, odd length!!');
  const spec: PacketSpec = { link: eth, ip: v4, l4: { kind: 'tcp', srcPort: 40000, dstPort: 445, seq: 0xfffffff0, ack: 7, flags: ACK | PSH, window: 501, options: { ts: [1, 2] } } };
  const lay: BuiltLayout = { l3Offset: 0, l4Offset: 0, payloadOffset: 0, length: 0 };
  const b = new Uint8Array(200);
  const n = buildPacket(b, 10, spec, payload, payload.length, -1, lay);
  assert.equal(n, 14 + 20 + 32 + payload.length);
  assert.equal(n, packetLength(spec, payload.length));
  assert.deepEqual(lay, { l3Offset: 14, l4Offset: 34, payloadOffset: 66, length: n });
  const p = b.subarray(10, 10 + n);
  assert.equal((p[16] << 8) | p[17], 20 + 32 + payload.length, 'IP total length');
  assert.equal(finishChecksum(sum16(p, 14, 20)), 0, 'IPv4 header checksum verifies');
  const l4len = n - 34;
  const pseudo = sum16(p, 26, 8) + IPPROTO_TCP + l4len;
  assert.equal(finishChecksum(pseudo + sum16(p, 34, l4len)), 0, 'TCP checksum verifies');
  // a precomputed payload sum gives the same bytes
  const b2 = new Uint8Array(200);
  buildPacket(b2, 10, spec, payload, payload.length, sum16(payload, 0, payload.length));
  assert.deepEqual(b2, b);
});

test('every builder is read back by tshark with good checksums and the intended fields', () => {
  const t = tempDir();
  try {
    const frames: Uint8Array[] = [];
    const allFlags = FIN | SYN | RST | PSH | ACK | URG | ECE | CWR | NS;
    // 1: SYN with every option, QinQ tags
    frames.push(packet({ link: { ...eth, vlans: [100, 200], qinq: true }, ip: v4, l4: { kind: 'tcp', srcPort: 40001, dstPort: 2049, seq: 1, ack: 0, flags: SYN, window: 64240, options: { mss: 1460, sackPermitted: true, ts: [1000, 0], wscale: 7 } } }));
    // 2: data with SACK blocks and timestamps, single 802.1Q tag, IPv4 router-alert option
    frames.push(packet({ link: { ...eth, vlans: [0x2000 | 42] }, ip: { ...v4, options: Uint8Array.of(0x94, 4, 0, 0) }, l4: { kind: 'tcp', srcPort: 2049, dstPort: 40001, seq: 5000, ack: 2, flags: ACK, window: 1000, options: { ts: [5, 1000], sack: [100, 200, 300, 400, 500, 600] } } }, new Uint8Array(33).fill(7)));
    // 3: all flags set, urgent pointer, no options
    frames.push(packet({ link: eth, ip: v4, l4: { kind: 'tcp', srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: allFlags, window: 5, urgent: 1 } }, Uint8Array.of(1, 2, 3)));
    // 4: TCP over IPv6 with hop-by-hop and destination options headers
    const hbh = Uint8Array.of(0x05, 0x02, 0x00, 0x00, 0x01, 0x00); // router alert + PadN(0)
    frames.push(packet({ link: eth, ip: { ...v6, ext: [{ type: IPPROTO_HOPOPTS, body: hbh }, { type: IPPROTO_DSTOPTS, body: new Uint8Array(6).fill(0).map((_, i) => (i === 0 ? 1 : i === 1 ? 4 : 0)) }] }, l4: { kind: 'tcp', srcPort: 50000, dstPort: 445, seq: 9, ack: 10, flags: ACK | PSH, window: 100 } }, new Uint8Array(11).fill(0x41)));
    // 5: UDP over IPv4
    frames.push(packet({ link: eth, ip: v4, l4: { kind: 'udp', srcPort: 1023, dstPort: 111 } }, new Uint8Array(17).fill(3)));
    // 6: UDP over IPv6 with an atomic fragment header
    frames.push(packet({ link: eth, ip: { ...v6, ext: [{ type: IPPROTO_FRAGMENT, offset: 0, more: false, id: 0xabcdef }] }, l4: { kind: 'udp', srcPort: 5353, dstPort: 5353 } }, new Uint8Array(9).fill(9)));
    // 7: ICMP echo request
    frames.push(packet({ link: eth, ip: v4, l4: { kind: 'icmp', type: 8, code: 0, rest: (0x77 << 16) | 3 } }, new Uint8Array(56).fill(0x5a)));
    // 8: ICMP destination unreachable, administratively prohibited (3/13), quoting frame 1's IP+TCP
    const quoted = icmpQuote(frames[0], 22, 20);
    frames.push(packet({ link: eth, ip: { v: 4, src: v4.dst, dst: v4.src, ttl: 64 }, l4: { kind: 'icmp', type: 3, code: 13, rest: 0 } }, quoted));
    // 9: ICMPv6 destination unreachable (1/1) quoting frame 4's IPv6 header + 8 bytes
    frames.push(packet({ link: eth, ip: { v: 6, src: v6.dst, dst: v6.src }, l4: { kind: 'icmp', type: 1, code: 1, rest: 0 } }, icmpQuote(frames[3], 14, 8 + 16)));
    // 10: ICMPv6 echo request
    frames.push(packet({ link: eth, ip: v6, l4: { kind: 'icmp', type: 128, code: 0, rest: (1 << 16) | 2 } }, new Uint8Array(8)));
    // 11, 12: a UDP datagram of 3000 bytes in two IPv4 fragments
    const frags = fragmentIpv4({ link: eth, ip: { ...v4, df: false, id: 0x4242 }, l4: { kind: 'udp', srcPort: 800, dstPort: 2049 } }, new Uint8Array(3000).map((_, i) => i & 0xff), 1480);
    assert.equal(frags.length, 3);
    frames.push(...frags);

    const file = t.file('packets.pcap');
    const w = new PcapWriter(file, { linkType: 1 });
    frames.forEach((f, i) => w.write(1_700_000_000 + i, 0, f));
    w.close();
    const rows = tsharkFields(file, [
      'frame.number', 'vlan.id', 'ip.checksum.status', 'ip.hdr_len', 'tcp.checksum.status', 'udp.checksum.status',
      'icmp.checksum.status', 'icmpv6.checksum.status', 'tcp.flags', 'tcp.options.mss_val', 'tcp.options.wscale.shift',
      'tcp.options.sack_perm', 'tcp.options.timestamp.tsval', 'tcp.options.sack_le', 'tcp.options.sack_re', 'tcp.len',
      'ip.src', 'tcp.srcport', 'icmp.type', 'icmp.code', 'icmpv6.type', 'ipv6.flow', 'ipv6.hopopts.nxt', 'udp.length',
      'ip.flags.mf', 'ip.frag_offset', 'icmp.ident', 'vlan.priority', 'tcp.urgent_pointer', 'ieee8021ad.id',
    ], CHECK);
    assert.equal(rows.length, frames.length);
    const r = (n: number) => rows[n - 1];
    // 1
    assert.equal(r(1)['ieee8021ad.id'], '100', 'outer 802.1ad tag');
    assert.equal(r(1)['vlan.id'], '200', 'inner 802.1Q tag');
    assert.equal(r(1)['ip.checksum.status'], GOOD);
    assert.equal(r(1)['tcp.checksum.status'], GOOD);
    assert.equal(r(1)['tcp.options.mss_val'], '1460');
    assert.equal(r(1)['tcp.options.wscale.shift'], '7');
    assert.notEqual(r(1)['tcp.options.sack_perm'], '');
    assert.equal(r(1)['tcp.options.timestamp.tsval'], '1000');
    // 2
    assert.equal(r(2)['vlan.id'], '42');
    assert.equal(r(2)['vlan.priority'], '1');
    assert.equal(r(2)['ip.hdr_len'], '24');
    assert.equal(r(2)['ip.checksum.status'], GOOD);
    assert.equal(r(2)['tcp.checksum.status'], GOOD);
    assert.equal(r(2)['tcp.options.sack_le'], '100,300,500');
    assert.equal(r(2)['tcp.options.sack_re'], '200,400,600');
    assert.equal(r(2)['tcp.len'], '33');
    // 3
    assert.equal(r(3)['tcp.flags'], '0x01ff');
    assert.equal(r(3)['tcp.urgent_pointer'], '1');
    assert.equal(r(3)['tcp.checksum.status'], GOOD);
    // 4
    assert.equal(r(4)['tcp.checksum.status'], GOOD);
    assert.equal(r(4)['tcp.len'], '11');
    assert.equal(Number(r(4)['ipv6.flow']), 0x12345);
    assert.equal(r(4)['ipv6.hopopts.nxt'], String(IPPROTO_DSTOPTS));
    // 5, 6
    assert.equal(r(5)['udp.checksum.status'], GOOD);
    assert.equal(r(5)['udp.length'], '25');
    assert.equal(r(6)['udp.checksum.status'], GOOD);
    // 7
    assert.equal(r(7)['icmp.checksum.status'], GOOD);
    assert.equal(r(7)['icmp.ident'], '119');
    // 8: the outer and the quoted addresses, the quoted TCP port
    assert.equal(r(8)['icmp.type'], '3');
    assert.equal(r(8)['icmp.code'], '13');
    assert.equal(r(8)['icmp.checksum.status'], GOOD);
    assert.equal(r(8)['ip.src'], '198.51.100.7,192.0.2.1');
    assert.equal(r(8)['tcp.srcport'], '40001');
    // 9, 10
    assert.equal(r(9)['icmpv6.type'], '1');
    assert.equal(r(9)['icmpv6.checksum.status'], GOOD);
    assert.equal(r(10)['icmpv6.type'], '128');
    assert.equal(r(10)['icmpv6.checksum.status'], GOOD);
    // 11-13: fragments; the reassembled datagram's UDP checksum is good
    assert.equal(r(11)['ip.flags.mf'], '1');
    assert.equal(r(12)['ip.frag_offset'], String(1480 / 8), 'tshark 4.0 shows the offset in 8-byte units');
    assert.equal(r(13)['ip.flags.mf'], '0');
    assert.equal(r(13)['udp.length'], '3008');
    assert.equal(r(13)['udp.checksum.status'], GOOD);
  } finally {
    t.done();
  }
});

test('SLL, SLL2 and raw IP link headers are read by tshark', () => {
  const t = tempDir();
  try {
    const l4 = { kind: 'tcp' as const, srcPort: 1234, dstPort: 80, seq: 1, ack: 1, flags: ACK, window: 10 };
    const cases: [LinkSpec, number, string][] = [
      [{ kind: 'sll', packetType: 4, addr: mac('02:00:00:00:00:09') }, 113, 'sll.pkttype'],
      [{ kind: 'sll2', packetType: 0, addr: mac('02:00:00:00:00:09'), ifIndex: 3 }, 276, 'sll.ifindex'],
      [{ kind: 'raw' }, 101, 'ip.version'],
    ];
    for (const [link, lt, field] of cases) {
      const file = t.file(`${link.kind}.pcap`);
      const w = new PcapWriter(file, { linkType: lt });
      w.write(1, 0, packet({ link, ip: v4, l4 }));
      w.close();
      const [row] = tsharkFields(file, [field, 'tcp.checksum.status', 'ip.dst'], CHECK);
      assert.notEqual(row[field], '', `${link.kind}: ${field}`);
      assert.equal(row['tcp.checksum.status'], GOOD, link.kind);
      assert.equal(row['ip.dst'], '198.51.100.7', link.kind);
    }
  } finally {
    t.done();
  }
});

test('builds over a million short packets per second into a reused buffer', () => {
  const spec: PacketSpec = { link: eth, ip: v4, l4: { kind: 'tcp', srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: ACK, window: 100, options: { ts: [1, 2] } } };
  const tcp = spec.l4 as { seq: number };
  const b = new Uint8Array(2048);
  const payload = new Uint8Array(100);
  for (let i = 0; i < 50_000; i++) buildPacket(b, 0, spec, payload); // warm up the JIT
  const n = 300_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    tcp.seq = i * 100;
    buildPacket(b, 0, spec, payload);
  }
  const perSec = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  // a floor with margin because the machine is shared (about 4 M/s measured for 100-byte payloads,
  // 1.5 M/s for 1448 bytes); the bench generator relies on this speed
  assert.ok(perSec > 1_000_000, `only ${Math.round(perSec)} packets/s`);
});
