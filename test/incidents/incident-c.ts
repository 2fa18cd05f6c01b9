// Incident C (seed 003): a retransmitted request carries different bytes.
//
// RPC level, as the seed's trace shows: an NFSv3 WRITE call (XID x, data = a counter) gets no
// reply for ~60 s; the client times out and queues a retransmission; the reply to the original
// arrives; the application reuses its buffer (0xdeadbeef); then the queued retransmission goes on
// the wire with the same XID and the new buffer contents. A server without a duplicate request
// cache writes it again and replies again. Variants:
//  - 'same-connection': the seed (a minor timeout re-sends on the same socket);
//  - 'new-connection': the client has closed the connection at the timeout; the reply to the
//    original still arrives on the half-closed connection, the retransmission goes on a new one;
//  - 'identical' (control): the ordinary retransmission, identical bytes, before the reply.
// TCP level: a WRITE call whose third segment is lost after the tap; three duplicate ACKs; the
// fast retransmission carries different bytes ('tcp-differs': 16 bytes zeroed, as a faulty NIC
// or middlebox might) or the same bytes ('tcp-identical', control).
// Capture point at the client; streams: 0 (and 1 for 'new-connection').

import type { RuleId } from '../../src/diagnose/finding.js';
import { ACK, FIN } from '../synth/packets.js';
import { Rng } from '../synth/rng.js';
import { quietExcept, type ExpectedFinding, type Generated } from './expect.js';
import * as rpc from './rpc.js';
import { MS, S, TcpFlow, Trace, US, type Host } from './trace.js';

export type IncidentCVariant = 'same-connection' | 'new-connection' | 'identical' | 'tcp-differs' | 'tcp-identical';

export interface IncidentCParams {
  path: string;
  seed: number;
  variant: IncidentCVariant;
  /** WRITE size in bytes (multiple of 4); default 8192 */
  writeSize?: number;
  /** RPC timeout before the retransmission is queued; default 60 s */
  timeoutS?: number;
  format?: 'pcap' | 'pcapng';
}

export interface IncidentCFacts {
  xid: number;
  /** frames carrying each WRITE call, first to last segment; tshark shows the call at the last */
  originalCall: number[];
  retransmittedCall: number[];
  /** reply to the original, and the reply to the retransmission (null when the server sent none) */
  reply: number;
  secondReply: number | null;
  /** offset of the first differing byte from the start of the RPC message (the XID), or -1 */
  firstDiffOffset: number;
  differingBytes: number;
  afterReply: boolean;
  sameConnection: boolean;
  /** TCP level: the first transmission and the retransmission of the same sequence range */
  tcpFirst: number | null;
  tcpRetransmission: number | null;
  tcpSeq: number | null;
  tcpLen: number | null;
  /** offset within that segment of the first differing byte, or -1 */
  tcpFirstDiffOffset: number;
}

const CLIENT: Host = { ip: '192.168.122.18', mac: '52:54:00:7a:00:12' };
const SERVER: Host = { ip: '192.168.122.16', mac: '52:54:00:7a:00:10' };
const DEADBEEF = [0xde, 0xad, 0xbe, 0xef];
/** the TCP-level variants lose this segment of the call (0-based) after the tap */
const LOST_SEGMENT = 2;
/** bytes the faulty retransmission zeroes, and where in the segment */
const CORRUPT_LEN = 16;
const CORRUPT_AT = 100;

