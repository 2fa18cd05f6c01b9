// The plot data of the HTML report: everything its pictures draw, computed here once from the
// analysed trace and the report model, so the renderer (src/report/html/) only lays out numbers
// it is given. This is model building, not rendering; its shape is documented in
// docs/html-report.md.
//
// Times in plot data are float seconds relative to the capture's first frame (`t0`, absolute ns
// as a decimal string): a plot needs a position, not an exact timestamp, and every point also
// carries its frame number for exact look-up with `tshark -Y frame.number==N`.
//
// Every list here is bounded by a named limit (a report must open fast on a capture with
// millions of packets) and says how many points it left out. Decimation never drops a point that
// is evidence (an outlier, a labelled segment, a finding's frame).
//
// Sources today: heartbeats from the protocol exchanges (SMB2 ECHO, RPC NULL) and keep-alive
// key segments; connect latency from each connection's key segments (first SYN to the client's
// handshake ACK); service response times from the exchanges. When the analysis gains richer
// facts (heartbeat timelines, connect-latency samples), only the builders below change.

import type { AnalysedTrace, ConnectionFacts } from '../analysis/trace.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../wire/packet.js';
import { L_KEEP_ALIVE } from '../tcp/labels.js';
import type { ReportModel } from './model.js';
import { formatEndpoint } from '../wire/addr.js';

export const PLOTDATA_SCHEMA = 'pcapdx.plotdata/1';

/** Heartbeat timelines drawn per capture: one per connection that carries heartbeats, those
 *  named by a finding first, then the ones with the most beats. A dozen rows still read as one
 *  picture; more would be a table. */
export const MAX_HEARTBEAT_TIMELINES = 12;
/** Heartbeats kept per timeline (a 60 s echo over a week is 10,080 beats). */
export const MAX_BEATS_PER_TIMELINE = 5_000;
/** Other server responses (data traffic) drawn on a heartbeat timeline: they explain why a beat
 *  was skipped (Linux cifs skips an echo after a recent response). */
export const MAX_OTHER_RESPONSES_PER_TIMELINE = 2_000;
/** A gap between heartbeats longer than this many nominal periods means beats are missing. */
export const MISSING_BEAT_FACTOR = 1.5;

/** Connect-latency points drawn; all of them go into the histogram and the percentiles. */
export const MAX_LATENCY_POINTS = 20_000;
/** A set-up latency is an outlier above this many times the median: a SYN retransmission (1 s
 *  on Linux) against a LAN handshake of a millisecond is a factor of a thousand, scheduling noise
 *  a factor of two or three. */
export const LATENCY_OUTLIER_FACTOR = 10;
/** Outliers drawn at most (they are always kept before ordinary points). */
export const MAX_LATENCY_OUTLIERS = 5_000;
/** Fewer handshakes than this make no latency picture (two points are not a distribution). */
export const MIN_LATENCY_SAMPLES = 8;
/** Histogram bins (log-spaced between the smallest and largest latency). */
export const LATENCY_BINS = 40;

/** Response-time points kept per (service, command); statistics use every exchange. */
export const MAX_SRT_POINTS_PER_COMMAND = 2_000;
/** Commands shown; the rest are counted in `omittedCommands`. */
export const MAX_SRT_COMMANDS = 24;

/** Rows in the connection table (those named by findings first, then in stream order). */
export const MAX_TABLE_CONNECTIONS = 5_000;

export interface Beat {
  t: number;
  frame: number;
}

export interface HeartbeatTimeline {
  stream: number;
  client: string;
  server: string;
  /** what the beats are: 'SMB2 ECHO', 'NFSv3 NULL', 'TCP keep-alive' */
  kind: string;
  /** the connection's first and last frame time */
  start: number;
  end: number;
  requests: Beat[];
  responses: Beat[];
  /** TCP keep-alives on the connection (a second kind of beat, drawn apart) */
  keepAlives: (Beat & { from: 'client' | 'server' })[];
  /** other server responses (data) */
  otherResponses: Beat[];
  /** median interval between consecutive requests, null with fewer than 3 requests */
  periodS: number | null;
  /** when a beat was due (last beat + k x period) but none came */
  missing: number[];
  /** the longest time without any server response, up to the teardown or the end */
  silence: { from: number; to: number; fromFrame: number; toFrame: number } | null;
  /** the first FIN or RST */
  teardown: { t: number; frame: number; kind: 'fin' | 'rst'; by: 'client' | 'server' } | null;
  omitted: number;
}

