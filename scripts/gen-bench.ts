// Generates the benchmark captures into bench-data/ (git-ignored), reusing a file when one with the
// same parameters exists (the parameters are in the name). Run: npx tsx scripts/gen-bench.ts [--quick] [--only NAME[,NAME]]
//
//   short: many short TCP connections (handshake, request, response, FIN exchange: about ten
//          packets each), interleaved in time, with a little loss and reordering so the analysis
//          has work. Connections start at a steady rate; frames of all live connections are merged
//          in time order through a heap, so memory stays flat.
//   bulk:  one long transfer of millions of full-sized segments with a little loss and
//          reordering, streamed straight to the file.
//   smb2:  SMB2-heavy: a few connections to port 445 carrying hundreds of thousands of
//          NEGOTIATE/CREATE/READ/WRITE/CLOSE/ECHO messages (test/synth/app/workload.ts).
//   nfs:   NFS-heavy: NFSv3 over TCP 2049 with record marking (LOOKUP/GETATTR/READ/WRITE) and
//          portmap GETPORT over UDP 111 (test/synth/app/workload.ts).
//   Both application files have a little loss and reordering so reassembly has work. What was
//   sent (messages, exchanges per command) is kept beside the file for the bench's checks.

import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EventQueue } from '../test/synth/event-queue.js';
import { PcapWriter } from '../test/synth/pcap-writer.js';
import { Rng } from '../test/synth/rng.js';
import { MS, TcpConversation, type SynthFrame } from '../test/synth/tcp-conversation.js';
import { genNfsWorkload, genSmb2Workload, type WorkloadParams, type WorkloadResult } from '../test/synth/app/workload.js';

export interface BenchFile {
  name: string;
  path: string;
  packets: number;
  bytes: number;
  description: string;
  /** application files: messages (requests and responses) and answered exchanges per
   *  'service code' ('SMB2 8', 'NFSv3 6', 'portmap 3'), as the generator sent them */
  messages?: number;
  exchanges?: Record<string, number>;
}

export interface GenOptions {
  quick?: boolean;
  only?: string | null;
  dir?: string;
  log?: (s: string) => void;
}

/** Bump when the generator's output changes, so stale files are not reused. */
const GEN_VERSION = 3;
/** the same for the SMB2 and NFS files (their own generator) */
const APP_GEN_VERSION = 2;
const BASE_SEC = 1_700_000_000;
/** Unassigned port: neither tool spends time on an application dissector that does not apply. */
const SERVER_PORT = 5001;

interface ShortParams { conns: number; seed: number; lossRate: number; reorderRate: number }
interface BulkParams { packets: number; seed: number; lossRate: number; reorderRate: number; snaplen: number }

export const BENCH_FILES = ['short', 'bulk', 'smb2', 'nfs'] as const;

export function benchParams(quick: boolean): { short: ShortParams; bulk: BulkParams; smb2: WorkloadParams; nfs: WorkloadParams } {
  // application files: 4 connections; 150,000 exchanges = 300,000 messages at full size (about
  // 1.6 M packets, 1.3 GB each), 20,000 in the quick run
  const app = (seed: number): WorkloadParams => ({ connections: 4, exchanges: quick ? 20_000 : 150_000, seed, lossRate: 0.002, reorderRate: 0.002 });
  return {
    short: { conns: quick ? 20_000 : 1_000_000, seed: 1, lossRate: 0.002, reorderRate: 0.002 },
    bulk: { packets: quick ? 200_000 : 5_000_000, seed: 2, lossRate: 0.0002, reorderRate: 0.0005, snaplen: 262144 },
    smb2: app(3),
    nfs: app(4),
  };
}

export function ensureBenchFiles(opts: GenOptions = {}): BenchFile[] {
  const dir = resolve(opts.dir ?? 'bench-data');
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  mkdirSync(dir, { recursive: true });
  const p = benchParams(!!opts.quick);
  const out: BenchFile[] = [];
  // `only`: one name or a comma-separated list
  const wanted = (k: string): boolean => !opts.only || opts.only.split(',').includes(k);
  if (wanted('short')) {
    const s = p.short;
    const name = `short-${s.conns}c-l${s.lossRate}-r${s.reorderRate}-s${s.seed}-v${GEN_VERSION}.pcap`;
    out.push(ensure(dir, name, log, (tmp) => genShort(tmp, s), `${s.conns.toLocaleString('en')} short TCP connections (handshake, request, response, FIN), ${s.lossRate * 100}% loss, ${s.reorderRate * 100}% reordering`));
  }
  if (wanted('bulk')) {
    const b = p.bulk;
    const name = `bulk-${b.packets}p-snap${b.snaplen}-l${b.lossRate}-r${b.reorderRate}-s${b.seed}-v${GEN_VERSION}.pcap`;
    out.push(ensure(dir, name, log, (tmp) => genBulk(tmp, b), `one bulk transfer, ${b.packets.toLocaleString('en')} packets, ${b.lossRate * 100}% loss, ${b.reorderRate * 100}% reordering`));
  }
  for (const kind of ['smb2', 'nfs'] as const) {
    if (!wanted(kind)) continue;
    const a = p[kind];
    const name = `${kind}-${a.exchanges}x-c${a.connections}-l${a.lossRate}-r${a.reorderRate}-s${a.seed}-v${APP_GEN_VERSION}.pcap`;
    const description = kind === 'smb2'
      ? `${a.connections} SMB2 connections to port 445, ${a.exchanges.toLocaleString('en')} exchanges (NEGOTIATE, CREATE, READ, WRITE, CLOSE, ECHO), ${a.lossRate * 100}% loss, ${a.reorderRate * 100}% reordering`
      : `${a.connections} NFSv3 connections to TCP 2049, ${a.exchanges.toLocaleString('en')} exchanges (LOOKUP, GETATTR, READ, WRITE) and portmap GETPORT over UDP 111, ${a.lossRate * 100}% loss, ${a.reorderRate * 100}% reordering`;
    out.push(ensure(dir, name, log, (tmp) => {
      const r: WorkloadResult = (kind === 'smb2' ? genSmb2Workload : genNfsWorkload)(tmp, a);
      return { packets: r.packets, meta: { messages: r.messages, exchanges: r.exchanges } };
    }, description));
  }
  if (out.length === 0) throw new Error(`unknown bench file ${opts.only} (${BENCH_FILES.join(', ')})`);
  return out;
}

