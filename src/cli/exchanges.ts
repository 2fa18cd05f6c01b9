// `pcapdx exchanges FILE...`: one line per request/response pair (SMB2, ONC RPC), and
// `pcapdx srt FILE...`: service response times per protocol and command, like
// `tshark -z smb2,srt` and `tshark -z rpc,srt,PROGRAM,VERSION` but for everything in one pass.
//
// One pass per file: capture -> decodeFrame -> TCP tracker (connection, direction, stream) ->
// ProtocolPass (in-order streams, framing, decoders) -> Exchange records.

import { readCapture } from '../capture/open.js';
import type { ReadSummary } from '../capture/types.js';
import { formatEpoch } from '../bytes/time.js';
import { ReorderWindow } from '../protocols/order.js';
import { ProtocolPass } from '../protocols/pass.js';
import { ExchangeRecord, type Exchange, type ExchangeSink, type MessageSink, type ProtocolOptions } from '../protocols/types.js';
import { TcpTracker } from '../tcp/tracker.js';
import { decodeFrame } from '../wire/decode.js';
import { newPacket } from '../wire/packet.js';
import { formatSecondsNs, reportCaptureIssues, termSafe } from './common.js';
import type { Output } from './output.js';

export interface ProtocolRun {
  summary: ReadSummary;
  counters: Record<string, number>;
}

/** Runs the protocol stage over one capture, reporting exchanges (and message headers) as found;
 *  `options` says what the caller reads of them (default: everything). */
export async function runProtocols(path: string, onExchange: ExchangeSink, onMessage: MessageSink | null = null,
  beforeRefill?: () => Promise<void>, options: ProtocolOptions = {}): Promise<ProtocolRun> {
  const pkt = newPacket();
  const pass = new ProtocolPass(onExchange, onMessage, options);
  const tracker = new TcpTracker({ onEnd: (rec) => pass.connectionEnded(rec.stream) });
  const summary = await readCapture(path, (frame) => {
    decodeFrame(frame, pkt);
    const seg = tracker.track(frame, pkt);
    if (seg) pass.tcp(frame, pkt, seg);
    else pass.packet(frame, pkt);
  }, beforeRefill ? { beforeRefill } : {});
  tracker.finish();
  pass.finish();
  return { summary, counters: pass.counters };
}

function argsText(e: Exchange): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(e.args)) parts.push(`${k}=${typeof v === 'string' ? JSON.stringify(v) : v}`);
  if (e.interimFrames.length) parts.push(`interim=${e.interimFrames.join(',')}`);
  const r = e.retransmit;
  if (r) {
    parts.push(`retransmit_of=${r.originalFrame}`, `after=${formatSecondsNs(r.sinceNs, 6)}s`,
      `after_reply=${r.afterReply}`, `body=${r.body}`);
    if (r.body === 'different') parts.push(`first_diff=${r.firstDiff}`, `orig=${r.originalHex}`, `now=${r.retransmitHex}`);
  }
  return termSafe(parts.join(' '));
}

export function exchangeLine(e: Exchange): string {
  const req = e.requestFrame > 0 ? String(e.requestFrame) : '-';
  const res = e.responseFrame > 0 ? String(e.responseFrame) : '-';
  const lat = e.latencyNs >= 0 ? `${formatSecondsNs(e.latencyNs, 6)}s` : e.kind;
  const status = e.status || '-';
  return `${req.padStart(7)} -> ${res.padEnd(7)} ${lat.padStart(11)}  ${e.service.padEnd(10)} ${termSafe(e.command).padEnd(16)} ` +
    `${termSafe(status).padEnd(22)} ${argsText(e)}`.trimEnd();
}

/** formatEpoch(ns, 9) without BigInt division (two per exchange were a visible cost): the decimal
 *  digits of ns with the point put before the last nine. */
export function epoch9(ns: bigint): string {
  if (ns < 0n) return formatEpoch(ns, 9);
  const s = ns.toString();
  if (s.length <= 9) return '0.' + s.padStart(9, '0');
  return s.slice(0, s.length - 9) + '.' + s.slice(s.length - 9);
}

/** epoch9(toNs(sec, nsec)) without a bigint, for a second and nanosecond in range (the reader's
 *  times always are); null otherwise. */
