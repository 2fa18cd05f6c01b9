// The protocol stage over real captures of the shared corpus (PCAPDX_CORPUS), checked against
// what the captures are known to hold and against tshark 4.0's service response times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runProtocols, SrtTable } from '../cli/exchanges.js';
import { corpusDir } from '../../test/corpus.js';
import { protocolParity } from '../../test/parity/protocols.js';
import type { Exchange } from './types.js';

async function exchanges(rel: string): Promise<{ ex: Exchange[]; counters: Record<string, number> }> {
  const ex: Exchange[] = [];
  const r = await runProtocols(join(corpusDir(), rel), (e) => ex.push(e));
  return { ex, counters: r.counters };
}

/** command -> [calls, min SRT us, max SRT us] as tshark prints them */
type Srt = Record<string, [number, number, number]>;

async function assertSrt(rel: string, service: string, want: Srt): Promise<void> {
  const t = new SrtTable();
  const { ex } = await exchanges(rel);
  for (const e of ex) t.add(e);
  const got: Srt = {};
  for (const r of t.rows()) {
    if (r.service === service) got[r.command] = [r.count, Math.round(r.minNs / 1e3), Math.round(r.maxNs / 1e3)];
  }
  assert.deepEqual(got, want, rel);
}

// Reference values: `tshark -r FILE -q -z smb2,srt` and `tshark -r FILE -q -z rpc,srt,100003,V`
// run from the corpus root with tshark 4.0.17 (columns Calls, Min SRT, Max SRT).
test('SMB2 SRT equals tshark -z smb2,srt (smb2-async-read-pending, smb2-100-small-files-clean)', async () => {
  await assertSrt('smb/smb2-async-read-pending.pcap', 'SMB2', {
    NEGOTIATE: [1, 3951, 3951], SESSION_SETUP: [2, 388, 549], TREE_CONNECT: [2, 211, 1596], TREE_DISCONNECT: [2, 100, 903],
    CREATE: [1, 3207, 3207], CLOSE: [1, 1096, 1096], READ: [1, 24329, 24329], IOCTL: [1, 135, 135], QUERY_INFO: [1, 520, 520],
  });
  await assertSrt('smb/smb2-100-small-files-clean.pcap', 'SMB2', {
    NEGOTIATE: [1, 1519, 1519], SESSION_SETUP: [2, 347, 487], LOGOFF: [1, 186, 186], TREE_CONNECT: [2, 669, 1390],
    TREE_DISCONNECT: [1, 581, 581], CREATE: [137, 209, 11363], CLOSE: [137, 77, 673], READ: [100, 65, 263],
    IOCTL: [2, 133, 205], QUERY_DIRECTORY: [54, 68, 11363], QUERY_INFO: [11, 72, 673],
  });
});

test('NFS SRT equals tshark -z rpc,srt,100003,3 and ,4 (UDP, TCP, NFSv4)', async () => {
  await assertSrt('nfs-rpc/nfsv3-udp-wiki.pcap', 'NFSv3', {
    NULL: [1, 0, 0], GETATTR: [7, 0, 0], SETATTR: [1, 0, 0], LOOKUP: [24, 0, 10000], ACCESS: [4, 0, 0], READLINK: [2, 0, 0],
    READ: [1, 0, 0], WRITE: [2, 10000, 10000], CREATE: [2, 0, 10000], MKDIR: [1, 0, 0], SYMLINK: [1, 10000, 10000],
    REMOVE: [4, 0, 0], RMDIR: [1, 0, 0], RENAME: [1, 0, 0], LINK: [1, 0, 0], READDIR: [2, 0, 0], FSSTAT: [1, 0, 0],
    FSINFO: [1, 10000, 10000], PATHCONF: [1, 0, 0],
  });
  await assertSrt('nfs-rpc/nfsv3-tcp-portmap-mount-nfsacl.pcap', 'NFSv3', {
    NULL: [2, 87, 168], GETATTR: [29, 45, 773], LOOKUP: [4, 223, 766], ACCESS: [3, 279, 426], WRITE: [1, 5960, 5960],
    CREATE: [1, 20849, 20849], REMOVE: [1, 19087, 19087], READDIRPLUS: [1, 184, 184], FSINFO: [2, 314, 621], PATHCONF: [1, 298, 298],
  });
  await assertSrt('nfs-rpc/nfsv4-tcp-wiki.pcap', 'NFSv4', { NULL: [1, 1405, 1405], COMPOUND: [31, 408, 13130] });
});

test('ECHO cadence: 32 answered ECHOs about every 10 s per connection (smb2-echo-macos-dlt-null)', async () => {
  const { ex } = await exchanges('smb/smb2-echo-macos-dlt-null.pcap');
  const echo445 = ex.filter((e) => e.command === 'ECHO' && e.server.port === 445).sort((a, b) => a.requestFrame - b.requestFrame);
  assert.equal(echo445.length, 32);
  assert.ok(echo445.every((e) => e.kind === 'pair' && e.status === 'STATUS_SUCCESS'));
  const gaps = echo445.slice(1).map((e, i) => Number(e.requestNs! - echo445[i].requestNs!) / 1e9);
  assert.equal(gaps.filter((g) => g > 9.9 && g < 10.2).length, 26); // 5 are longer: 11.7, 16.4, 18.2, 20.0, 21.3 s
  // the proxy side (port 4445) is recognised by content: same cadence
  assert.equal(ex.filter((e) => e.command === 'ECHO' && e.server.port === 4445).length, 32);
});