interface AppMeta { messages: number; exchanges: Record<string, number> }

function ensure(dir: string, name: string, log: (s: string) => void, gen: (tmp: string) => number | { packets: number; meta: AppMeta }, description: string): BenchFile {
  const path = join(dir, name);
  const countFile = `${path}.packets`;
  const metaFile = `${path}.meta.json`;
  if (!existsSync(path) || !existsSync(countFile)) {
    log(`generating ${name} ...`);
    const t0 = Date.now();
    const tmp = `${path}.tmp`;
    const r = gen(tmp);
    const packets = typeof r === 'number' ? r : r.packets;
    renameSync(tmp, path);
    // the count (and what was sent) sits beside the file so later runs need not read it
    if (typeof r !== 'number') writeFileSync(metaFile, JSON.stringify(r.meta) + '\n');
    writeFileSync(countFile, `${packets}\n`);
    log(`  ${packets.toLocaleString('en')} packets, ${(statSync(path).size / 1e6).toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const f: BenchFile = { name: name.replace(/-.*/, ''), path, packets: Number(readFileSync(countFile, 'utf8').trim()), bytes: statSync(path).size, description };
  if (existsSync(metaFile)) Object.assign(f, JSON.parse(readFileSync(metaFile, 'utf8')) as AppMeta);
  return f;
}


/** Short connections, started every `gap` ns from many clients to one server. */
function genShort(file: string, p: ShortParams): number {
  const w = new PcapWriter(file, { linkType: 1, nanos: true });
  const rng = new Rng(p.seed);
  const pending = new EventQueue();
  let written = 0;
  // 50,000 new connections per second: a busy front end
  const gapNs = 20_000;
  const flushBefore = (t: number) => {
    for (let e = pending.peek(); e && e.t < t; e = pending.peek()) {
      pending.pop();
      e.fn();
    }
  };
  for (let i = 0; i < p.conns; i++) {
    const start = i * gapNs + rng.int(0, gapNs - 1);
    flushBefore(start);
    const client = 0x0a000000 + 0x100 + (i % 60_000); // 10.0.x.y, spread over 60,000 hosts
    const conv = new TcpConversation({
      seed: p.seed * 1_000_003 + i, comments: false, startSec: BASE_SEC, startNsec: start,
      client: { ip: `10.${(client >> 16) & 255}.${(client >> 8) & 255}.${client & 255}`, port: 32768 + ((i * 7919) % 28_000) },
      server: { ip: '10.255.0.1', port: SERVER_PORT },
      clientToTapNs: 50_000 + rng.int(0, 200_000), tapToServerNs: 200_000, jitterNs: 20_000,
      sink: (f: SynthFrame) => {
        const t = (f.tsSec - BASE_SEC) * 1e9 + f.tsNsec;
        const data = f.data.slice();
        const sec = f.tsSec;
        const nsec = f.tsNsec;
        const orig = f.origLen;
        pending.push(t, () => {
          w.write(sec, nsec, data, orig);
          written++;
        });
      },
    });
    const fates = { lossRate: p.lossRate, reorderRate: p.reorderRate };
    conv.connect()
      .send('client', 150 + rng.int(0, 400), fates)
      .send('server', 300 + rng.int(0, 3500), fates, rng.int(0, 2) * MS)
      .close('client', rng.chance(0.5) ? 0 : MS);
    conv.finish();
  }
  flushBefore(Infinity);
  w.close();
  return written;
}

/** One transfer from client to server until `packets` frames have been written. */
function genBulk(file: string, p: BulkParams): number {
  const w = new PcapWriter(file, { linkType: 1, nanos: true, snaplen: p.snaplen });
  let written = 0;
  const conv = new TcpConversation({
    seed: p.seed, comments: false, startSec: BASE_SEC,
    client: { ip: '192.168.1.10', port: 40000, recvBuffer: 4 << 20 }, server: { ip: '192.168.2.20', port: SERVER_PORT, recvBuffer: 4 << 20 },
    clientToTapNs: 20_000, tapToServerNs: 2 * MS, bitsPerSecond: 10e9,
    sink: (f) => {
      w.write(f.tsSec, f.tsNsec, f.data, f.origLen);
      written++;
    },
  });
  conv.connect();
  // about 1.5 packets per data segment (an ACK every second segment); write in 64 MB pieces so the
  // stream store stays small, and stop once enough packets exist
  const piece = 64 << 20;
  while (written < p.packets) conv.send('client', piece, { lossRate: p.lossRate, reorderRate: p.reorderRate });
  conv.close('client').finish();
  w.close();
  return written;
}

function main(): void {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const i = args.indexOf('--only');
  const only = i >= 0 ? args[i + 1] : null;
  for (const f of ensureBenchFiles({ quick, only })) console.log(`${f.name}\t${f.packets}\t${f.bytes}\t${f.path}`);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('gen-bench.ts')) main();