/** One connection's set-up latency: t (first SYN), ms, stream, frame of the first SYN, server
 *  port, and flags (LAT_OUTLIER | LAT_EVIDENCE). A tuple: a report may carry 20,000 of them. */
export type LatencyPoint = [t: number, ms: number, stream: number, frame: number, port: number, flags: number];
/** above LATENCY_OUTLIER_FACTOR x the median */
export const LAT_OUTLIER = 1;
/** named as evidence by a finding */
export const LAT_EVIDENCE = 2;

export interface ConnectLatency {
  /** how a sample is measured */
  measure: string;
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** outliers are above this (ms) */
  thresholdMs: number;
  outliers: number;
  points: LatencyPoint[];
  histogram: { edgesMs: number[]; counts: number[] };
  omitted: number;
}

export interface SrtCommand {
  service: string;
  command: string;
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  /** (t, ms, request frame) */
  points: [number, number, number][];
  omitted: number;
}

export interface ServiceTimes {
  commands: SrtCommand[];
  omittedCommands: number;
}

/** The Stevens time-sequence graph of one direction of a connection, and its RTT samples.
 *  Built by a second, decimated pass over the capture (src/report/html/pass.ts). */
export interface TimeSequence {
  stream: number;
  client: string;
  server: string;
  /** which side sends the data plotted: the one that sent more payload */
  sender: 'client' | 'server';
  /** data segments: t, relative seq of the first byte, length, frame, kind */
  segments: [number, number, number, number, SegmentKind][];
  /** the receiver's ACKs: t, relative ack, relative right window edge (ack + scaled window) */
  acks: [number, number, number][];
  /** SACK blocks from the receiver: t, relative left, relative right */
  sacks: [number, number, number][];
  /** zero-window advertisements by the receiver: t, relative ack, frame */
  zeroWindows: [number, number, number][];
  /** RTT samples (Wireshark's ack_rtt on the receiver's ACKs): t, ms */
  rtt: [number, number][];
  /** points left out by decimation (labelled segments are always kept) */
  omitted: number;
}

/** 0 ordinary, 1 retransmission (any kind), 2 out of order, 3 zero-window probe, 4 keep-alive */
export type SegmentKind = 0 | 1 | 2 | 3 | 4;

export interface CapturePlots {
  capture: number;
  /** absolute ns of the first frame, decimal string (the origin of every `t`) */
  t0: string;
  duration: number;
  heartbeats: HeartbeatTimeline[];
  connectLatency: ConnectLatency | null;
  serviceTimes: ServiceTimes;
  timeSequences: TimeSequence[];
  /** indexes into ReportModel.connections chosen for the table, and how many were left out */
  tableRows: number[];
  tableOmitted: number;
}

export interface PlotData {
  schema: typeof PLOTDATA_SCHEMA;
  captures: CapturePlots[];
}

// ------------------------------------------------------------------ helpers

const ep = formatEndpoint;

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Keeps at most `cap` items, evenly spaced, always including the first and the last. */
export function decimate<T>(items: readonly T[], cap: number): T[] {
  if (items.length <= cap) return [...items];
  if (cap <= 1) return items.slice(0, cap);
  const out: T[] = [];
  const step = (items.length - 1) / (cap - 1);
  for (let i = 0; i < cap; i++) out.push(items[Math.round(i * step)]);
  return out;
}

function rel(ns: bigint | null, t0: bigint): number {
  return ns === null ? 0 : Number(ns - t0) / 1e9;
}

function findingStreams(model: ReportModel, capture: number): Set<number> {
  const s = new Set<number>();
  for (const f of model.findings) if (f.capture === capture && f.connection) s.add(f.connection.stream);
  return s;
}

function findingFrames(model: ReportModel, capture: number): Set<number> {
  const s = new Set<number>();
  for (const f of model.findings) if (f.capture === capture) for (const n of f.frames) s.add(n);
  return s;
}

// ------------------------------------------------------------------ heartbeats

/** Exchanges that are heartbeats: SMB2 ECHO (MS-SMB2 3.2.6.2: the client's idle probe), and the
 *  RPC NULL procedure (procedure 0, which NFS clients send as a ping). */
function isHeartbeat(service: string, protocol: string, command: string, procedure: number): boolean {
  if (protocol === 'smb2') return command === 'ECHO';
  if (protocol === 'rpc') return procedure === 0;
  void service;
  return false;
}

