import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer, MAX_PDU_BYTES, PROBE_NO, type FramingSpec, type PduInfo } from './framer.js';
import { u32be } from '../bytes/reader.js';
import { netbiosFraming } from './smb2/netbios.js';
import { concat, ECHO_BODY, netbios, smb2Header, u32 } from './testkit.js';

interface Got { len: number; wireLen: number; missing: number; first: number; last: number; msgId: number }

function framer(synced = true): { f: Framer; got: Got[] } {
  const got: Got[] = [];
  const f = new Framer(netbiosFraming, {
    onPdu(b: Uint8Array, off: number, len: number, info: PduInfo) {
      const msgId = len >= 32 ? b[off + 4 + 24] : -1;
      got.push({ len, wireLen: info.wireLen, missing: info.missing, first: info.firstFrame, last: info.lastFrame, msgId });
    },
  }, synced);
  return { f, got };
}

const echo = (id: number): Uint8Array => netbios(concat(smb2Header({ cmd: 13, msgId: id }), ECHO_BODY));

function feed(f: Framer, data: Uint8Array, cuts: number[], firstFrame = 1): void {
  let prev = 0;
  let frame = firstFrame;
  let offset = 0;
  for (const c of [...cuts, data.length]) {
    const pad = concat(new Uint8Array(3), data.subarray(prev, c));
    f.onData(pad, 3, c - prev, offset, frame++, 0, 0);
    offset += c - prev;
    prev = c;
  }
}

test('PDUs framed whole, split at every byte, and several per chunk', () => {
  const stream = concat(echo(1), echo(2), echo(3));
  for (let cut = 1; cut < stream.length; cut++) {
    const { f, got } = framer();
    feed(f, stream, [cut]);
    assert.deepEqual(got.map((g) => g.msgId), [1, 2, 3], `cut at ${cut}`);
    assert.ok(got.every((g) => g.len === 72 && g.missing === 0));
  }
});

test('a PDU spanning segments is attributed to the frame that completes it', () => {
  const { f, got } = framer();
  feed(f, echo(7), [10, 40], 5); // frames 5, 6, 7
  assert.deepEqual([got[0].first, got[0].last], [5, 7]);
});

test('a gap inside a PDU of known length keeps framing: next PDU still found', () => {
  const { f, got } = framer();
  const a = echo(1);
  const b = echo(2);
  f.onData(a, 0, 30, 0, 1, 0, 0);
  f.onGap(20, 30, 2, 'lost');
  f.onData(concat(a.subarray(50), b), 0, 22 + b.length, 50, 3, 0, 0);
  assert.deepEqual(got.map((g) => [g.msgId, g.missing]), [[1, 20], [2, 0]]);
  assert.equal(f.stats.resyncs, 0);
});

test('a gap across a PDU boundary loses sync; the next header is found by scanning', () => {
  const { f, got } = framer();
  const a = echo(1);
  f.onData(a, 0, 40, 0, 1, 0, 0);
  f.onGap(100, 40, 2, 'lost'); // swallows the rest of a and the start of the next PDU
  const junk = new Uint8Array([1, 2, 3, 0, 0, 9, 0xfe]); // includes a false 0x00 start
  const rest = concat(junk, echo(5), echo(6));
  feed(f, rest, [5, 12, 40]);
  assert.deepEqual(got.map((g) => g.msgId), [1, 5, 6]);
  assert.equal(got[0].missing, 32);
  assert.equal(f.stats.resyncs, 1);
});

test('mid-stream start: resync on the first SMB header', () => {
  const { f, got } = framer(false);
  const tail = echo(9).subarray(20);
  feed(f, concat(tail, echo(10), echo(11)), [3, 60, 100]);
  assert.deepEqual(got.map((g) => g.msgId), [10, 11]);
});

test('oversize PDU: header kept, body beyond MAX_PDU_BYTES skipped', () => {
  // a 4-byte big-endian length prefix (NetBIOS cannot express more than 16 MiB)
  const spec: FramingSpec = {
    headerLen: 4,
    pduLength: (b, o) => 4 + u32be(b, o),
    probe: () => PROBE_NO,
  };
  const got: { len: number; wireLen: number; first: number }[] = [];
  const f = new Framer(spec, { onPdu: (b, off, len, info) => got.push({ len, wireLen: info.wireLen, first: b[off + 4] }) });
  const total = MAX_PDU_BYTES + 1000;
  f.onData(concat(u32(total), new Uint8Array([42])), 0, 5, 0, 1, 0, 0);
  const block = new Uint8Array(1 << 20);
  let sent = 1;
  let frame = 2;
  while (sent < total) {
    const n = Math.min(block.length, total - sent);
    f.onData(block, 0, n, 4 + sent, frame++, 0, 0);
    sent += n;
  }
  f.onData(concat(u32(1), new Uint8Array([43])), 0, 5, 4 + total, frame, 0, 0);
  assert.deepEqual(got, [{ len: MAX_PDU_BYTES, wireLen: total + 4, first: 42 }, { len: 5, wireLen: 5, first: 43 }]);
  assert.equal(f.stats.oversizePdus, 1);
});

