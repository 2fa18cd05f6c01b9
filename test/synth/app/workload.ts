// SMB2-heavy and NFS-heavy captures for the benchmark and the tshark checks: a few long TCP
// connections carrying many request/response exchanges, with loss and reordering from the TCP
// simulator so reassembly has work, merged in time order into one pcap.
//
//   SMB2: clients on port 445. Each connection negotiates, then opens files (CREATE; a few fail
//         with STATUS_OBJECT_NAME_NOT_FOUND), reads and writes them in batches of up to four
//         outstanding requests (answered in any order, as servers complete them), closes them,
//         and sends an ECHO now and then.
//   NFS:  NFSv3 clients on TCP 2049 with record marking. Each asks portmap over UDP 111 for the
//         NFS port first (and for MOUNT or NLM now and then), then LOOKUPs names (a few
//         NFS3ERR_NOENT), GETATTRs, READs and WRITEs, in batches of up to four calls.
//
// I/O sizes are drawn from IO_SIZES: mostly small and medium, some 64 KiB, so a file of a few
// hundred thousand messages stays near a million packets.

import { buildPacket, ip, mac, type PacketSpec } from '../packets.js';
import { PcapWriter } from '../pcap-writer.js';
import { Rng } from '../rng.js';
import { TcpConversation, type Fates, type Side } from '../tcp-conversation.js';
import { FrameMerger, runLanes, type Lane } from './merge.js';
import * as rpc from './rpc.js';
import * as smb from './smb2.js';
import type { AppMessage } from './writer.js';

export interface WorkloadParams {
  /** TCP connections, run side by side */
  connections: number;
  /** request/response exchanges over all TCP connections (portmap over UDP comes on top) */
  exchanges: number;
  seed: number;
  /** rates of TCP data segments lost after the tap, and reordered before it */
  lossRate: number;
  reorderRate: number;
  /** keep a list of every message sent (tests) */
  record?: boolean;
}

/** One application message as sent: SMB2 command and MessageId, or RPC procedure and XID. */
export interface SentMessage {
  kind: 'smb2' | 'rpc';
  /** SMB2 command code, or RPC procedure number */
  code: number;
  /** MessageId or XID */
  id: number;
  /** RPC program (0 for SMB2) */
  program: number;
  response: boolean;
  transport: 'tcp' | 'udp';
  /** the client's port: MessageIds (and XIDs) are unique per connection only */
  clientPort: number;
  /** requests: READ/WRITE length in bytes, CREATE/LOOKUP name */
  size?: number;
  name?: string;
}

/** One exchange of a batch: request, response, and what the log records of it. */
interface Pair {
  req: AppMessage;
  res: AppMessage;
  code: number;
  id: number;
  size?: number;
  name?: string;
}

export interface WorkloadResult {
  packets: number;
  /** application messages (requests and responses, TCP and UDP) */
  messages: number;
  /** answered exchanges by service and command code: 'SMB2 8', 'NFSv3 6', 'portmap 3' */
  exchanges: Record<string, number>;
  sent: SentMessage[];
}

export const BASE_SEC = 1_700_000_000;
/** I/O sizes in bytes and their weights (percent): multiples of 4, as XDR data must be here */
const IO_SIZES: [number, number][] = [[1024, 25], [4096, 35], [8192, 20], [16384, 15], [65536, 5]];
/** most requests a client keeps outstanding in one batch */
const MAX_BATCH = 4;
/** lanes start this far apart, so connections do not open in the same microsecond */
const LANE_STAGGER_NS = 1_000_000;
const US = 1_000;
const MS = 1_000_000;
/** the simulator's default minimum RTO (Linux: 200 ms) */
const MIN_RTO_NS = 200 * MS;

function ioSize(rng: Rng): number {
  let r = rng.int(0, 99);
  for (const [size, w] of IO_SIZES) {
    if (r < w) return size;
    r -= w;
  }
  return IO_SIZES[0][0];
}