function teardownOf(c: ConnectionFacts, t0: bigint): HeartbeatTimeline['teardown'] {
  for (const s of c.keySegments) {
    if (s.flags & (TCP_FIN | TCP_RST)) {
      return { t: rel(s.ns, t0), frame: s.frame, kind: s.flags & TCP_RST ? 'rst' : 'fin', by: s.dir === 0 ? 'client' : 'server' };
    }
  }
  return null;
}

function buildHeartbeats(trace: AnalysedTrace, t0: bigint, wanted: Set<number>): HeartbeatTimeline[] {
  type Acc = { kind: string; req: Beat[]; resp: Beat[]; other: Beat[]; serverTimes: Beat[] };
  const per = new Map<number, Acc>();
  for (const e of trace.exchanges) {
    if (e.stream < 0) continue;
    let a = per.get(e.stream);
    if (!a) per.set(e.stream, (a = { kind: '', req: [], resp: [], other: [], serverTimes: [] }));
    const hb = isHeartbeat(e.service, e.protocol, e.command, e.procedure);
    if (hb) {
      if (!a.kind) a.kind = `${e.service} ${e.command}`;
      if (e.requestFrame > 0 && e.requestNs !== null) a.req.push({ t: rel(e.requestNs, t0), frame: e.requestFrame });
      if (e.responseFrame > 0 && e.responseNs !== null) a.resp.push({ t: rel(e.responseNs, t0), frame: e.responseFrame });
    } else if (e.responseFrame > 0 && e.responseNs !== null) {
      a.other.push({ t: rel(e.responseNs, t0), frame: e.responseFrame });
    }
    if (e.responseFrame > 0 && e.responseNs !== null) a.serverTimes.push({ t: rel(e.responseNs, t0), frame: e.responseFrame });
  }
  const conns = new Map<number, ConnectionFacts>();
  for (const c of trace.connections) conns.set(c.stream, c);

  const candidates: HeartbeatTimeline[] = [];
  const streams = new Set<number>([...per.keys()]);
  for (const c of trace.connections) if (c.keepAlives.zeroByte + c.keepAlives.oneByte > 0) streams.add(c.stream);
  for (const stream of streams) {
    const c = conns.get(stream);
    if (!c) continue;
    const a = per.get(stream) ?? { kind: '', req: [], resp: [], other: [], serverTimes: [] };
    const keepAlives = c.keySegments
      .filter((s) => s.labels & L_KEEP_ALIVE)
      .map((s) => ({ t: rel(s.ns, t0), frame: s.frame, from: s.dir === 0 ? 'client' as const : 'server' as const }));
    if (a.req.length < 2 && keepAlives.length === 0 && !(a.req.length === 1 && wanted.has(stream))) continue;
    const byT = (x: Beat, y: Beat): number => x.t - y.t;
    a.req.sort(byT);
    a.resp.sort(byT);
    a.other.sort(byT);
    a.serverTimes.sort(byT);
    const start = rel(c.firstNs, t0);
    const end = rel(c.lastNs, t0);
    const teardown = teardownOf(c, t0);

    // nominal period: the median interval between consecutive requests
    let periodS: number | null = null;
    if (a.req.length >= 3) {
      const gaps = a.req.slice(1).map((b, i) => b.t - a.req[i].t).sort((x, y) => x - y);
      periodS = percentile(gaps, 50);
    }
    const missing: number[] = [];
    if (periodS !== null && periodS > 0) {
      const stop = teardown ? teardown.t : end;
      const times = [...a.req.map((b) => b.t), stop];
      for (let i = 0; i + 1 < times.length && missing.length < MAX_BEATS_PER_TIMELINE; i++) {
        if (times[i + 1] - times[i] <= MISSING_BEAT_FACTOR * periodS) continue;
        for (let due = times[i] + periodS; due < times[i + 1] - periodS / 2 && missing.length < MAX_BEATS_PER_TIMELINE; due += periodS) missing.push(due);
      }
    }
    // silence: the longest time without a server response, counting up to the teardown
    let silence: HeartbeatTimeline['silence'] = null;
    const st = a.serverTimes;
    const edges: Beat[] = [...st];
    if (teardown) edges.push({ t: teardown.t, frame: teardown.frame });
    for (let i = 0; i + 1 < edges.length; i++) {
      const g = edges[i + 1].t - edges[i].t;
      if (g > 0 && (silence === null || g > silence.to - silence.from)) silence = { from: edges[i].t, to: edges[i + 1].t, fromFrame: edges[i].frame, toFrame: edges[i + 1].frame };
    }
    const total = a.req.length + a.resp.length;
    const requests = decimate(a.req, MAX_BEATS_PER_TIMELINE);
    const responses = decimate(a.resp, MAX_BEATS_PER_TIMELINE);
    const otherResponses = decimate(a.other, MAX_OTHER_RESPONSES_PER_TIMELINE);
    candidates.push({
      stream, client: ep(c.origAddr, c.origPort), server: ep(c.respAddr, c.respPort),
      kind: a.kind || 'TCP keep-alive', start, end, requests, responses, keepAlives, otherResponses, periodS, missing, silence, teardown,
      omitted: total - requests.length - responses.length + (a.other.length - otherResponses.length),
    });
  }
  candidates.sort((x, y) => Number(wanted.has(y.stream)) - Number(wanted.has(x.stream)) || y.requests.length - x.requests.length || x.stream - y.stream);
  return candidates.slice(0, MAX_HEARTBEAT_TIMELINES).sort((x, y) => x.stream - y.stream);
}