test('STATUS_PENDING: the big READ has interim frame 41 and completes in frame 3123 (smb2-async-read-pending)', async () => {
  const { ex, counters } = await exchanges('smb/smb2-async-read-pending.pcap');
  const read = ex.filter((e) => e.command === 'READ');
  assert.equal(read.length, 1);
  assert.deepEqual([read[0].requestFrame, read[0].interimFrames, read[0].responseFrame, read[0].status, read[0].args.dataLength],
    [39, [41], 3123, 'STATUS_SUCCESS', 3164140]);
  assert.equal(counters.smb2_interim_responses, 1);
  const neg = ex.find((e) => e.command === 'NEGOTIATE')!;
  assert.equal(neg.args.dialect, '3.1.1');
  assert.equal(ex.find((e) => e.command === 'CREATE')!.args.name, 'test.pkg');
});

test('NFSv4 COMPOUND operation lists and callback program (nfsv4-tcp-wiki)', async () => {
  const { ex } = await exchanges('nfs-rpc/nfsv4-tcp-wiki.pcap');
  const ops = ex.filter((e) => e.command === 'COMPOUND').map((e) => e.args.ops);
  assert.equal(ops[0], 'EXCHANGE_ID');
  assert.ok(ops.includes('SEQUENCE,PUTROOTFH,GETFH,GETATTR'));
  assert.ok(ops.every((o) => typeof o === 'string' && !o.endsWith('...')), 'every COMPOUND fully walked');
  assert.ok(ex.some((e) => e.service === 'NFSv4_CBv1' && e.command === 'CB_NULL' && e.kind === 'pair'));
});

test('portmap GETPORT teaches NSM on 58776, then NSM is called there (nfsv3-tcp-loopback-nsm-nfsacl)', async () => {
  const { ex } = await exchanges('nfs-rpc/nfsv3-tcp-loopback-nsm-nfsacl.pcap');
  const gp = ex.find((e) => e.command === 'GETPORT' && e.args.program === 100024)!;
  assert.deepEqual([gp.responseFrame, gp.args.port, gp.args.proto], [5, 58776, 'udp']);
  const nsm = ex.find((e) => e.service === 'NSMv1')!;
  assert.deepEqual([nsm.command, nsm.server.port, nsm.requestFrame > gp.responseFrame], ['NULL', 58776, true]);
});

test('NFSv3 over TCP with heavy capture loss: WRITE calls still pair (nfsv3-tcp-tso-capture-gaps)', async () => {
  const { ex, counters } = await exchanges('nfs-rpc/nfsv3-tcp-tso-capture-gaps.pcap.gz');
  const writes = ex.filter((e) => e.command === 'WRITE' && e.kind === 'pair');
  assert.ok(writes.length > 6000, `writes paired: ${writes.length}`);
  assert.ok((counters.rpc_orphan_replies ?? 0) < 10);
  assert.ok(writes.every((e) => e.write !== undefined && e.args.count === 65536));
});

test('UDP NFSv3 retransmissions with IP fragments are recognised (nfsv3-udp-ipfrag-dup-retransm)', async () => {
  const { ex, counters } = await exchanges('nfs-rpc/nfsv3-udp-ipfrag-dup-retransm.pcap');
  assert.equal(counters.rpc_retransmitted_calls, 3);
  const r = ex.filter((e) => e.retransmit);
  assert.equal(r.length, 3);
  // first fragments only: bodies incomplete, so never called 'different'
  assert.ok(r.every((e) => e.retransmit!.body !== 'different'));
});

test('protocol parity with tshark over the whole corpus: every frame tshark decodes, pcapdx decodes the same', async () => {
  const rep = await protocolParity(corpusDir());
  assert.ok(rep.files > 90);
  for (const f of ['smb2.cmd', 'smb2.msg_id'] as const) {
    assert.equal(rep.counts[f].both, rep.counts[f].tshark, f);
  }
  // rpc: one frame differs (tshark reassembles IP fragments and puts the call on the last one)
  for (const f of ['rpc.xid', 'rpc.msgtyp', 'rpc.program', 'rpc.procedure'] as const) {
    assert.equal(rep.counts[f].mismatch, 0, f);
    assert.ok(rep.counts[f].missed <= 1, `${f} missed ${rep.counts[f].missed}`);
  }
  assert.ok(rep.ok);
});

test('a record cut by the end of the capture is still decoded (nfsv3-tcp-single-tso-segment, fuzzed file handle)', async () => {
  const { ex } = await exchanges('nfs-rpc/nfsv3-tcp-single-tso-segment.pcapng');
  assert.deepEqual(ex.map((e) => [e.service, e.command, e.kind, e.requestFrame, e.id]), [['NFSv3', 'WRITE', 'unanswered', 1, 0x4b27c5c9]]);
  assert.deepEqual(ex[0].args, {}); // its file handle claims 170 bytes (> 64): arguments not read
});
