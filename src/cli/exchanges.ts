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
import type { Exchange, ExchangeSink, MessageSink, ProtocolOptions } from '../protocols/types.js';
import { TcpTracker } from '../tcp/tracker.js';
import { decodeFrame } from '../wire/decode.js';
import { newPacket } from '../wire/packet.js';
import { formatSecondsNs, termSafe } from './common.js';
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

export function exchangeJson(file: string, e: Exchange): string {
  return JSON.stringify({
    file, protocol: e.protocol, service: e.service, command: e.command, program: e.program, version: e.version,
    procedure: e.procedure, id: e.id, kind: e.kind, requestFrame: e.requestFrame || null,
    responseFrame: e.responseFrame || null, interimFrames: e.interimFrames,
    requestTime: e.requestNs !== null ? epoch9(e.requestNs) : null,
    responseTime: e.responseNs !== null ? epoch9(e.responseNs) : null,
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
  for (const file of files) {
    if (!o.json && files.length > 1) out.line(`# ${termSafe(file)}`);
    if (!o.json) out.line(`${'request'.padStart(7)} -> ${'reply'.padEnd(7)} ${'latency'.padStart(11)}  ${'service'.padEnd(10)} ${'command'.padEnd(16)} ${'status'.padEnd(22)} arguments`);
    // exchanges complete out of request order: printed by request frame (response frame when no
    // request was seen), ties in completion order, through a bounded window
    const w = new ReorderWindow<string>(EXCHANGE_ORDER_WINDOW, (line) => out.line(line));
    await runProtocols(file, (e) => w.push(e.requestFrame || e.responseFrame, o.json ? exchangeJson(file, e) : exchangeLine(e)),
      null, out.drain);
    w.flush();
    if (w.late > 0) {
      process.stderr.write(`pcapdx: ${termSafe(file)}: ${w.late} exchange(s) printed out of request order: they completed ` +
        `after ${EXCHANGE_ORDER_WINDOW} exchanges with later requests were printed\n`);
    }
  }
  return 0;
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
interface SrtGroup { service: string; command: string; index: number; lat: number[] }

export class SrtTable {
  // service -> command -> group: looked up with the exchange's own strings (their hashes are
  // cached), where a joined `${service}\0${command}` key was built and hashed per exchange
  private readonly groups = new Map<string, Map<string, SrtGroup>>();
  private readonly order: SrtGroup[] = [];

  add(e: Exchange): void {
    if (e.kind !== 'pair' || e.latencyNs < 0) return;
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
    g.lat.push(e.latencyNs);
  }

  rows(): SrtRow[] {
    const rows: SrtRow[] = [];
    for (const g of this.order) {
      const a = new Float64Array(g.lat).sort(); // not Float64Array.from: that walks an iterator
      const rank = (p: number): number => a[Math.max(0, Math.ceil(p * a.length) - 1)];
      let sum = 0;
      for (const v of a) sum += v;
      rows.push({ service: g.service, command: g.command, index: g.index, count: a.length, minNs: a[0], medianNs: rank(0.5),
        p99Ns: rank(0.99), maxNs: a[a.length - 1], sumNs: sum });
    }
    rows.sort((x, y) => (x.service < y.service ? -1 : x.service > y.service ? 1 : x.index - y.index));
    return rows;
  }
}

/** What srt reads of an exchange: kind, service, command, procedure and latency. Arguments and
 *  the retransmission comparison (and the copies and tables behind it) change none of these. */
export const SRT_PROTOCOL_OPTIONS: ProtocolOptions = { retransmissionDetail: false, args: false };

export async function srtCommand(files: string[], o: { json: boolean }, out: Output): Promise<number> {
  for (const file of files) {
    const t = new SrtTable();
    await runProtocols(file, (e) => t.add(e), null, out.drain, SRT_PROTOCOL_OPTIONS);
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
  return 0;
}