// ------------------------------------------------------------------ connect latency

/** Set-up latency: from the client's first SYN to the first SYN-ACK after it (as
 *  docs/incidents.md measures it for incident D), so a SYN re-sent after a challenge ACK or a
 *  lost SYN counts in full. Null when the capture does not hold both. */
export function connectLatencyNs(c: ConnectionFacts): { ns: bigint; synFrame: number } | null {
  if (c.opener !== 'syn') return null;
  let syn: { ns: bigint; frame: number } | null = null;
  for (const s of c.keySegments) {
    const isSyn = (s.flags & TCP_SYN) !== 0;
    const isAck = (s.flags & TCP_ACK) !== 0;
    if (s.dir === 0 && isSyn && !isAck) {
      if (syn === null) syn = { ns: s.ns, frame: s.frame };
    } else if (s.dir === 1 && isSyn && isAck && syn !== null) return { ns: s.ns - syn.ns, synFrame: syn.frame };
  }
  return null;
}

function buildLatency(trace: AnalysedTrace, t0: bigint, evidence: Set<number>): ConnectLatency | null {
  const all: LatencyPoint[] = [];
  for (const c of trace.connections) {
    const l = connectLatencyNs(c);
    if (!l) continue;
    all.push([rel(c.firstNs, t0), Number(l.ns) / 1e6, c.stream, l.synFrame, c.respPort, evidence.has(l.synFrame) ? LAT_EVIDENCE : 0]);
  }
  if (all.length < MIN_LATENCY_SAMPLES) return null;
  const sorted = all.map((p) => p[1]).sort((x, y) => x - y);
  const p50 = percentile(sorted, 50);
  const thresholdMs = p50 * LATENCY_OUTLIER_FACTOR;
  let outliers = 0;
  for (const p of all) if (p[1] > thresholdMs) {
    p[5] |= LAT_OUTLIER;
    outliers++;
  }
  // histogram over every sample, log-spaced (latencies span microseconds to seconds)
  const lo = Math.max(sorted[0], 1e-3);
  const hi = Math.max(sorted[sorted.length - 1], lo * 1.0001);
  const edgesMs: number[] = [];
  for (let i = 0; i <= LATENCY_BINS; i++) edgesMs.push(lo * Math.pow(hi / lo, i / LATENCY_BINS));
  const counts = new Array<number>(LATENCY_BINS).fill(0);
  const k = LATENCY_BINS / Math.log(hi / lo);
  for (const v of sorted) counts[Math.min(LATENCY_BINS - 1, Math.max(0, Math.floor(Math.log(Math.max(v, lo) / lo) * k)))]++;

  const special = all.filter((p) => p[5] !== 0).slice(0, MAX_LATENCY_OUTLIERS);
  const ordinary = decimate(all.filter((p) => p[5] === 0), Math.max(0, MAX_LATENCY_POINTS - special.length));
  const points = [...ordinary, ...special].sort((x, y) => x[0] - y[0]);
  return {
    measure: 'first SYN to the SYN-ACK', count: all.length, p50, p90: percentile(sorted, 90), p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1], thresholdMs, outliers, points, histogram: { edgesMs, counts }, omitted: all.length - points.length,
  };
}

// ------------------------------------------------------------------ service response times

