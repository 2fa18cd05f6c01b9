// Every capture in corpus/malformed/ gives a clear error or warning and the frames before the
// damage; none crashes or hangs the reader.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, readReference } from './corpus.js';
import { collectInfo } from '../src/cli/info.js';

/** What each damaged file must report (code of a container or header issue, or cut frames). */
const EXPECTED: Record<string, { issue?: string; cut?: boolean; frames: number }> = {
  'caplen-1-header.pcap': { issue: 'caplen_exceeds_snaplen', frames: 1 },
  'cut-short-last-record.pcap': { issue: 'file_truncated', frames: 25 },
  'nfs-fuzzed-garbage.pcap': { cut: true, frames: 48 },
  'nfs-udp-large-credentials-length.pcap': { cut: true, frames: 1 },
  'smb1-trans2-fuzzed.pcapng': { frames: 4 },
  'tcp-header-46byte-caplen.pcap': { issue: 'tcp_truncated', frames: 1 },
  'tcp-header-truncated-snaplen.pcap': { cut: true, frames: 24 },
  'tcp-rst-data-truncated.pcap': { cut: true, frames: 1 },
  'timestamp-invalid-nsec.pcap': { issue: 'timestamp_invalid', frames: 3 },
  'timestamp-invalid-usec.pcap': { issue: 'timestamp_invalid', frames: 3 },
  'unsupported-linktype-182.pcap': { issue: 'unsupported_link_type', frames: 1 },
};

test('corpus/malformed: each file reports its damage and keeps the frames before it', async () => {
  const dir = join(corpusDir(), 'malformed');
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, Object.keys(EXPECTED).sort(), 'the malformed set changed: review EXPECTED');
  for (const name of files) {
    const fi = await collectInfo(join(dir, name), true);
    const exp = EXPECTED[name];
    assert.equal(fi.summary.frames, exp.frames, name);
    const ref = readReference(`malformed/${name}`);
    if (ref.rows.length) assert.equal(fi.summary.frames, ref.rows.length, `${name}: tshark's frame count`);
    const codes = [...Object.keys(fi.summary.issueCounts), ...Object.keys(fi.wireIssues)];
    if (exp.issue) assert.ok(codes.includes(exp.issue), `${name}: expected ${exp.issue}, got ${codes.join(', ') || 'nothing'}`);
    if (exp.cut) assert.ok(fi.summary.truncatedFrames > 0, `${name}: frames cut by snaplen must be counted`);
    for (const i of fi.summary.issues) {
      assert.ok(i.offset >= 0 && i.message.length > 10, `${name}: issue must carry an offset and a message`);
    }
  }
});
