// ONC RPC builders and the NFS-heavy workload, checked by tshark: every NFSv3 call and reply over
// TCP (record marking) and every portmap GETPORT over UDP decodes with the XID, direction,
// program, procedure, count and name it was built with, exactly once, and nothing is malformed;
// the SRT counts of tshark and pcapdx equal what was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../tshark.js';
import { compareMessages, countsOf, assertTsharkClean, pcapdxSrt, tsharkRpcMessages, tsharkSrt } from './oracle.js';
import * as rpc from './rpc.js';
import { genNfsWorkload } from './workload.js';
import { msgLength } from './writer.js';

const CRED: rpc.UnixCred = { stamp: 1, machine: 'host', uid: 0, gid: 0 };

test('record mark: last-fragment bit and the length of everything after it, bulk data included', () => {
  const m = rpc.writeCall(0x01020304, CRED, new Uint8Array(28), 4096, 8192);
  const mark = new DataView(m.head.buffer).getUint32(0);
  assert.equal(mark >>> 31, 1);
  assert.equal(mark & 0x7fffffff, msgLength(m) - 4);
  assert.equal(m.data, 8192);
  // the last word of the head is the data opaque's length
  assert.equal(new DataView(m.head.buffer).getUint32(m.head.length - 4), 8192);
  assert.throws(() => rpc.readReply(1, { type: rpc.NF3REG, size: 10, fileid: 3, sec: 0 }, 10, true), /multiple of 4/);
  // a datagram carries no record mark: the XID comes first
  assert.equal(new DataView(rpc.getportCall(0xabcd, rpc.PROG_NFS, 3, rpc.IPPROTO_TCP).buffer).getUint32(0), 0xabcd);
});

test('lossless NFS workload: tshark decodes every call and reply as built, nothing malformed or warned', () => {
  const tmp = tempDir();
  try {
    const file = tmp.file('nfs.pcap');
    const r = genNfsWorkload(file, { connections: 2, exchanges: 150, seed: 21, lossRate: 0, reorderRate: 0, record: true });
    const procs = new Set(r.sent.map((m) => `${m.program}/${m.code}`));
    for (const p of [rpc.NFSPROC3_GETATTR, rpc.NFSPROC3_LOOKUP, rpc.NFSPROC3_READ, rpc.NFSPROC3_WRITE]) assert.ok(procs.has(`${rpc.PROG_NFS}/${p}`), `procedure ${p} generated`);
    assert.ok(procs.has(`${rpc.PROG_PORTMAP}/${rpc.PMAPPROC_GETPORT}`));
    const { fieldsChecked } = compareMessages(r.sent, tsharkRpcMessages(file, []));
    assert.ok(fieldsChecked > 50, `counts and names checked: ${fieldsChecked}`);
    assertTsharkClean(file, false);
  } finally {
    tmp.done();
  }
});

test('NFS workload with 1% loss and reordering: exactly once, and SRT counts of tshark and pcapdx equal the exchanges sent', async () => {
  const tmp = tempDir();
  try {
    const file = tmp.file('nfs-lossy.pcap');
    const r = genNfsWorkload(file, { connections: 3, exchanges: 400, seed: 22, lossRate: 0.01, reorderRate: 0.01, record: true });
    compareMessages(r.sent, tsharkRpcMessages(file));
    assertTsharkClean(file, true);
    const want = countsOf(r, 'NFSv3');
    assert.deepEqual(tsharkSrt(file, 'nfs3'), want, 'tshark -z rpc,srt,100003,3 (with out-of-order reassembly)');
    assert.deepEqual(await pcapdxSrt(file, 'NFSv3'), want, 'pcapdx srt');
    assert.deepEqual(await pcapdxSrt(file, 'portmapv2'), countsOf(r, 'portmap'), 'pcapdx srt, portmap over UDP');
  } finally {
    tmp.done();
  }
});
