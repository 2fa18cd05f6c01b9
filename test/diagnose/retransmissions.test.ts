// tcp/retransmissions names a connection that ends in unanswered, backed-off retransmissions (the
// peer or the path went silent) apart from one that lost segments and recovered.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import { corpusDir } from '../corpus.js';

test('connection-lost-rto: five backed-off retransmissions with no answer after the peer\'s ACK in frame 4', async () => {
  const f = runRules(await analyse([`${corpusDir()}/tcp/connection-lost-rto.pcap`])).filter((x) => x.id === 'tcp/retransmissions');
  assert.equal(f.length, 1);
  assert.equal(f[0].metrics.unanswered_retransmissions_at_end, 5);
  assert.match(f[0].summary, /the capture ends with 5 retransmissions by 10\.3\.30\.1:1048, backing off, and no answer from 10\.3\.71\.7:1043 after frame 4\.$/);
  assert.match(f[0].explanation, /frames 5, 6, 7, 8, 9\), 600 ms, 1\.20 s, 2\.40 s, 4\.80 s apart, each wait longer than the last/);
  assert.match(f[0].explanation, /the peer stopped answering/);
});

test('smb2-syn-retrans-delete: a lease break the client never acknowledges, re-sent 4 times to the end', async () => {
  const f = runRules(await analyse([`${corpusDir()}/smb/smb2-syn-retrans-delete.pcap`])).filter((x) => x.id === 'tcp/retransmissions');
  assert.equal(f.length, 1);
  assert.equal(f[0].metrics.unanswered_retransmissions_at_end, 4);
  // 0.3, 0.6, 1.2, 1.2 s: the timer reached its cap, so not called backing off
  assert.match(f[0].summary, /4 retransmissions by 192\.168\.1\.51:445 and no answer from 192\.168\.1\.12:54927\.$/);
});

test('a lossy download that recovers is not called silent', async () => {
  for (const rel of ['tcp/email-troubles-loss.pcap', 'tcp/ooo-retrans-zero-window.pcap', 'nfs-rpc/nfsv3-ipv6-tcp-loss-tail.pcap', 'tcp/window-full-printer.pcapng']) {
    const f = runRules(await analyse([`${corpusDir()}/${rel}`])).filter((x) => x.id === 'tcp/retransmissions');
    assert.ok(f.length > 0, rel);
    for (const x of f) assert.equal(x.metrics.unanswered_retransmissions_at_end, undefined, `${rel}: ${x.summary}`);
  }
});

test('window-full-printer: retransmissions into the printer\'s full window are the receiver holding back, not loss', async () => {
  const f = runRules(await analyse([`${corpusDir()}/tcp/window-full-printer.pcapng`])).filter((x) => x.id === 'tcp/retransmissions');
  assert.equal(f.length, 1);
  assert.equal(f[0].metrics.window_full_retransmissions, 2);
  assert.deepEqual(f[0].frames.slice(0, 2), [122, 120]);
  assert.match(f[0].summary, /every retransmission filled the receive window of 172\.16\.0\.253:9100, which then went silent\.$/);
  assert.match(f[0].explanation, /not loss on the network/);
  assert.doesNotMatch(f[0].explanation, /were lost or delayed/);
});

test('retransmissions after loss are not called window-full', async () => {
  for (const rel of ['tcp/email-troubles-loss.pcap', 'tcp/connection-lost-rto.pcap', 'nfs-rpc/nfsv3-ipv6-tcp-loss-tail.pcap']) {
    for (const x of runRules(await analyse([`${corpusDir()}/${rel}`])).filter((y) => y.id === 'tcp/retransmissions')) {
      assert.equal(x.metrics.window_full_retransmissions, undefined, `${rel}: ${x.summary}`);
    }
  }
});
