// capture/missing-segments claims capture loss only when the peer acknowledged bytes the capture
// never saw: a hole in one direction's bytes acknowledged before any segment filled it. Wireshark's
// "ACKed unseen segment" label is not that proof (it fires after retransmissions on traffic the
// capture saw whole), so real corpus captures pin both sides.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyse } from '../../src/analysis/analyse.js';
import { runRules } from '../../src/diagnose/engine.js';
import { corpusDir } from '../corpus.js';

async function captureLoss(rel: string) {
  const trace = await analyse([join(corpusDir(), rel)]);
  const lost = runRules(trace).filter((f) => f.id === 'capture/missing-segments' && f.metrics.acked_unseen !== undefined);
  return { trace, lost };
}

test('network loss repaired by retransmissions is not called capture loss (tshark labels frame 332 "ACKed unseen")', async () => {
  const { trace, lost } = await captureLoss('tcp/email-troubles-loss.pcap');
  assert.equal(trace.labelCounts.ack_lost_segment, 1, 'the label this test is about is still there');
  assert.deepEqual(lost, []);
});

test('a hole acknowledged before it was filled is capture loss, named by the acknowledging frame', async () => {
  const { lost } = await captureLoss('tcp/gap-ooo-then-rst.pcap');
  assert.equal(lost.length, 1);
  // frame 20 follows the hole [1994950477, 1994951765); frame 25 acknowledges past it, unfilled
  assert.equal(lost[0].frames[0], 25);
  assert.ok(lost[0].frames.includes(20));
  assert.equal(lost[0].metrics.acked_unseen, 16);
});

test('a SYN restarts the sequence space: challenge ACKs and stale SYN-ACKs of port reuse make no holes', async () => {
  const { lost } = await captureLoss('tcp/port-reuse-tfo-syn-retrans.pcap');
  assert.deepEqual(lost, []);
});