function buildSrt(trace: AnalysedTrace, t0: bigint): ServiceTimes {
  const per = new Map<string, { service: string; command: string; ms: number[]; pts: [number, number, number][] }>();
  for (const e of trace.exchanges) {
    if (e.kind !== 'pair' || e.latencyNs < 0) continue;
    const key = `${e.service}\u0000${e.command}`;
    let a = per.get(key);
    if (!a) per.set(key, (a = { service: e.service, command: e.command, ms: [], pts: [] }));
    const ms = e.latencyNs / 1e6;
    a.ms.push(ms);
    a.pts.push([rel(e.requestNs, t0), ms, e.requestFrame]);
  }
  const cmds = [...per.values()].sort((x, y) => y.ms.length - x.ms.length || (x.service + x.command < y.service + y.command ? -1 : 1));
  const commands: SrtCommand[] = cmds.slice(0, MAX_SRT_COMMANDS).map((a) => {
    const sorted = [...a.ms].sort((x, y) => x - y);
    // keep the slowest points (the story) and an even sample of the rest
    const bySlow = [...a.pts].sort((x, y) => y[1] - x[1]);
    const slow = bySlow.slice(0, Math.floor(MAX_SRT_POINTS_PER_COMMAND / 10));
    const rest = decimate(bySlow.slice(slow.length).sort((x, y) => x[0] - y[0]), MAX_SRT_POINTS_PER_COMMAND - slow.length);
    const points = [...rest, ...slow].sort((x, y) => x[0] - y[0]);
    return {
      service: a.service, command: a.command, count: sorted.length, min: sorted[0], p50: percentile(sorted, 50), p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1], points, omitted: a.pts.length - points.length,
    };
  });
  commands.sort((x, y) => (x.service + x.command < y.service + y.command ? -1 : 1));
  return { commands, omittedCommands: Math.max(0, cmds.length - MAX_SRT_COMMANDS) };
}

// ------------------------------------------------------------------ table and choices

function tableRows(model: ReportModel, capture: number): { rows: number[]; omitted: number } {
  const wanted = findingStreams(model, capture);
  const first: number[] = [];
  const rest: number[] = [];
  model.connections.forEach((c, i) => {
    if (c.capture !== capture) return;
    (wanted.has(c.stream) ? first : rest).push(i);
  });
  const all = [...first, ...rest];
  const rows = all.slice(0, MAX_TABLE_CONNECTIONS).sort((a, b) => model.connections[a].stream - model.connections[b].stream);
  return { rows, omitted: all.length - rows.length };
}

/** Time-sequence graphs drawn per capture. */
export const MAX_TIME_SEQUENCES = 2;

/** The connections worth a time-sequence graph: those the findings name (in report order), then
 *  the one with the most retransmissions, then the one that carried the most bytes. */
export function chooseTimeSequenceStreams(trace: AnalysedTrace, model: ReportModel, capture: number, max = MAX_TIME_SEQUENCES): number[] {
  const out: number[] = [];
  const add = (s: number): void => {
    if (out.length < max && !out.includes(s)) out.push(s);
  };
  for (const f of model.findings) if (f.capture === capture && f.connection) add(f.connection.stream);
  const byRetrans = trace.connections.filter((c) => c.orig.retransmissions + c.resp.retransmissions > 0)
    .sort((a, b) => b.orig.retransmissions + b.resp.retransmissions - a.orig.retransmissions - a.resp.retransmissions);
  if (byRetrans.length) add(byRetrans[0].stream);
  let big: ConnectionFacts | null = null;
  for (const c of trace.connections) if (!big || c.orig.payload + c.resp.payload > big.orig.payload + big.resp.payload) big = c;
  if (big && big.orig.payload + big.resp.payload > 0) add(big.stream);
  return out;
}

/** Plot data from the trace of each capture (same order as model.captures). Time-sequence graphs
 *  are left empty here; the second pass (html/pass.ts) fills them in. */
export function buildPlotData(traces: readonly AnalysedTrace[], model: ReportModel): PlotData {
  return {
    schema: PLOTDATA_SCHEMA,
    captures: traces.map((trace, capture) => {
      const c = trace.captures[0];
      const t0 = c?.firstNs ?? 0n;
      const { rows, omitted } = tableRows(model, capture);
      return {
        capture, t0: t0.toString(), duration: c?.firstNs != null && c.lastNs != null ? Number(c.lastNs - c.firstNs) / 1e9 : 0,
        heartbeats: buildHeartbeats(trace, t0, findingStreams(model, capture)),
        connectLatency: buildLatency(trace, t0, findingFrames(model, capture)),
        serviceTimes: buildSrt(trace, t0),
        timeSequences: [], tableRows: rows, tableOmitted: omitted,
      };
    }),
  };
}