/** Server time to answer: a base plus an exponential tail, and 1 in 200 slow (a disk seek). */
function serviceNs(rng: Rng, baseUs: number): number {
  const tail = -Math.log(1 - rng.next()) * baseUs * US;
  return baseUs * US + Math.round(tail) + (rng.chance(0.005) ? rng.int(2, 20) * MS : 0);
}

/** Client pause between batches: mostly short, sometimes an application think time. */
function thinkNs(rng: Rng): number {
  return rng.chance(0.05) ? rng.int(1, 10) * MS : rng.int(0, 100) * US;
}

/** Common state of a workload run: counters, the merger, the message log. */
class Run {
  readonly result: WorkloadResult = { packets: 0, messages: 0, exchanges: {}, sent: [] };
  remaining: number;
  readonly fates: Fates;
  constructor(readonly p: WorkloadParams, readonly merger: FrameMerger) {
    this.remaining = p.exchanges;
    this.fates = { lossRate: p.lossRate, reorderRate: p.reorderRate };
  }
  note(service: string, code: number): void {
    const k = `${service} ${code}`;
    this.result.exchanges[k] = (this.result.exchanges[k] ?? 0) + 1;
  }
  log(m: SentMessage): void {
    this.result.messages++;
    if (this.p.record) this.result.sent.push(m);
  }
}

/** Writes messages from `side` one after another (the first after `delayNs`) and waits until the
 *  peer has them all. */
function sendAll(conv: TcpConversation, side: Side, msgs: AppMessage[], fates: Fates, delayNs: number[]): void {
  msgs.forEach((m, i) => {
    conv.write(side, m.head, fates, delayNs[i] ?? 0);
    if (m.data > 0) conv.write(side, m.data, fates);
  });
  conv.waitDelivered(side);
}

