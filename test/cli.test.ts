// The built command as a user runs it: files, gzip, standard input, damaged input, exit codes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pcapFile } from '../src/capture/build.test-util.js';
import { corpusDir } from './corpus.js';

const bin = resolve('dist/pcapdx.mjs');

function run(args: string[], input?: Uint8Array): { code: number; out: string; err: string } {
  assert.ok(existsSync(bin), 'dist/pcapdx.mjs is missing: run npm run build (npm test does)');
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

// Ethernet / IPv4 / TCP SYN 10.0.0.1:40000 -> 10.0.0.2:445, seq 1000, MSS 1460 (hand-assembled)
const SYN = Uint8Array.from([
  0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
  0x45, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
  0x9c, 0x40, 0x01, 0xbd, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
  0x02, 0x04, 0x05, 0xb4,
]);

const dir = mkdtempSync(join(tmpdir(), 'pcapdx-cli-'));
const plain = pcapFile({ nanos: true }, [{ sec: 1_700_000_000, frac: 5, data: SYN }, { sec: 1_700_000_001, frac: 250_000_000, data: SYN }]);
writeFileSync(join(dir, 'a.pcap'), plain);
writeFileSync(join(dir, 'a.pcap.gz'), gzipSync(plain));
writeFileSync(join(dir, 'cut.pcap'), plain.subarray(0, plain.length - 7));
writeFileSync(join(dir, 'text.pcap'), 'not a capture\n');

test('packets: one line per frame with nanosecond relative time, endpoints, flags, seq', () => {
  const r = run(['packets', join(dir, 'a.pcap')]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^\s+1 {2}0\.000000000 {2}10\.0\.0\.1:40000 > 10\.0\.0\.2:445 {2}TCP \[S\] seq=1000 ack=0 win=64240 len=0/);
  assert.match(lines[1], /^\s+2 {2}1\.249999995 /);
});

test('packets --json from gzip on standard input equals the plain file read directly', () => {
  const a = run(['packets', '--json', join(dir, 'a.pcap')]);
  const b = run(['packets', '--json', '-'], gzipSync(plain));
  assert.equal(b.code, 0, b.err);
  assert.equal(b.out, a.out);
  const first = JSON.parse(a.out.split('\n')[0]);
  assert.equal(first.time, '1700000000.000000005');
  assert.deepEqual([first.src, first.srcPort, first.dst, first.dstPort, first.flags, first.seq], ['10.0.0.1', 40000, '10.0.0.2', 445, 'S', 1000]);
  assert.deepEqual(first.options, { mss: 1460 });
});

test('info: format, interfaces, frames and time span; gzip noticed', () => {
  const r = run(['info', join(dir, 'a.pcap.gz')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Format: +pcap 2\.4, little-endian, gzip-compressed/);
  assert.match(r.out, /Interface 0: +Ethernet \(1\), snaplen 65535, nanosecond timestamps/);
  assert.match(r.out, /Frames: +2\n/);
  assert.match(r.out, /Duration: +1\.249999995 s/);
  const j = JSON.parse(run(['info', '--json', join(dir, 'a.pcap')]).out);
  assert.equal(j.frames, 2);
  assert.equal(j.first, '1700000000.000000005');
  assert.equal(j.protocols.tcp, 2);
});

test('a file cut short: the frames before the cut, a message with file and byte offset, exit 2', () => {
  const r = run(['packets', join(dir, 'cut.pcap')]);
  assert.equal(r.code, 2);
  assert.equal(r.out.trim().split('\n').length, 1);
  assert.match(r.err, /cut\.pcap: error: file ends inside a record: .* \(byte offset 98, after frame 1\)/);
});

test('every command on a file cut short: the file and byte offset on stderr, what could be read, exit 2', () => {
  const cut = join(dir, 'cut.pcap');
  const where = /cut\.pcap: error: file ends inside a record: .* \(byte offset 98, after frame 1\)/;
  for (const args of [['flows'], ['flows', '--json'], ['exchanges'], ['srt', '--json'], ['diagnose', '--json', '-q']]) {
    const r = run([...args, cut]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, where, args.join(' '));
  }
  // the frame before the cut is analysed: its connection is in the flows and in the diagnosis
  assert.match(run(['flows', cut]).out, /\t10\.0\.0\.1:40000\t10\.0\.0\.2:445\t/);
  const doc = JSON.parse(run(['diagnose', '--json', '-q', cut]).out) as { captures: { frames: number; stats: { complete: boolean; problems: { code: string; offset: number; after_frame: number }[] } }[]; connections: unknown[] };
  assert.equal(doc.captures[0].frames, 1);
  assert.equal(doc.captures[0].stats.complete, false);
  assert.deepEqual(doc.captures[0].stats.problems.map((p) => [p.code, p.offset, p.after_frame]), [['file_truncated', 98, 1]]);
  assert.equal(doc.connections.length, 1);
  // the terminal report says it where the capture is summarised
  const term = run(['diagnose', '-q', cut]);
  assert.equal(term.code, 2);
  assert.match(term.out, /error at byte offset 98 \(after frame 1\): file ends inside a record: /);
  assert.match(term.out, /reading stopped at the damage: the 1 frames before it are diagnosed/);
});

test('compare with a capture cut short: its byte offset on stderr, the frames before the cut compared, exit 2', () => {
  const full = join(corpusDir(), 'tcp/ssh-dupacks-fast-retrans.pcap');
  const cut = join(dir, 'ssh-cut.pcap');
  writeFileSync(cut, readFileSync(full).subarray(0, 20_000));
  const r = run(['compare', cut, full]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /ssh-cut\.pcap: error: file ends inside a record: .* \(byte offset 19882, after frame 83\)/);
  assert.match(r.out, /A: .*ssh-cut\.pcap \(pcap, 83 frames, 83 compared\)/);
});

test('not a capture, and a missing file: a clear message, exit 2, no stack trace', () => {
  const r = run(['info', join(dir, 'text.pcap')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^pcapdx: .*text\.pcap: not a readable pcap or pcapng capture: unknown file format/);
  const m = run(['info', join(dir, 'nope.pcap')]);
  assert.equal(m.code, 2);
  assert.match(m.err, /nope\.pcap: no such file/);
  assert.doesNotMatch(m.err + r.err, /\n\s+at /);
});

test('packets - prints each frame as it arrives on standard input, before the input ends', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [bin, 'packets', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const firstLine = new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve();
    });
  });
  // the file header and one record; the input stays open
  child.stdin.write(plain.subarray(0, 24 + 16 + SYN.length));
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no line while input open; got ${JSON.stringify(out)}`)), 10_000));
  await Promise.race([firstLine, timeout]);
  assert.match(out, /^\s+1 {2}0\.000000000 {2}10\.0\.0\.1:40000 > 10\.0\.0\.2:445/);
  child.stdin.end(plain.subarray(24 + 16 + SYN.length));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  assert.equal(code, 0);
  assert.equal(out.trimEnd().split('\n').length, 2);
});
