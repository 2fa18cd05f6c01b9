// decodeFrame against tshark 4.0's reference output (../shared/corpus/reference) on captures
// that cover every link type and the tricky headers: addresses, ports, flags, seq, ack, tcp.len.
// In the reference, an ICMP error's ip.src/ip.dst hold "outer,inner" and its tcp ports are the
// quoted header's. (The whole-corpus agreement test belongs to the capture reader's tests.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readCapture } from '../capture/open.js';
import { corpusDir, readReference } from '../../test/corpus.js';
import { formatAddr } from './addr.js';
import { decodeFrame } from './decode.js';
import { L3_IPV4, L3_IPV6, newPacket, type Packet, PROTO_TCP } from './packet.js';
import { formatTcpFlagsTshark } from './tcpflags.js';

const FILES = [
  'formats/vlan-qinqinq-tcp.pcap', // Ethernet, three VLAN tags
  'formats/vlan-mpls-mixed-tcp.pcap', // MPLS and VLAN
  'formats/nflog-tcp-http.pcap', // NFLOG
  'formats/sll2-tcp-http.pcap', // Linux cooked v2
  'formats/pcapng-sll-nsec-ipv6-tcp.pcapng', // Linux cooked v1, IPv6
  'formats/ipv6-http-atomic-frag.pcap', // IPv6 extension headers, atomic fragments
  'formats/ipv6-mixed.pcap', // ICMPv6 errors, UDP
  'smb/smb2-echo-macos-dlt-null.pcap', // BSD null
  'tcp/keepalive-0byte-sack-rawip.pcap', // raw IP, SACK
  'tcp/fast-retrans-headers-only.pcap', // snaplen 54: tcp.len from IP
  'tcp/port-reuse-rst-inject.pcap', // reserved bits and AE set
  'tcp/reassembly-loss-fast-retrans.pcap', // IP total length beyond the frame
  'icmp/scan-syn-rst-icmp-unreach.pcap', // ICMP errors
  'icmp/afs-udp-port-unreachable.pcap', // IP fragments
  'malformed/tcp-header-truncated-snaplen.pcap',
  'malformed/tcp-header-46byte-caplen.pcap',
  'malformed/nfs-fuzzed-garbage.pcap',
];
const COLUMNS = ['ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'tcp.dstport', 'tcp.flags.str',
  'tcp.seq', 'tcp.ack', 'tcp.len'];

/** The reference columns as pcapdx would print them from one decoded packet. */
function asTshark(p: Packet): string[] {
  const q = p.quoted;
  const addr = (l3: number, outer: Uint32Array, inner: Uint32Array): string =>
    [p.l3 === l3 ? formatAddr(l3, outer) : '', q.present && q.l3 === l3 ? formatAddr(l3, inner) : '']
      .filter((s) => s !== '').join(',');
  const tcp = p.proto === PROTO_TCP && p.fragment !== 2;
  const quotedTcp = q.present && q.proto === PROTO_TCP && q.hasPorts;
  const port = (mine: number, quoted: number): string =>
    tcp && mine >= 0 ? String(mine) : quotedTcp ? String(quoted) : '';
  const t = tcp && p.tcpValid;
  return [
    addr(L3_IPV4, p.src, q.src), addr(L3_IPV6, p.src, q.src), port(p.srcPort, q.srcPort),
    addr(L3_IPV4, p.dst, q.dst), addr(L3_IPV6, p.dst, q.dst), port(p.dstPort, q.dstPort),
    t ? formatTcpFlagsTshark(p.tcpFlags, p.tcpReserved) : '', t ? String(p.seq) : '', t ? String(p.ack) : '',
    t ? String(p.payloadLength) : '',
  ];
}

for (const rel of FILES) {
  test(`agrees with tshark: ${rel}`, async () => {
    const ref = readReference(rel);
    const idx = COLUMNS.map((c) => ref.col(c));
    const pkt = newPacket();
    let frames = 0;
    const diffs: string[] = [];
    await readCapture(join(corpusDir(), rel), (f) => {
      const row = ref.rows[f.number - 1];
      assert.ok(row, `frame ${f.number} missing from the reference`);
      decodeFrame(f, pkt);
      const mine = asTshark(pkt);
      frames++;
      for (let i = 0; i < COLUMNS.length; i++) {
        if (mine[i] !== row[idx[i]] && diffs.length < 5) {
          diffs.push(`frame ${f.number} ${COLUMNS[i]}: pcapdx '${mine[i]}', tshark '${row[idx[i]]}'`);
        }
      }
    });
    assert.equal(frames, ref.rows.length);
    assert.deepEqual(diffs, []);
  });
}
