import { test } from 'node:test';
import assert from 'node:assert/strict';
import { block, bytesOf, concat, epb, idb, opb, readAll, shb, spb } from './build.test-util.js';

const NS = 1_000_000_000n;

function twoSections(): Uint8Array {
  return concat([
    // section 1, little-endian: an Ethernet interface in nanoseconds and a raw-IP one in microseconds
    shb(true),
    idb(true, { linkType: 1, tsresol: 9, name: 'eth0' }),
    idb(true, { linkType: 101 }),
    epb(true, 0, 1_700_000_000n * NS + 5n, bytesOf(60, 1)),
    block(true, 0x00000bad, bytesOf(13, 7)), // custom block: skipped by its length
    epb(true, 1, 1_700_000_001_000_123n, bytesOf(40, 2), 1500),
    // section 2, big-endian: interface numbering restarts; an offset of 100 s; SPB and OPB
    shb(false),
    idb(false, { linkType: 113, snaplen: 32, tsoffset: 100 }),
    epb(false, 0, 5_000_001n, bytesOf(48, 3)),
    spb(false, bytesOf(64, 4), 64),
    opb(false, 0, 7_000_000n, bytesOf(20, 5)),
  ]);
}

test('pcapng: two sections of different byte order, interfaces with tsresol/tsoffset, EPB/SPB/OPB, unknown block skipped', async () => {
  for (const chunk of [1, 5, 1 << 20]) {
    const { frames, summary } = await readAll(twoSections(), chunk);
    assert.equal(summary.info.format, 'pcapng');
    assert.equal(summary.info.sections, 2);
    assert.equal(summary.info.byteOrder, 'le');
    assert.equal(summary.info.interfaces.length, 3);
    assert.deepEqual(summary.info.interfaces.map((i) => [i.linkType, i.tsDigits, i.section]), [[1, 9, 0], [101, 6, 0], [113, 6, 1]]);
    assert.equal(summary.info.interfaces[0].name, 'eth0');
    assert.equal(summary.issues.length, 0, JSON.stringify(summary.issues));
    assert.equal(frames.length, 5);
    assert.deepEqual(frames.map((f) => f.linkType), [1, 101, 113, 113, 113]);
    assert.deepEqual([frames[0].sec, frames[0].nsec], [1_700_000_000, 5]);
    assert.deepEqual([frames[1].sec, frames[1].nsec, frames[1].caplen, frames[1].origlen], [1_700_000_001, 123_000, 40, 1500]);
    assert.deepEqual([frames[2].sec, frames[2].nsec], [105, 1000]); // 5.000001 s + 100 s offset
    // simple packet block: no timestamp; captured bytes limited by the interface snaplen (32)
    assert.deepEqual([frames[3].sec, frames[3].caplen, frames[3].origlen], [0, 32, 64]);
    assert.deepEqual([frames[4].sec, frames[4].nsec], [107, 0]);
    assert.deepEqual(frames[4].data, Array.from(bytesOf(20, 5)));
  }
});

test('pcapng binary timestamp resolution (2^-20 s)', async () => {
  const file = concat([shb(true), idb(true, { tsresol: 0x80 | 20 }), epb(true, 0, (3n << 20n) + (1n << 19n), bytesOf(10, 0))]);
  const { frames } = await readAll(file);
  assert.deepEqual([frames[0].sec, frames[0].nsec], [3, 500_000_000]);
});

test('pcapng cut at every length: frames before the cut, an error naming the offset, never a throw', async () => {
  const file = twoSections();
  let errors = 0;
  for (let n = 0; n <= file.length; n++) {
    try {
      const { summary } = await readAll(file.subarray(0, n), 64);
      if (summary.issues.length) {
        errors++;
        assert.equal(summary.issues[0].code, 'file_truncated');
        assert.ok(summary.issues[0].offset < n);
      }
    } catch (e) {
      // only a file cut inside the very first block header is "not a capture"
      assert.ok(n < 28, `cut at ${n}: ${(e as Error).message}`);
    }
  }
  assert.ok(errors > file.length / 2);
});

test('pcapng block that lies about its length: stop with block_length_mismatch at that block', async () => {
  const good = concat([shb(true), idb(true), epb(true, 0, 1n, bytesOf(30, 1))]);
  const liar = epb(true, 0, 2n, bytesOf(30, 2));
  new DataView(liar.buffer).setUint32(liar.length - 4, 999, true);
  const { frames, summary } = await readAll(concat([good, liar, epb(true, 0, 3n, bytesOf(30, 3))]));
  assert.equal(frames.length, 1);
  assert.equal(summary.issues[0].code, 'block_length_mismatch');
  assert.equal(summary.issues[0].offset, good.length);
});

test('pcapng packet block claiming more bytes than it holds, and one naming an unknown interface', async () => {
  const lying = epb(true, 0, 2n, bytesOf(30, 2));
  new DataView(lying.buffer).setUint32(8 + 12, 5000, true); // caplen
  const r1 = await readAll(concat([shb(true), idb(true), epb(true, 3, 1n, bytesOf(8, 0)), epb(true, 0, 1n, bytesOf(8, 0)), lying]));
  assert.equal(r1.frames.length, 1);
  assert.equal(r1.summary.issueCounts.unknown_interface, 1);
  assert.equal(r1.summary.issueCounts.record_length_absurd, 1);
});
