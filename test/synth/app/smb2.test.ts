// SMB2 builders and the SMB2-heavy workload, checked by tshark: every message decodes with the
// command, MessageId, direction, length and name it was built with, exactly once, and nothing is
// malformed; the SRT counts of tshark and pcapdx equal what was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../tshark.js';
import { compareMessages, countsOf, assertTsharkClean, pcapdxSrt, tsharkSmb2Messages, tsharkSrt } from './oracle.js';
import * as smb from './smb2.js';
import { genSmb2Workload } from './workload.js';
import { msgLength } from './writer.js';

test('NetBIOS length covers header, body and bulk data; READ response data sits at DataOffset', () => {
  const ids: smb.Smb2Ids = { messageId: 7, sessionId: 0x41n, treeId: 3 };
  const m = smb.readResponse(ids, 4096);
  const nb = (m.head[1] << 16) | (m.head[2] << 8) | m.head[3];
  assert.equal(nb, msgLength(m) - 4);
  assert.equal(m.head.length, 4 + 64 + 16); // data starts right after the 16 fixed bytes
  assert.equal(m.head[4 + 64 + 2], 64 + 16); // DataOffset, from the SMB2 header
  assert.equal(new DataView(m.head.buffer).getUint32(4 + 24, true), 7); // MessageId low half
  const w = smb.writeRequest(ids, smb.fileId(1, 2), 8192, 1024);
  assert.equal(msgLength(w), 4 + 64 + 48 + 1024);
  assert.throws(() => smb.readResponse(ids, 1 << 24), /24-bit/);
});

test('lossless SMB2 workload: tshark decodes every message as built, nothing malformed or warned', () => {
  const tmp = tempDir();
  try {
    const file = tmp.file('smb2.pcap');
    const r = genSmb2Workload(file, { connections: 2, exchanges: 150, seed: 11, lossRate: 0, reorderRate: 0, record: true });
    const codes = new Set(r.sent.map((m) => m.code));
    for (const c of [smb.SMB2_NEGOTIATE, smb.SMB2_CREATE, smb.SMB2_CLOSE, smb.SMB2_READ, smb.SMB2_WRITE, smb.SMB2_ECHO]) assert.ok(codes.has(c), `command ${c} generated`);
    const { fieldsChecked } = compareMessages(r.sent, tsharkSmb2Messages(file, []));
    assert.ok(fieldsChecked > 50, `lengths and names checked: ${fieldsChecked}`);
    assertTsharkClean(file, false);
  } finally {
    tmp.done();
  }
});

test('SMB2 workload with 1% loss and reordering: exactly once, and SRT counts of tshark and pcapdx equal the exchanges sent', async () => {
  const tmp = tempDir();
  try {
    const file = tmp.file('smb2-lossy.pcap');
    const r = genSmb2Workload(file, { connections: 3, exchanges: 400, seed: 12, lossRate: 0.01, reorderRate: 0.01, record: true });
    compareMessages(r.sent, tsharkSmb2Messages(file));
    assertTsharkClean(file, true);
    const want = countsOf(r, 'SMB2');
    assert.deepEqual(tsharkSrt(file, 'smb2'), want, 'tshark -z smb2,srt (with out-of-order reassembly)');
    assert.deepEqual(await pcapdxSrt(file, 'SMB2'), want, 'pcapdx srt');
  } finally {
    tmp.done();
  }
});

test('tshark without out-of-order reassembly is what the bench also times; its counts never exceed what was sent', () => {
  // documents the preference's effect rather than assuming it: on a lossy file the default may
  // lose a few exchanges, never invent one
  const tmp = tempDir();
  try {
    const file = tmp.file('smb2-default.pcap');
    const r = genSmb2Workload(file, { connections: 2, exchanges: 200, seed: 13, lossRate: 0.01, reorderRate: 0.01 });
    const want = countsOf(r, 'SMB2');
    for (const [code, n] of tsharkSrt(file, 'smb2', [])) assert.ok(n <= (want.get(code) ?? 0), `command ${code}: ${n}`);
  } finally {
    tmp.done();
  }
});
