import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesOf, pcapFile, readAll } from './build.test-util.js';

const recs = [
  { sec: 1_700_000_000, frac: 123_456, data: bytesOf(60, 1) },
  { sec: 1_700_000_001, frac: 999_999, data: bytesOf(1514, 2), origlen: 1514 },
  { sec: 4_291_747_200, frac: 0, data: bytesOf(54, 3), origlen: 1500 }, // 2106: seconds are unsigned; cut by snaplen
];

for (const le of [true, false]) {
  for (const nanos of [false, true]) {
    test(`pcap ${le ? 'little' : 'big'}-endian ${nanos ? 'nanosecond' : 'microsecond'}: fields, times, truncation mark`, async () => {
      const file = pcapFile({ le, nanos, linkType: 113 }, recs);
      for (const chunk of [1, 7, 4096]) {
        const { frames, summary } = await readAll(file, chunk);
        assert.equal(summary.frames, 3);
        assert.equal(summary.info.byteOrder, le ? 'le' : 'be');
        assert.equal(summary.info.interfaces[0].tsDigits, nanos ? 9 : 6);
        assert.equal(summary.truncatedFrames, 1);
        assert.equal(summary.issues.length, 0);
        assert.deepEqual(frames.map((f) => f.number), [1, 2, 3]);
        assert.equal(frames[0].nsec, nanos ? 123_456 : 123_456_000);
        assert.equal(frames[2].sec, 4_291_747_200);
        assert.equal(frames[2].caplen, 54);
        assert.equal(frames[2].origlen, 1500);
        assert.equal(frames[1].linkType, 113);
        assert.deepEqual(frames[1].data, Array.from(recs[1].data));
        assert.equal(frames[0].offset, 24);
        assert.equal(frames[1].offset, 24 + 16 + 60);
        assert.equal(summary.firstNs, 1_700_000_000n * 1_000_000_000n + (nanos ? 123_456n : 123_456_000n));
      }
    });
  }
}

test('pcap cut at every length: frames before the cut, a file_truncated error naming the offset, never a throw', async () => {
  const file = pcapFile({}, recs);
  const ends = [24, 24 + 16 + 60, 24 + 16 + 60 + 16 + 1514, file.length];
  for (let n = 24; n <= file.length; n++) {
    const { frames, summary } = await readAll(file.subarray(0, n), 97);
    const complete = ends.filter((e) => e <= n).length - 1;
    assert.equal(frames.length, complete, `cut at ${n}`);
    if (ends.includes(n)) assert.equal(summary.issues.length, 0, `cut at ${n}`);
    else {
      assert.equal(summary.issues[0].code, 'file_truncated', `cut at ${n}`);
      assert.equal(summary.issues[0].offset, ends[complete], `cut at ${n}`);
      assert.equal(summary.stoppedEarly, true);
    }
  }
});

test('pcap record with an absurd length: stop with record_length_absurd, earlier frames kept', async () => {
  const file = pcapFile({}, recs.slice(0, 2));
  const bad = new Uint8Array(file.length + 16);
  bad.set(file);
  const v = new DataView(bad.buffer);
  v.setUint32(file.length + 8, 0x30303030, true); // caplen like the fuzzed corpus file's
  v.setUint32(file.length + 12, 0x30303030, true);
  const { frames, summary } = await readAll(bad);
  assert.equal(frames.length, 2);
  assert.equal(summary.issues[0].code, 'record_length_absurd');
  assert.equal(summary.issues[0].offset, file.length);
  assert.equal(summary.issues[0].frame, 2);
});

test('pcap timestamp fraction out of range is carried into seconds and reported', async () => {
  const file = pcapFile({}, [{ sec: 10, frac: 1_000_000, data: bytesOf(10, 0) }, { sec: 10, frac: 2_500_000, data: bytesOf(10, 0) }]);
  const { frames, summary } = await readAll(file);
  assert.deepEqual(frames.map((f) => [f.sec, f.nsec]), [[11, 0], [12, 500_000_000]]);
  assert.equal(summary.issueCounts.timestamp_invalid, 2);
});

test('records larger than the read window are reassembled across refills', async () => {
  const big = bytesOf(200_000, 9);
  const file = pcapFile({ snaplen: 262144 }, [{ sec: 1, frac: 0, data: big }, { sec: 2, frac: 0, data: bytesOf(5, 1) }]);
  const { frames } = await readAll(file, 65536);
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[0].data.slice(-5), Array.from(big.subarray(-5)));
});

test('not a capture: a clear error naming the input', async () => {
  await assert.rejects(readAll(new TextEncoder().encode('hello world, this is not a capture file')), /mem: not a readable pcap or pcapng capture: unknown file format/);
  await assert.rejects(readAll(new Uint8Array(0)), /the file is empty/);
  await assert.rejects(readAll(pcapFile({}, []).subarray(0, 10)), /ends inside the pcap file header/);
});