/** A random order of 0..n-1: servers finish requests of one batch in any order. */
function shuffled(rng: Rng, n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * RFC 6298 5.7: after a timeout has doubled the RTO, the next RTT sample recomputes it. The
 * simulator keeps the doubled value for the rest of the connection (harmless for short ones), so
 * on a connection with thousands of exchanges the RTO would creep up to its 60 s maximum and the
 * capture would stall for minutes. Once a batch has been delivered both ways, bring it back to
 * the minimum, as a fresh sample on a sub-millisecond path would.
 */
function settleRto(conv: TcpConversation): void {
  conv.client.rto = MIN_RTO_NS;
  conv.server.rto = MIN_RTO_NS;
}

/** A batch: the client writes every request (after a think time), then the server answers them
 *  in a random order, the first after a service time, the others close behind. */
function batch(run: Run, conv: TcpConversation, rng: Rng, pairs: Pair[], baseUs: number, kind: SentMessage['kind'], service: string, program: number): void {
  sendAll(conv, 'client', pairs.map((p) => p.req), run.fates, [thinkNs(rng)]);
  const order = shuffled(rng, pairs.length);
  sendAll(conv, 'server', order.map((k) => pairs[k].res), run.fates, order.map((_, j) => (j === 0 ? serviceNs(rng, baseUs) : rng.int(0, 20) * US)));
  settleRto(conv);
  for (const p of pairs) {
    run.note(service, p.code);
    const clientPort = conv.client.cfg.port;
    const m: SentMessage = { kind, code: p.code, id: p.id, program, response: false, transport: 'tcp', clientPort };
    if (p.size !== undefined) m.size = p.size;
    if (p.name !== undefined) m.name = p.name;
    run.log(m);
    run.log({ kind, code: p.code, id: p.id, program, response: true, transport: 'tcp', clientPort });
    run.remaining--;
  }
}

function newConversation(run: Run, i: number, clientIp: string, clientPort: number, serverIp: string, serverPort: number): { conv: TcpConversation; startNs: number } {
  const startNs = i * LANE_STAGGER_NS;
  const conv = new TcpConversation({
    seed: run.p.seed * 7919 + i, comments: false, startSec: BASE_SEC, startNsec: startNs,
    client: { ip: clientIp, port: clientPort, mac: `02:00:00:00:01:${(i & 0xff).toString(16).padStart(2, '0')}` },
    server: { ip: serverIp, port: serverPort, mac: '02:00:00:00:00:fe' },
    // the tap sits near the server: 300 us from the clients, 30 us from the server
    clientToTapNs: 300 * US, tapToServerNs: 30 * US, jitterNs: 10 * US, bitsPerSecond: 10e9,
    sink: run.merger.sink,
  });
  return { conv, startNs };
}

// ================================================================ SMB2

interface OpenFile {
  fid: Uint8Array;
  size: number;
}

function smbLane(run: Run, i: number): Lane {
  const rng = new Rng(run.p.seed * 104_729 + i);
  const { conv, startNs } = newConversation(run, i, `10.1.${1 + (i >> 8)}.${1 + (i & 0xff)}`, 49152 + i * 17, '10.1.0.10', 445);
  const ids: smb.Smb2Ids = { messageId: 0, sessionId: 0x0000_1000_0000_0041n + BigInt(i), treeId: 1 + (i % 7) };
  const open: OpenFile[] = [];
  let fileSeq = 0;
  let started = false;
  const at = (): smb.Smb2Ids => ({ ...ids, messageId: ids.messageId++ });

  /** requests and their responses, sent as one batch */
  const exchange = (pairs: Pair[], baseUs: number): void => batch(run, conv, rng, pairs, baseUs, 'smb2', 'SMB2', 0);

  const step = (): boolean => {
    if (!started) {
      started = true;
      conv.connect();
      const h = at();
      const guid = new Uint8Array(16).fill(0x40 + (i & 0x3f));
      exchange([{ req: smb.negotiateRequest(h, guid), res: smb.negotiateResponse(h, guid.map((b) => b ^ 0xff)), code: smb.SMB2_NEGOTIATE, id: h.messageId }], 200);
      return true;
    }
    if (run.remaining <= 0) return false;
    const r = rng.next();
    if (r < 0.05) {
      const h = at();
      exchange([{ req: smb.echoRequest(h), res: smb.echoResponse(h), code: smb.SMB2_ECHO, id: h.messageId }], 10);
    } else if (open.length === 0 || (r < 0.15 && open.length < 4)) {
      const h = at();
      const name = `share\\data\\conn${i}\\file${String(fileSeq++).padStart(6, '0')}.bin`;
      if (rng.chance(0.02)) {
        exchange([{ req: smb.createRequest(h, name), res: smb.errorResponse(smb.SMB2_CREATE, h, smb.STATUS_OBJECT_NAME_NOT_FOUND), code: smb.SMB2_CREATE, id: h.messageId, name }], 150);
      } else {
        const f: OpenFile = { fid: smb.fileId(0x1000 * (i + 1) + fileSeq, rng.u32()), size: rng.int(1, 64) * 65536 };
        exchange([{ req: smb.createRequest(h, name), res: smb.createResponse(h, f.fid, f.size), code: smb.SMB2_CREATE, id: h.messageId, name }], 150);
        open.push(f);
      }
    } else if (r < 0.25) {
      const f = open.splice(rng.int(0, open.length - 1), 1)[0];
      const h = at();
      exchange([{ req: smb.closeRequest(h, f.fid), res: smb.closeResponse(h), code: smb.SMB2_CLOSE, id: h.messageId }], 60);
    } else {
      const pairs: Pair[] = [];
      const n = rng.int(1, MAX_BATCH);
      for (let k = 0; k < n; k++) {
        const f = open[rng.int(0, open.length - 1)];
        const len = ioSize(rng);
        const off = rng.int(0, Math.max(0, Math.floor((f.size - len) / 4096))) * 4096;
        const h = at();
        if (rng.chance(0.6)) pairs.push({ req: smb.readRequest(h, f.fid, off, len), res: smb.readResponse(h, len), code: smb.SMB2_READ, id: h.messageId, size: len });
        else pairs.push({ req: smb.writeRequest(h, f.fid, off, len), res: smb.writeResponse(h, len), code: smb.SMB2_WRITE, id: h.messageId, size: len });
      }
      exchange(pairs, 80);
    }
    return true;
  };
  return { conv, startNs, step, end: () => conv.close('client', 0).finish() };
}

/** Writes an SMB2-heavy capture to `file`. */
export function genSmb2Workload(file: string, p: WorkloadParams): WorkloadResult {
  const w = new PcapWriter(file, { linkType: 1, nanos: true });
  const run = new Run(p, new FrameMerger(w, BASE_SEC));
  runLanes(Array.from({ length: p.connections }, (_, i) => smbLane(run, i)), run.merger);
  w.close();
  run.result.packets = run.merger.written;
  return run.result;
}

// ================================================================ NFSv3

/** a Linux-style file handle: 28 bytes naming export and inode */
function fileHandle(fileid: number): Uint8Array {
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x01000701); // version, auth type, fsid type, fileid type
  v.setUint32(4, 0x2a);
  v.setUint32(8, fileid >>> 0);
  v.setUint32(12, 0x5eed);
  return b;
}

