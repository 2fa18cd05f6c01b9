// Keep-alive-shaped segments sent into a closed window are zero-window probes (the persist
// timer), answered by the receiver's zero-window ACKs; real keep-alives keep their style name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import { corpusDir } from '../corpus.js';

test('zero-window-dead-probes: persist probes answered by zero-window ACKs, and the stall shows them', async () => {
  const f = runRules(await analyse([`${corpusDir()}/tcp/zero-window-dead-probes.pcapng`]));
  const ka = f.find((x) => x.id === 'tcp/keepalive');
  assert.ok(ka);
  assert.match(ka.summary, /^3 zero-window probes .* 3 answered\.$/);
  assert.equal(ka.metrics.into_zero_window, 3);
  assert.deepEqual(ka.frames, [3, 4, 5, 6, 7, 8]);
  const stall = f.find((x) => x.id === 'tcp/zero-window-stall');
  assert.ok(stall);
  assert.deepEqual(stall.frames, [2, 3, 4, 5, 6, 7, 8]);
});

test('Windows one-byte keep-alives on an open window stay keep-alives, with their answers', async () => {
  const f = runRules(await analyse([`${corpusDir()}/smb/smb2-win10-keepalive-1byte.pcap`]));
  const ka = f.filter((x) => x.id === 'tcp/keepalive');
  assert.equal(ka.length, 1);
  assert.match(ka[0].summary, /^3 TCP keep-alives from both sides .* one-byte \(Windows style\), 3 answered\.$/);
  assert.equal(ka[0].metrics.into_zero_window, 0);
});