export function generateIncidentC(p: IncidentCParams): Generated<IncidentCFacts> {
  const rng = new Rng(p.seed);
  const size = p.writeSize ?? 8192;
  if (size % 4 !== 0 || size < 1024) throw new Error('writeSize must be a multiple of 4, at least 1024');
  const timeout = Math.round((p.timeoutS ?? 60) * S);
  const trace = new Trace();
  const cport = 700 + rng.int(0, 300);
  const flow = new TcpFlow(trace, CLIENT, cport, SERVER, rpc.NFS_PORT, { client: rng.u32(), server: rng.u32() }, { clientWin: 1444, serverWin: 1444, wscale: 7 });
  const cred = rpc.authUnix(rng.u32() & 0x7fffffff, 'blktest2', 0, 0);
  const fh = Uint8Array.from({ length: 28 }, () => rng.int(0, 255));
  const xid = rng.u32();
  const offset = rng.int(0, 1000) * size;
  // the test program's buffer: a counter (big-endian words), later overwritten with 0xdeadbeef
  const counter = new Uint8Array(size);
  const base = rng.int(0, 0x00ffffff);
  for (let i = 0; i < size; i += 4) new DataView(counter.buffer).setUint32(i, base + i / 4);
  const bogus = Uint8Array.from({ length: size }, (_, i) => DEADBEEF[i % 4]);
  const facts: IncidentCFacts = {
    xid, originalCall: [], retransmittedCall: [], reply: 0, secondReply: null, firstDiffOffset: -1, differingBytes: 0, afterReply: false,
    sameConnection: true, tcpFirst: null, tcpRetransmission: null, tcpSeq: null, tcpLen: null, tcpFirstDiffOffset: -1,
  };
  const verf = Uint8Array.from({ length: 8 }, () => rng.int(0, 255));
  const fileid = rng.u32();
  const mtime = trace.startSec;
  const rtt = 300 * US;

  flow.handshake(100 * MS, rtt);
  const t1 = 150 * MS;
  const original = rpc.writeCall(xid, cred, fh, offset, counter);
  const tcpLevel = p.variant === 'tcp-differs' || p.variant === 'tcp-identical';

  /** A call's segments with the server's ACK of every second one (RFC 5681 4.2). */
  const sendCall = (f: TcpFlow, at: number, msg: Uint8Array, what: string): number[] => {
    const frames = f.send('client', at, msg, what);
    return frames;
  };

  if (!tcpLevel) {
    facts.originalCall = sendCall(flow, t1, original, `client NFSv3 WRITE call XID 0x${xid.toString(16)} (${size} bytes of counter data)`);
    flow.ack('server', t1 + rtt + 200 * US, 'server ACK (the server is stalled: no reply for a long time)');
    const replyMsg = rpc.writeReply(xid, size, offset, fileid, rpc.FILE_SYNC, verf, mtime);
    const retransMsgSame = original;
    const retransMsgBogus = rpc.writeCall(xid, cred, fh, offset, bogus);
    if (p.variant === 'identical') {
      // the ordinary case: the timeout re-sends the unchanged buffer, then the reply comes
      facts.retransmittedCall = sendCall(flow, t1 + timeout, retransMsgSame, `client NFSv3 WRITE call retransmission XID 0x${xid.toString(16)} (same bytes)`);
      flow.ack('server', t1 + timeout + rtt + 200 * US, 'server ACK');
      [facts.reply] = flow.send('server', t1 + timeout + 80 * MS, replyMsg, 'server WRITE reply (one reply: the duplicate request cache answers once)');
      flow.ack('client', t1 + timeout + 120 * MS, 'client delayed ACK');
    } else if (p.variant === 'same-connection') {
      const tr = t1 + timeout + rng.int(20, 200) * MS;
      [facts.reply] = flow.send('server', tr, replyMsg, 'server WRITE reply to the original (arrives after the client queued a retransmission)');
      const tx = tr + rng.int(1, 30) * MS;
      facts.retransmittedCall = sendCall(flow, tx, retransMsgBogus, `client NFSv3 WRITE call retransmission XID 0x${xid.toString(16)}: the buffer was reused (0xdeadbeef)`);
      flow.ack('server', tx + rtt + 200 * US, 'server ACK');
      [facts.secondReply] = flow.send('server', tx + 5 * MS, replyMsg, 'server WRITE reply again (no duplicate request cache: the bogus data was written)');
      flow.ack('client', tx + 45 * MS, 'client delayed ACK');
      facts.afterReply = true;
    } else {
      // the client gives up on the connection at the timeout; the server still answers on it
      const tc = t1 + timeout;
      flow.seg('client', tc, { flags: FIN | ACK }, 'client FIN, ACK (reconnecting after the timeout)');
      flow.ack('server', tc + rtt, 'server ACK of FIN');
      const tr = tc + rng.int(20, 200) * MS;
      [facts.reply] = flow.send('server', tr, replyMsg, 'server WRITE reply to the original on the half-closed connection');
      flow.seg('client', tr + 30 * US, { flags: 0x04, seq: flow.client.nxt, ack: 0, win: 0, options: null }, 'client RST (socket already closed for reading)');
      const f2 = new TcpFlow(trace, CLIENT, cport + 1, SERVER, rpc.NFS_PORT, { client: rng.u32(), server: rng.u32() }, { clientWin: 1444, serverWin: 1444, wscale: 7 });
      const tn = tr + rng.int(2, 20) * MS;
      f2.handshake(tn, rtt);
      const tx = tn + rtt + 200 * US;
      facts.retransmittedCall = sendCall(f2, tx, retransMsgBogus, `client NFSv3 WRITE call retransmission XID 0x${xid.toString(16)} on the new connection: 0xdeadbeef`);
      f2.ack('server', tx + rtt + 200 * US, 'server ACK');
      [facts.secondReply] = f2.send('server', tx + 5 * MS, replyMsg, 'server WRITE reply (no duplicate request cache)');
      f2.ack('client', tx + 45 * MS, 'client delayed ACK');
      facts.afterReply = true;
      facts.sameConnection = false;
    }
    const a = original.subarray(4);
    const b = (p.variant === 'identical' ? retransMsgSame : retransMsgBogus).subarray(4);
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) {
        if (facts.firstDiffOffset < 0) facts.firstDiffOffset = i;
        facts.differingBytes++;
      }
    }
  } else {
    // TCP level: segment LOST_SEGMENT is lost after the tap; later segments arrive out of order
    const n = flow.segmentSize;
    const segs = Math.ceil(original.length / n);
    if (segs < LOST_SEGMENT + 4) throw new Error('writeSize too small for three duplicate ACKs');
    const seq0 = flow.client.nxt;
    facts.originalCall = flow.send('client', t1, original, `client NFSv3 WRITE call XID 0x${xid.toString(16)}`);
    const lostSeq = (seq0 + LOST_SEGMENT * n) >>> 0;
    const lostBytes = original.subarray(LOST_SEGMENT * n, Math.min(original.length, (LOST_SEGMENT + 1) * n));
    facts.tcpFirst = facts.originalCall[LOST_SEGMENT];
    trace.frames[facts.tcpFirst - 1].comment += ' [lost after the tap]';
    let at = t1 + rtt;
    flow.seg('server', at, { flags: ACK, ack: (seq0 + 2 * n) >>> 0 }, 'server ACK of the first two segments');
    for (let i = LOST_SEGMENT + 1; i < segs && i <= LOST_SEGMENT + 3; i++) {
      at += 15 * US;
      flow.seg('server', at, { flags: ACK, ack: lostSeq }, `server duplicate ACK (segment ${i + 1} arrived, ${LOST_SEGMENT + 1} missing)`);
    }
    const resend = lostBytes.slice();
    if (p.variant === 'tcp-differs') resend.fill(0, CORRUPT_AT, CORRUPT_AT + CORRUPT_LEN);
    at += 60 * US;
    facts.tcpRetransmission = flow.seg('client', at, { flags: ACK, seq: lostSeq, payload: resend },
      p.variant === 'tcp-differs' ? `client fast retransmission seq=${lostSeq}: ${CORRUPT_LEN} bytes at +${CORRUPT_AT} differ from the first transmission` : `client fast retransmission seq=${lostSeq} (same bytes)`);
    facts.tcpSeq = lostSeq;
    facts.tcpLen = resend.length;
    facts.tcpFirstDiffOffset = p.variant === 'tcp-differs' ? firstDiff(lostBytes, resend) : -1;
    flow.ack('server', at + rtt, 'server ACK of everything');
    [facts.reply] = flow.send('server', at + 2 * MS, rpc.writeReply(xid, size, offset, fileid, rpc.FILE_SYNC, verf, mtime), 'server WRITE reply');
    flow.ack('client', at + 42 * MS, 'client delayed ACK');
  }
  trace.write(p.path, p.format ?? 'pcapng');

  // ---- what a diagnosis must say
  const findings: ExpectedFinding[] = [];
  const fired: RuleId[] = [];
  const last = (l: number[]) => l[l.length - 1];
  if (p.variant === 'same-connection' || p.variant === 'new-connection') {
    fired.push('rpc/retransmission-differs');
    findings.push({
      rule: 'rpc/retransmission-differs', minSeverity: 'critical', frames: [last(facts.originalCall), last(facts.retransmittedCall), facts.reply],
      metrics: {
        xid, program: rpc.PROG_NFS, version: 3, procedure: rpc.NFSPROC3_WRITE, first_diff_offset: facts.firstDiffOffset,
        differing_bytes: facts.differingBytes, after_reply: 'yes', same_connection: facts.sameConnection ? 'yes' : 'no',
        delay_s: { approx: (trace.time(facts.retransmittedCall[0]) - trace.time(facts.originalCall[0])) / S, tolerance: 0.01 },
      },
    });
  }
  if (p.variant === 'same-connection' || p.variant === 'new-connection' || p.variant === 'identical') {
    // the server answers the WRITE after a minute (what made the client re-send it): the first
    // connection's first answer is that late, and the time is the server's
    fired.push('tcp/slow-first-response');
    findings.push({ rule: 'tcp/slow-first-response', minSeverity: 'warning', frames: [facts.originalCall[0], facts.reply], stream: 0, metrics: { dominant: 'server' } });
  }
  if (p.variant === 'tcp-differs') {
    fired.push('tcp/retransmission-differs');
    findings.push({
      rule: 'tcp/retransmission-differs', minSeverity: 'critical', frames: [facts.tcpFirst as number, facts.tcpRetransmission as number], stream: 0,
      metrics: { seq: facts.tcpSeq as number, len: facts.tcpLen as number, first_diff_offset: facts.tcpFirstDiffOffset },
    });
  }
  const story: Record<IncidentCVariant, string> = {
    'same-connection': 'NFSv3 WRITE re-sent after its reply with the same XID and 0xdeadbeef data, same connection',
    'new-connection': 'NFSv3 WRITE re-sent after its reply with the same XID and 0xdeadbeef data, on a new connection',
    identical: 'NFSv3 WRITE re-sent with identical bytes before the reply (control)',
    'tcp-differs': `TCP fast retransmission whose ${CORRUPT_LEN} bytes at +${CORRUPT_AT} differ from the first transmission`,
    'tcp-identical': 'TCP fast retransmission with identical bytes (control)',
  };
  return {
    path: p.path, frames: trace.count,
    expect: { incident: fired.some((r) => r !== 'tcp/slow-first-response') ? 'C' : 'control', story: story[p.variant], findings, quiet: quietExcept(fired), facts },
  };
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}
