// README's first command ends in `npm run demo` (scripts/demo.ts): it must write the sample captures, find each
// incident in them, leave the healthy capture without warnings, compare the two-point pair and
// write the HTML report.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

test('npm run demo: incidents A-E found, healthy capture quiet, HTML report written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcapdx-demo-'));
  // the script runs the built CLI (npm test builds before the tests)
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve('scripts/demo.ts'), '--dir', dir, '--no-color'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const id of ['heartbeat/timeout-teardown', 'tcp/syn-burst', 'tcp/synack-for-old-isn', 'icmp/unreachable-for-tcp', 'rpc/retransmission-differs', 'tcp/challenge-ack-on-syn', 'tcp/connect-latency-outliers']) {
    assert.match(r.stdout, new RegExp(`^(CRITICAL|ERROR|WARNING) +${id.replace('/', '\\/')}`, 'm'), `${id} missing from the demo report`);
  }
  // nothing above info about the healthy capture
  const healthy = r.stdout.split('\n').filter((l) => /^(CRITICAL|ERROR|WARNING) /.test(l) && l.includes('healthy-smb2.pcap'));
  assert.deepEqual(healthy, []);
  assert.match(r.stdout, /The network between A and B lost \d+ of [\d,]+ packets/);
  const html = join(dir, 'report.html');
  assert.ok(existsSync(html));
  assert.match(readFileSync(html, 'utf8'), /heartbeat\/timeout-teardown/);
  assert.ok(existsSync(join(dir, 'compare.html')), 'the compare report of the E pair');
});