/** Server answers to portmap GETPORT: NFS on TCP 2049, MOUNT on UDP 20048, NLM on TCP 4045. */
const PORTMAP_QUERIES: [number, number, number, number][] = [
  [rpc.PROG_NFS, 3, rpc.IPPROTO_TCP, rpc.NFS_PORT],
  [rpc.PROG_MOUNT, 3, rpc.IPPROTO_UDP, 20048],
  [100021, 4, rpc.IPPROTO_TCP, 4045],
];

interface NfsFile {
  fh: Uint8Array;
  attr: rpc.Fattr;
}

function nfsLane(run: Run, i: number): Lane {
  const rng = new Rng(run.p.seed * 15_485_863 + i);
  const clientIp = `10.2.${1 + (i >> 8)}.${1 + (i & 0xff)}`;
  const serverIp = '10.2.0.20';
  // Linux NFS clients bind a reserved port below 1024
  const { conv, startNs } = newConversation(run, i, clientIp, 1023 - i, serverIp, rpc.NFS_PORT);
  const cred: rpc.UnixCred = { stamp: 0x65000000 + i, machine: `client${i}`, uid: 1000, gid: 1000 };
  let xid = rng.u32();
  let pmXid = rng.u32();
  const nextXid = (): number => (xid = (xid + 1) >>> 0);
  const dirAttr: rpc.Fattr = { type: rpc.NF3DIR, size: 4096, fileid: 2, sec: BASE_SEC };
  const dirFh = fileHandle(2);
  const files: NfsFile[] = [];
  const verf = new Uint8Array(8).fill(0x5a);
  let started = false;
  const pmPort = 900 + i;
  const udpSpec = (fromClient: boolean): PacketSpec => ({
    link: { kind: 'ethernet', src: mac(fromClient ? '02:00:00:00:01:00' : '02:00:00:00:00:fe'), dst: mac(fromClient ? '02:00:00:00:00:fe' : '02:00:00:00:01:00') },
    ip: { v: 4, src: ip(fromClient ? clientIp : serverIp), dst: ip(fromClient ? serverIp : clientIp), ttl: 64, df: true, id: rng.int(0, 0xffff) },
    l4: { kind: 'udp', srcPort: fromClient ? pmPort : rpc.PORTMAP_PORT, dstPort: fromClient ? rpc.PORTMAP_PORT : pmPort },
  });
  const datagram = (t: number, fromClient: boolean, payload: Uint8Array): void => {
    const spec = udpSpec(fromClient);
    const b = new Uint8Array(14 + 20 + 8 + payload.length);
    buildPacket(b, 0, spec, payload);
    run.merger.push(t, b);
  };

  /** a portmap GETPORT over UDP at the conversation's current time, then a pause for it */
  const getport = (q: [number, number, number, number]): void => {
    const t = startNs + conv.now;
    pmXid = (pmXid + 1) >>> 0;
    datagram(t, true, rpc.getportCall(pmXid, q[0], q[1], q[2]));
    datagram(t + 330 * US + serviceNs(rng, 20), false, rpc.getportReply(pmXid, q[3]));
    run.note('portmap', rpc.PMAPPROC_GETPORT);
    for (const response of [false, true]) {
      run.log({ kind: 'rpc', code: rpc.PMAPPROC_GETPORT, id: pmXid, program: rpc.PROG_PORTMAP, response, transport: 'udp', clientPort: pmPort });
    }
    conv.idle(MS); // the reply is back (0.7 ms round trip with the service time) before the client goes on
  };

  const exchange = (calls: Pair[], baseUs: number): void => batch(run, conv, rng, calls, baseUs, 'rpc', 'NFSv3', rpc.PROG_NFS);

  const lookup = (): void => {
    const x = nextXid();
    const fileid = 1000 + files.length + 10_000 * i;
    const name = `f${fileid}.dat`;
    if (rng.chance(0.05)) {
      exchange([{ req: rpc.lookupCall(x, cred, dirFh, name), res: rpc.lookupNoent(x, dirAttr), code: rpc.NFSPROC3_LOOKUP, id: x, name }], 120);
      return;
    }
    const f: NfsFile = { fh: fileHandle(fileid), attr: { type: rpc.NF3REG, size: rng.int(1, 64) * 65536, fileid, sec: BASE_SEC + 100 } };
    exchange([{ req: rpc.lookupCall(x, cred, dirFh, name), res: rpc.lookupReply(x, f.fh, f.attr, dirAttr), code: rpc.NFSPROC3_LOOKUP, id: x, name }], 120);
    files.push(f);
  };

  const step = (): boolean => {
    if (!started) {
      started = true;
      getport(PORTMAP_QUERIES[0]);
      conv.connect();
      lookup();
      return true;
    }
    if (run.remaining <= 0) return false;
    if (rng.chance(0.01)) getport(PORTMAP_QUERIES[rng.int(0, PORTMAP_QUERIES.length - 1)]);
    if (rng.chance(0.1) || files.length === 0) {
      lookup();
      return true;
    }
    const calls: Pair[] = [];
    const n = rng.int(1, MAX_BATCH);
    for (let k = 0; k < n; k++) {
      const f = files[rng.int(0, files.length - 1)];
      const x = nextXid();
      const r = rng.next();
      if (r < 0.3) {
        calls.push({ req: rpc.getattrCall(x, cred, f.fh), res: rpc.getattrReply(x, f.attr), code: rpc.NFSPROC3_GETATTR, id: x });
        continue;
      }
      const len = ioSize(rng);
      const off = rng.int(0, Math.max(0, Math.floor((f.attr.size - len) / 4096))) * 4096;
      if (r < 0.7) {
        calls.push({ req: rpc.readCall(x, cred, f.fh, off, len), res: rpc.readReply(x, f.attr, len, off + len >= f.attr.size), code: rpc.NFSPROC3_READ, id: x, size: len });
      } else {
        calls.push({ req: rpc.writeCall(x, cred, f.fh, off, len), res: rpc.writeReply(x, f.attr, f.attr, len, rpc.UNSTABLE, verf), code: rpc.NFSPROC3_WRITE, id: x, size: len });
      }
    }
    exchange(calls, 100);
    return true;
  };
  return { conv, startNs, step, end: () => conv.close('client', 0).finish() };
}

/** Writes an NFS-heavy capture to `file`. */
export function genNfsWorkload(file: string, p: WorkloadParams): WorkloadResult {
  const w = new PcapWriter(file, { linkType: 1, nanos: true });
  const run = new Run(p, new FrameMerger(w, BASE_SEC));
  runLanes(Array.from({ length: p.connections }, (_, i) => nfsLane(run, i)), run.merger);
  w.close();
  run.result.packets = run.merger.written;
  return run.result;
}
