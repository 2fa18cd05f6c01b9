import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, progressWanted, RefillCounter, PROGRESS_DELAY_MS } from './progress.js';
import { READ_CHUNK } from '../capture/window.js';

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, s: { isTTY, columns: 200, write: (x: string) => out.push(x) } };
}

test('progress is wanted only with a terminal on stdout or stderr and without --quiet', () => {
  assert.equal(progressWanted(false, { isTTY: true }, { isTTY: false }), true);
  assert.equal(progressWanted(false, { isTTY: false }, { isTTY: true }), true);
  assert.equal(progressWanted(false, { isTTY: false }, { isTTY: false }), false);
  assert.equal(progressWanted(true, { isTTY: true }, { isTTY: true }), false);
});

test('nothing is drawn in the first second, then bytes of total, rate and ETA; the line is erased at the end', () => {
  let now = 0;
  const { out, s } = sink(true);
  const p = new Progress(400 * 2 ** 20, { enabled: true, stream: s, now: () => now });
  p.phase('reading x.pcap', 0);
  now = PROGRESS_DELAY_MS - 1;
  p.update(50 * 2 ** 20, 100_000);
  assert.deepEqual(out, []);
  now = 2000;
  p.update(100 * 2 ** 20, 1_000_000);
  assert.equal(out.length, 1);
  assert.equal(out[0], '\r\x1b[Kreading x.pcap, 100.0 MiB of 400.0 MiB (25%), 500.0k packets/s, ETA 0:06');
  now = 2100; // within the redraw interval: not drawn again
  p.update(110 * 2 ** 20);
  assert.equal(out.length, 1);
  now = 3000;
  p.update(200 * 2 ** 20);
  assert.equal(out[1], '\r\x1b[Kreading x.pcap, 200.0 MiB of 400.0 MiB (50%), 66.7 MiB/s, ETA 0:03');
  p.end();
  assert.equal(out[2], '\r\x1b[K');
});

test('disabled progress writes nothing; a log (not a terminal) gets plain lines; gzip beyond the size shows no ETA', () => {
  let now = 5000;
  const off = sink(true);
  const p = new Progress(100, { enabled: false, stream: off.s, now: () => now });
  p.update(50);
  p.end();
  assert.deepEqual(off.out, []);
  const log = sink(false);
  now = 0;
  const q = new Progress(2 ** 20, { enabled: true, stream: log.s, now: () => now });
  q.phase('reading x.pcap.gz', 0);
  now = 10_000;
  q.update(3 * 2 ** 20);
  q.end();
  assert.deepEqual(log.out, ['reading x.pcap.gz, 3.0 MiB read, 0.3 MiB/s\n']);
});

test('the refill counter counts whole read chunks before each refill', () => {
  const c = new RefillCounter();
  assert.equal(c.next(), 0);
  assert.equal(c.next(), READ_CHUNK);
  assert.equal(c.next(), 2 * READ_CHUNK);
});
