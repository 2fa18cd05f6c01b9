import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../synth/tshark.js';
import { generateHealthyNlm, generateHealthySmb, generateNoise } from './controls.js';
import { checkFindings } from './expect.js';
import { checkGenerated } from './helpers.js';
import { fields, framesWhere, framesWith } from './oracle.js';
import type { Finding } from '../../src/diagnose/finding.js';

const tmp = tempDir();
after(() => tmp.done());

test('healthy SMB2: echoes every ~61.5 s, each answered, tshark sees ECHO exactly there', async () => {
  const g = generateHealthySmb({ path: tmp.file('smb.pcapng'), seed: 1 });
  assert.deepEqual(await checkGenerated(g), []);
  const rows = fields(g.path, ['smb2.cmd', 'tcp.flags.str']);
  assert.deepEqual(framesWhere(rows, 'smb2.cmd', '13'), [...g.expect.facts.echoRequests, ...g.expect.facts.echoResponses].sort((a, b) => a - b));
  assert.equal(rows.filter((r) => /[FR]/.test(r['tcp.flags.str'].replace(/·/g, ''))).length, 0, 'no FIN, no RST');
  assert.deepEqual(g.expect.findings, []);
});

test('healthy NLM reconnect: one SYN after GETPORT, completed handshake, NULL answered', async () => {
  const g = generateHealthyNlm({ path: tmp.file('nlm.pcapng'), seed: 2 });
  assert.deepEqual(await checkGenerated(g), []);
  const rows = fields(g.path, ['tcp.flags.str', 'portmap.port', 'rpc.program', 'rpc.msgtyp']);
  assert.equal(rows[g.expect.facts.getportReply - 1]['portmap.port'], '304');
  assert.equal(rows.filter((r) => r['tcp.flags.str'].replace(/·/g, '').trim() === 'S').length, 2, 'one SYN per connection');
  assert.equal(framesWhere(rows, 'rpc.program', '100021').length, 2, 'NULL call and its reply');
});

test('TCP noise: SYN retransmission, zero window, keep-alives are labelled by tshark and expected to stay quiet', async () => {
  const g = generateNoise({ path: tmp.file('noise.pcapng'), seed: 3 });
  await checkGenerated(g);
  const rows = fields(g.path, ['tcp.analysis.retransmission', 'tcp.analysis.zero_window', 'tcp.analysis.zero_window_probe', 'tcp.analysis.keep_alive']);
  const f = g.expect.facts;
  assert.ok(framesWith(rows, 'tcp.analysis.retransmission').includes(f.synRetransmission));
  assert.ok(framesWith(rows, 'tcp.analysis.zero_window').length > 0);
  assert.deepEqual(framesWith(rows, 'tcp.analysis.zero_window_probe'), f.zeroWindow);
  assert.deepEqual(framesWith(rows, 'tcp.analysis.keep_alive'), f.keepAlives);
  assert.equal(f.keepAlives.length, 2);
});

test('checkFindings: accepts what the expectation asks, names what is missing, wrong or too loud', () => {
  const g = generateNoise({ path: tmp.file('noise2.pcapng'), seed: 4 });
  const ka: Finding = {
    id: 'tcp/keepalive', severity: 'info', summary: '2 keep-alives (Linux and Windows style)', explanation: 'x',
    frames: g.expect.facts.keepAlives, metrics: { count: 2, style: 'both' },
  };
  assert.deepEqual(checkFindings(g.expect, [ka]), []);
  assert.deepEqual(checkFindings(g.expect, []), ['missing tcp/keepalive']);
  assert.match(checkFindings(g.expect, [{ ...ka, metrics: { count: 3, style: 'both' } }])[0], /metric count/);
  assert.match(checkFindings(g.expect, [{ ...ka, frames: [1] }])[0], /evidence lacks/);
  const loud: Finding = { ...ka, id: 'tcp/handshake-failed', severity: 'error', summary: 'SYN re-sent after 1 s' };
  assert.match(checkFindings(g.expect, [ka, loud])[0], /must stay quiet/);
  assert.deepEqual(checkFindings(g.expect, [ka, { ...loud, severity: 'info' }]), [], 'info is allowed');
});