export function epoch9Parts(sec: number, nsec: number): string | null {
  if (!Number.isSafeInteger(sec) || sec < 0 || !Number.isInteger(nsec) || nsec < 0 || nsec >= 1e9) return null;
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

function requestTime(e: Exchange): string | null {
  if (e instanceof ExchangeRecord && e.requestFrame > 0) {
    const t = epoch9Parts(e.requestSec, e.requestNsec);
    if (t !== null) return t;
  }
  const ns = e.requestNs;
  return ns !== null ? epoch9(ns) : null;
}

function responseTime(e: Exchange): string | null {
  if (e instanceof ExchangeRecord && e.responseFrame > 0) {
    const t = epoch9Parts(e.responseSec, e.responseNsec);
    if (t !== null) return t;
  }
  const ns = e.responseNs;
  return ns !== null ? epoch9(ns) : null;
}

export function exchangeJson(file: string, e: Exchange): string {
  return JSON.stringify({
    file, protocol: e.protocol, service: e.service, command: e.command, program: e.program, version: e.version,
    procedure: e.procedure, id: e.id, kind: e.kind, requestFrame: e.requestFrame || null,
    responseFrame: e.responseFrame || null, interimFrames: e.interimFrames,
    requestTime: requestTime(e),
    responseTime: responseTime(e),
    latency: e.latencyNs >= 0 ? e.latencyNs / 1e9 : null, status: e.status || null,
    statusCode: e.statusCode, args: e.args, client: e.client, server: e.server, transport: e.transport,
    stream: e.stream, retransmit: e.retransmit ?? null, write: e.write ?? null,
  });
}

/**
 * Exchanges held to put them in request order: they are reported as they complete, and a
 * response comes back after those of requests sent later (concurrent requests, TCP retransmission
 * delays): on the SMB2- and NFS-heavy bench captures 256 lines of window leave ~580 exchanges out
 * of order, 1,024 none. 4,096 formatted lines are about a MB. See protocols/order.ts for what
 * happens to an exchange that completes later than that.
 */
export const EXCHANGE_ORDER_WINDOW = 4096;

export async function exchangesCommand(files: string[], o: { json: boolean }, out: Output): Promise<number> {
  let code = 0;
  for (const file of files) {
    if (!o.json && files.length > 1) out.line(`# ${termSafe(file)}`);
    if (!o.json) out.line(`${'request'.padStart(7)} -> ${'reply'.padEnd(7)} ${'latency'.padStart(11)}  ${'service'.padEnd(10)} ${'command'.padEnd(16)} ${'status'.padEnd(22)} arguments`);
    // exchanges complete out of request order: printed by request frame (response frame when no
    // request was seen), ties in completion order, through a bounded window
    const w = new ReorderWindow<string>(EXCHANGE_ORDER_WINDOW, (line) => out.line(line));
    // every field is printed; the RPC call bodies kept for the retransmission comparison are kept
    // as their places in the file when it is a regular one (protocols/places.ts), not copied
    const run = await runProtocols(file, (e) => w.push(e.requestFrame || e.responseFrame, o.json ? exchangeJson(file, e) : exchangeLine(e)),
      null, out.drain, { captureFile: file });
    w.flush();
    if (w.late > 0) {
      process.stderr.write(`pcapdx: ${termSafe(file)}: ${w.late} exchange(s) printed out of request order: they completed ` +
        `after ${EXCHANGE_ORDER_WINDOW} exchanges with later requests were printed\n`);
    }
    code = Math.max(code, reportCaptureIssues(file, run.summary));
  }
  return code;
}

// ---- service response time ----

export interface SrtRow {
  service: string;
  command: string;
  /** procedure or command number, for ordering like tshark */
  index: number;
  count: number;
  minNs: number;
  medianNs: number;
  p99Ns: number;
  maxNs: number;
  sumNs: number;
}

/** Response-time statistics from answered exchanges (kind 'pair'), per service and command. */
export interface SrtGroup { service: string; command: string; index: number; lat: number[] }

/** Slots of SrtTable's cache of recent groups, by procedure number. */
const GROUP_CACHE = 64;

export class SrtTable {
  // service -> command -> group: looked up with the exchange's own strings (their hashes are
  // cached), where a joined `${service}\0${command}` key was built and hashed per exchange
  private readonly groups = new Map<string, Map<string, SrtGroup>>();
  private readonly order: SrtGroup[] = [];
  /** the group last used for a procedure number (low bits): a hit needs two string comparisons,
   *  usually of the very same strings, instead of two Map lookups */
  private readonly recent: (SrtGroup | undefined)[] = new Array<SrtGroup | undefined>(GROUP_CACHE).fill(undefined);

  add(e: Exchange): void {
    if (e.kind !== 'pair' || e.latencyNs < 0) return;
    const slot = e.procedure & (GROUP_CACHE - 1);
    const r = this.recent[slot];
    if (r !== undefined && r.service === e.service && r.command === e.command) {
      r.lat.push(e.latencyNs);
      return;
    }
    this.group(e).lat.push(e.latencyNs);
  }

  private group(e: Exchange): SrtGroup {
    let byCommand = this.groups.get(e.service);
    if (!byCommand) {
      byCommand = new Map();
      this.groups.set(e.service, byCommand);
    }
    let g = byCommand.get(e.command);
    if (!g) {
      g = { service: e.service, command: e.command, index: e.procedure, lat: [] };
      byCommand.set(e.command, g);
      this.order.push(g);
    }
    this.recent[e.procedure & (GROUP_CACHE - 1)] = g;
    return g;
  }

  rows(): SrtRow[] {
    const rows: SrtRow[] = [];
    for (const g of this.order) rows.push(srtRow(g));
    rows.sort((x, y) => (x.service < y.service ? -1 : x.service > y.service ? 1 : x.index - y.index));
    return rows;
  }
}

/** What srt reads of an exchange: kind, service, command, procedure and latency. Arguments and
 *  the retransmission comparison (and the copies and tables behind it) change none of these. */
export const SRT_PROTOCOL_OPTIONS: ProtocolOptions = { retransmissionDetail: false, args: false };

/** Bound on partitioning rounds of select() before it sorts what is left (adversarial inputs). */
const SELECT_ROUNDS = 64;

/**
 * The statistics of one group. Ranks by selection (two partial partitions) instead of a full sort
 * when that gives the same numbers: every latency a non-negative integer (not -0) and
 * max * count <= 2^53, so that the sum is exact in any order. Otherwise the values are sorted and
 * summed in sorted order, as before.
 */
export function srtRow(g: SrtGroup): SrtRow {
  const a = new Float64Array(g.lat); // not Float64Array.from: that walks an iterator
  const n = a.length;
  const rankIndex = (p: number): number => Math.max(0, Math.ceil(p * n) - 1);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let plain = true;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (!Number.isInteger(v) || v < 0 || (v === 0 && 1 / v < 0)) plain = false;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const row = { service: g.service, command: g.command, index: g.index, count: n, minNs: 0, medianNs: 0, p99Ns: 0, maxNs: 0, sumNs: 0 };
  if (plain && max * n <= Number.MAX_SAFE_INTEGER) {
    const m = rankIndex(0.5);
    const q = rankIndex(0.99);
    row.medianNs = select(a, m, 0, n - 1);
    row.p99Ns = q > m ? select(a, q, m + 1, n - 1) : row.medianNs; // a[m + 1, n) holds the larger ones
    row.minNs = min;
    row.maxNs = max;
    row.sumNs = sum;
    return row;
  }
  a.sort();
  let sorted = 0;
  for (const v of a) sorted += v;
  row.minNs = a[0];
  row.medianNs = a[rankIndex(0.5)];
  row.p99Ns = a[rankIndex(0.99)];
  row.maxNs = a[n - 1];
  row.sumNs = sorted;
  return row;
}

/** The k-th smallest of a[lo, hi] (k in that range), partitioning a[lo, hi] in place around it:
 *  afterwards a[lo, k) <= a[k] <= a[k + 1, hi]. No NaN in a. */
export function select(a: Float64Array, k: number, lo: number, hi: number): number {
  for (let round = 0; hi > lo; round++) {
    if (round >= SELECT_ROUNDS) {
      a.subarray(lo, hi + 1).sort();
      return a[k];
    }
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    // now a[lo, j] <= pivot, a[j + 1, i) == pivot, a[i, hi] >= pivot
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

export async function srtCommand(files: string[], o: { json: boolean }, out: Output): Promise<number> {
  let code = 0;
  for (const file of files) {
    const t = new SrtTable();
    const run = await runProtocols(file, (e) => t.add(e), null, out.drain, SRT_PROTOCOL_OPTIONS);
    code = Math.max(code, reportCaptureIssues(file, run.summary));
    const rows = t.rows();
    if (o.json) {
      for (const r of rows) {
        out.line(JSON.stringify({ file, service: r.service, command: r.command, index: r.index, count: r.count,
          min: r.minNs / 1e9, median: r.medianNs / 1e9, p99: r.p99Ns / 1e9, max: r.maxNs / 1e9, sum: r.sumNs / 1e9 }));
      }
      continue;
    }
    if (files.length > 1) out.line(`# ${termSafe(file)}`);
    out.line(`${'service'.padEnd(12)} ${'command'.padEnd(18)} ${'count'.padStart(7)} ${'min'.padStart(10)} ${'median'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}`);
    for (const r of rows) {
      const s = (ns: number): string => formatSecondsNs(ns, 6).padStart(10);
      out.line(`${r.service.padEnd(12)} ${termSafe(r.command).padEnd(18)} ${String(r.count).padStart(7)} ${s(r.minNs)} ${s(r.medianNs)} ${s(r.p99Ns)} ${s(r.maxNs)}`);
    }
  }
  return code;
}