test('flush delivers a PDU whose body never came, with the rest counted missing', () => {
  const { f, got } = framer();
  const a = echo(3);
  f.onData(a, 0, 40, 0, 8, 0, 0);
  f.flush();
  f.flush(); // idempotent
  assert.deepEqual(got.map((g) => [g.msgId, g.len, g.missing, g.last]), [[3, 40, 32, 8]]);
});

// ---- consumer keep hint ----

interface KeptGot { len: number; wireLen: number; missing: number; trimmed: number; head: number[] }

function keeping(keepFn: (b: Uint8Array, off: number, avail: number, wireLen: number) => number): { f: Framer; got: KeptGot[] } {
  const got: KeptGot[] = [];
  const f = new Framer(netbiosFraming, {
    onPdu(b: Uint8Array, off: number, len: number, info: PduInfo) {
      got.push({ len, wireLen: info.wireLen, missing: info.missing, trimmed: info.trimmed, head: [...b.subarray(off, off + Math.min(len, 80))] });
    },
    keep: keepFn,
  });
  return { f, got };
}

/** an echo-shaped PDU with `extra` bytes of body after the header, bytes numbered */
const bulk = (id: number, extra: number): Uint8Array => {
  const body = new Uint8Array(extra).map((_, i) => (i * 13 + id) & 0xff);
  return netbios(concat(smb2Header({ cmd: 8, msgId: id }), body));
};

test('keep(): only the asked-for start of a collected PDU is stored, at every split', () => {
  const a = bulk(1, 3000);
  const b = bulk(2, 500);
  const stream = concat(a, b);
  for (let cut = 1; cut < a.length; cut += 7) {
    const { f, got } = keeping(() => 80);
    feed(f, stream, [cut, cut + 1448 < stream.length ? cut + 1448 : stream.length - 1]);
    assert.equal(got.length, 2, `cut ${cut}`);
    const g = got[0];
    // a PDU split by the chunking is trimmed to 80 bytes; the bytes kept are the real start
    assert.equal(g.wireLen, a.length);
    assert.equal(g.len + g.trimmed, a.length, `cut ${cut}`);
    assert.equal(g.len, 80, `cut ${cut}`);
    assert.deepEqual(g.head, [...a.subarray(0, 80)]);
    assert.equal(g.missing, 0);
    // the next PDU is found where it starts
    assert.equal(got[1].wireLen, b.length);
    assert.deepEqual(got[1].head.slice(0, 40), [...b.subarray(0, 40)]);
  }
});

test('keep(): undecided until enough bytes, then trimmed; stats count the bytes not stored', () => {
  const a = bulk(3, 4000);
  const asked: number[] = [];
  const { f, got } = keeping((_b, _o, avail) => {
    asked.push(avail);
    return avail < 100 ? -1 : 100;
  });
  feed(f, a, [10, 50, 90, 130, 2000]);
  assert.deepEqual(asked, [10, 50, 90, 130]);
  // decided with 130 bytes stored: those are delivered, nothing after
  assert.deepEqual([got[0].len, got[0].trimmed], [130, a.length - 130]);
  assert.equal(f.stats.trimmedBytes, a.length - 130);
});

test('keep(): a gap in the trimmed part counts as missing; a PDU in one chunk is not asked', () => {
  const a = bulk(4, 2000);
  let asked = 0;
  const { f, got } = keeping(() => {
    asked++;
    return 70;
  });
  f.onData(a, 0, 500, 0, 1, 0, 0);
  f.onGap(600, 500, 2, 'lost');
  f.onData(a, 1100, a.length - 1100, 1100, 3, 0, 0);
  const whole = bulk(5, 100);
  f.onData(whole, 0, whole.length, a.length, 4, 0, 0);
  assert.equal(asked, 1);
  assert.deepEqual(got.map((g) => [g.len, g.missing, g.trimmed]), [[70, 600, a.length - 70], [whole.length, 0, 0]]);
});
