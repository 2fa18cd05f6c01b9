import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from './analyse.js';
import { connectionsWithHealth } from './views.js';
import { corpusDir } from '../../test/corpus.js';

// captures with retransmissions, RTO stalls, zero windows and many plain connections
const CAPTURES = ['tcp/rto-retransmissions.pcapng', 'tcp/ooo-retrans-zero-window.pcap', 'tcp/ftp-brute-keepalive-zero-window.pcap', 'tcp/syn-scan.pcapng'];

test('connectionsWithHealth keeps exactly the connections with a non-zero health counter, in trace order', async () => {
  let kept = 0;
  let skipped = 0;
  for (const name of CAPTURES) {
    const trace = await analyse([`${corpusDir()}/${name}`]);
    const want = trace.connections.filter((c) => {
      const h = c.health;
      return h.retransmittedData[0] + h.retransmittedData[1] + h.rtoStalls + h.maxRtoStallNs + h.captureDuplicates + h.zeroWindows > 0;
    });
    const got = connectionsWithHealth(trace);
    assert.deepEqual(got.map((e) => e.c.stream), want.map((c) => c.stream), name);
    for (const e of got) assert.deepEqual(e.h, e.c.health, `${name} stream ${e.c.stream}`);
    assert.equal(connectionsWithHealth(trace), got, 'memoised per trace');
    kept += got.length;
    skipped += trace.connections.length - got.length;
  }
  // the screen is tested both ways: some connections pass it, some do not
  assert.ok(kept > 0 && skipped > 0, `kept ${kept}, skipped ${skipped}`);
});
