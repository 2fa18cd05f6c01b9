// The lane merger: several conversations in one capture, frames in time order, every frame kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCapture } from '../../../src/capture/open.js';
import { tempDir } from '../tshark.js';
import { genNfsWorkload, genSmb2Workload } from './workload.js';

async function times(file: string): Promise<{ n: number; outOfOrder: number; first: number; last: number; maxGap: number }> {
  let prev = -1;
  let outOfOrder = 0;
  let n = 0;
  let first = 0;
  let maxGap = 0;
  await readCapture(file, (f) => {
    const t = (f.tsSec - 1_700_000_000) * 1e9 + f.tsNsec;
    if (n === 0) first = t;
    if (t < prev) outOfOrder++;
    if (n > 0) maxGap = Math.max(maxGap, t - prev);
    prev = t;
    n++;
  });
  return { n, outOfOrder, first, last: prev, maxGap };
}

test('four SMB2 and four NFS connections merge into one time-ordered capture with every frame', async () => {
  const tmp = tempDir();
  try {
    for (const [name, gen] of [['smb2', genSmb2Workload], ['nfs', genNfsWorkload]] as const) {
      const file = tmp.file(`${name}.pcap`);
      const r = gen(file, { connections: 4, exchanges: 200, seed: 5, lossRate: 0.01, reorderRate: 0.01 });
      const t = await times(file);
      assert.equal(t.n, r.packets, `${name}: frames written = frames read`);
      assert.equal(t.outOfOrder, 0, `${name}: timestamps never go back`);
      assert.ok(t.last - t.first > 10e6, `${name}: the capture spans more than 10 ms (${t.last - t.first} ns)`);
      assert.equal(Object.values(r.exchanges).reduce((a, b) => a + b, 0) >= 200, true);
    }
  } finally {
    tmp.done();
  }
});

test('a long lossy connection never stalls: retransmission timeouts stay near the minimum', async () => {
  // without settleRto() every timeout doubled the RTO for the rest of the connection: after a
  // few dozen losses the capture held gaps of 10-60 s with every lane waiting
  const tmp = tempDir();
  try {
    const file = tmp.file('long.pcap');
    genSmb2Workload(file, { connections: 1, exchanges: 3000, seed: 6, lossRate: 0.01, reorderRate: 0 });
    const t = await times(file);
    assert.ok(t.maxGap < 1e9, `largest gap between frames ${(t.maxGap / 1e9).toFixed(3)} s`);
  } finally {
    tmp.done();
  }
});
