// Both writers read back by tshark and by pcapdx's own reader: byte orders, timestamp resolutions,
// snaplen cuts, several interfaces with if_tsresol / if_tsoffset, every packet block type, unknown
// blocks, comments, and a second section.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCapture } from '../../src/capture/open.js';
import type { Frame } from '../../src/capture/types.js';
import { ACK, ip, mac, packet } from './packets.js';
import { PcapWriter } from './pcap-writer.js';
import { PcapngWriter } from './pcapng-writer.js';
import { MemorySink } from './sink.js';
import { tempDir, tsharkFields } from './tshark.js';

const pkt = (n: number) => packet(
  { link: { kind: 'ethernet', src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02') }, ip: { v: 4, src: ip('10.0.0.1'), dst: ip('10.0.0.2') }, l4: { kind: 'tcp', srcPort: 1000 + n, dstPort: 9, seq: n, ack: 0, flags: ACK, window: 1 } },
  new Uint8Array(100 + n).fill(n),
);

interface Seen { sec: number; nsec: number; caplen: number; origlen: number; iface: number; first: number }
async function ourReader(file: string): Promise<{ frames: Seen[]; issues: number }> {
  const frames: Seen[] = [];
  const s = await readCapture(file, (f: Frame) => frames.push({ sec: f.tsSec, nsec: f.tsNsec, caplen: f.caplen, origlen: f.origlen, iface: f.iface, first: f.data[0] }));
  return { frames, issues: s.issues.filter((i) => i.severity !== 'info').length };
}

test('pcap: both byte orders, usec and nsec magic, snaplen cuts, read back by tshark and pcapdx', async () => {
  const t = tempDir();
  try {
    for (const byteOrder of ['le', 'be'] as const) {
      for (const nanos of [false, true]) {
        const file = t.file(`w-${byteOrder}-${nanos}.pcap`);
        const w = new PcapWriter(file, { linkType: 1, byteOrder, nanos, snaplen: 120 });
        w.write(1_700_000_000, 123_456_789, pkt(1)); // 155 bytes: cut to 120
        w.write(1_700_000_001, 5, pkt(2).subarray(0, 60), 156); // already cut by the caller
        w.write(4_000_000_000, 999_999_999, pkt(3).subarray(0, 40)); // after 2038 (u32 seconds)
        w.close();
        const rows = tsharkFields(file, ['frame.time_epoch', 'frame.len', 'frame.cap_len']);
        const frac = nanos ? '123456789' : '123456000';
        assert.deepEqual(rows.map((r) => [r['frame.time_epoch'], r['frame.len'], r['frame.cap_len']]), [
          [`1700000000.${frac}`, '155', '120'],
          [`1700000001.${nanos ? '000000005' : '000000000'}`, '156', '60'],
          [`4000000000.${nanos ? '999999999' : '999999000'}`, '40', '40'],
        ], `${byteOrder} nanos=${nanos}`);
        const ours = await ourReader(file);
        assert.equal(ours.issues, 0);
        assert.deepEqual(ours.frames.map((f) => [f.sec, f.nsec, f.caplen, f.origlen]), [
          [1_700_000_000, nanos ? 123_456_789 : 123_456_000, 120, 155],
          [1_700_000_001, nanos ? 5 : 0, 60, 156],
          [4_000_000_000, nanos ? 999_999_999 : 999_999_000, 40, 40],
        ]);
      }
    }
  } finally {
    t.done();
  }
});

test('pcap writer output is byte-exact for a known header', () => {
  const m = new MemorySink();
  const w = new PcapWriter(m, { linkType: 113, byteOrder: 'be', nanos: true, snaplen: 65535 });
  w.write(1, 2, Uint8Array.of(0xaa, 0xbb));
  w.close();
  const hex = Buffer.from(m.bytes()).toString('hex');
  assert.equal(hex, 'a1b23c4d' + '0002' + '0004' + '00000000' + '00000000' + '0000ffff' + '00000071' + '00000001' + '00000002' + '00000002' + '00000002' + 'aabb');
});

test('pcapng: sections in both byte orders, interfaces with tsresol/tsoffset, EPB/SPB/OPB, unknown blocks, comments', async () => {
  const t = tempDir();
  try {
    const file = t.file('w.pcapng');
    const w = new PcapngWriter(file);
    w.section('be');
    const usec = w.iface({ linkType: 1, name: 'eth0' }); // default resolution: microseconds
    const nsec = w.iface({ linkType: 1, tsresol: 9, snaplen: 80, name: 'eth1' });
    const bin = w.iface({ linkType: 1, tsresol: 0x80 | 20 }); // 2^-20 s
    const off = w.iface({ linkType: 1, tsresol: 9, tsoffset: 1_600_000_000 });
    w.packet(usec, 1_700_000_000, 123_456_789, pkt(1), undefined, 'first frame: usec interface');
    w.packet(nsec, 1_700_000_000, 123_456_789, pkt(2)); // cut to 80 by the interface snaplen
    w.block(0x0badf00d, Uint8Array.of(1, 2, 3)); // unknown block, skipped by readers
    w.packet(bin, 1_700_000_000, 500_000_000, pkt(3));
    w.packet(off, 1_700_000_001, 7, pkt(4), undefined, 'tsoffset interface');
    w.obsoletePacket(usec, 1_700_000_002, 0, pkt(5));
    w.section('le');
    const le0 = w.iface({ linkType: 1, tsresol: 9 });
    w.simplePacket(pkt(6));
    w.packet(le0, 1_700_000_003, 1, pkt(7));
    w.close();

    const rows = tsharkFields(file, ['frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.interface_id', 'frame.comment', 'tcp.srcport']);
    assert.equal(rows.length, 7);
    const col = (k: string) => rows.map((r) => r[k]);
    assert.deepEqual(col('frame.len'), ['155', '156', '157', '158', '159', '160', '161']);
    assert.deepEqual(col('frame.cap_len'), ['155', '80', '157', '158', '159', '160', '161']);
    assert.deepEqual(col('frame.interface_id'), ['0', '1', '2', '3', '0', '0', '0']);
    assert.equal(rows[0]['frame.time_epoch'], '1700000000.123456000');
    assert.equal(rows[1]['frame.time_epoch'], '1700000000.123456789');
    assert.equal(rows[2]['frame.time_epoch'], '1700000000.500000000'); // 0.5 s is exact in 2^-20 units
    assert.equal(rows[3]['frame.time_epoch'], '1700000001.000000007');
    assert.equal(rows[4]['frame.time_epoch'], '1700000002.000000000');
    assert.equal(rows[6]['frame.time_epoch'], '1700000003.000000001');
    assert.equal(rows[0]['frame.comment'], 'first frame: usec interface');
    assert.equal(rows[3]['frame.comment'], 'tsoffset interface');
    assert.deepEqual(col('tcp.srcport'), ['1001', '1002', '1003', '1004', '1005', '1006', '1007']);

    const ours = await ourReader(file);
    assert.equal(ours.issues, 0);
    assert.deepEqual(ours.frames.map((f) => f.origlen), [155, 156, 157, 158, 159, 160, 161]);
    assert.deepEqual(ours.frames.map((f) => f.caplen), [155, 80, 157, 158, 159, 160, 161]);
    assert.deepEqual(ours.frames.slice(0, 5).map((f) => [f.sec, f.nsec]), [
      [1_700_000_000, 123_456_000], [1_700_000_000, 123_456_789], [1_700_000_000, 500_000_000], [1_700_000_001, 7], [1_700_000_002, 0],
    ]);
  } finally {
    t.done();
  }
});

test('writers stream in large blocks: a 100,000-frame capture is written with few sink writes', () => {
  let writes = 0;
  let bytes = 0;
  const sink = { write: (c: Uint8Array) => { writes++; bytes += c.length; }, close: () => {} };
  const w = new PcapngWriter(sink);
  const id = w.iface({ linkType: 1, tsresol: 9 });
  const p = pkt(50);
  for (let i = 0; i < 100_000; i++) w.packet(id, 1_700_000_000 + (i >> 10), i, p);
  w.close();
  assert.ok(bytes > 100_000 * p.length);
  assert.ok(writes <= Math.ceil(bytes / (4 * 1024 * 1024)) + 1, `${writes} writes for ${bytes} bytes`);
});
