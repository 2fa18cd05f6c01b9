import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ByteSink, Lit, Output } from './output.js';
import { writeSeconds } from './flows.js';

/** A stream that keeps what it is given, as bytes, and the chunks' sizes. */
function sinkStream(): { stream: Writable; text: () => string; chunks: number[] } {
  const parts: Buffer[] = [];
  const chunks: number[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(Buffer.from(chunk));
      chunks.push(chunk.length);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(parts).toString('utf8'), chunks };
}

const COLON = new Lit(':');

test('Output: byte lines and string lines keep their order; long lines move or grow the chunk', async () => {
  const s = sinkStream();
  const out = new Output(s.stream);
  const want: string[] = [];
  const b = out.bytes;
  for (let i = 0; i < 20_000; i++) {
    if (i % 7000 === 3) {
      out.line(`string ${i} é`);
      want.push(`string ${i} é`);
      continue;
    }
    b.beginLine();
    // some lines far longer than a chunk
    const len = i % 5000 === 17 ? 700_000 : i % 50;
    b.str('L'); b.int(i); b.lit(COLON);
    for (let k = 0; k < len; k++) b.bytes(Uint8Array.of(0x61 + (k % 26)), 1);
    b.int9(i);
    b.endLine();
    let x = `L${i}:`;
    for (let k = 0; k < len; k++) x += String.fromCharCode(0x61 + (k % 26));
    want.push(x + String(i).padStart(9, '0'));
  }
  await out.end();
  assert.equal(s.text(), want.join('\n') + '\n');
  // written in large chunks, not per line
  assert.ok(s.chunks.length < 200, String(s.chunks.length));
});

test('ByteSink without a stream: takeLine gives each line as a string', () => {
  const b = new ByteSink();
  const got: string[] = [];
  for (let i = 0; i < 3; i++) {
    b.beginLine();
    b.lit(new Lit('{"file":"é",'));
    b.int(i * 1e12 + 7);
    got.push(b.takeLine('utf8'));
  }
  assert.deepEqual(got, ['{"file":"é",7', '{"file":"é",1000000000007', '{"file":"é",2000000000007']);
  b.int(-1); b.str('|'); b.int(0.5); b.str('|'); b.int(2 ** 60); b.byte(0x7c);
  for (const v of [0, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 1e15 + 1, 2 ** 53 - 1]) { b.int(v); b.lit(COLON); }
  b.int9(0); b.int9(999_999_999); b.int9(1234);
  assert.equal(b.takeLine('latin1'), `-1|0.5|${2 ** 60}|0:9:10:99:100:2147483647:2147483648:4294967301:1000000000000001:9007199254740991:` +
    '000000000999999999000001234');
});

test('writeSeconds writes exactly String(ns / 1e9)', () => {
  const b = new ByteSink();
  const check = (ns: number): void => {
    writeSeconds(b, ns);
    assert.equal(b.takeLine('latin1'), String(ns / 1e9), String(ns));
  };
  for (const ns of [0, 1, 999, 1000, 1001, 1e9, 1e9 + 1, 123456789, 1e15 - 1, 1e15, 1e16 + 3, -5, -1e9, 2.5, 0.1,
    1e21 * 1e9, 999_999_999_999_999, 100_000_000_000_000, 4_294_967_296_000]) check(ns);
  // random integers of every magnitude (deterministic generator)
  let x = 12345;
  const rnd = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 200_000; i++) {
    const digits = 1 + Math.floor(rnd() * 16);
    check(Math.floor(rnd() * 10 ** digits));
  }
});
