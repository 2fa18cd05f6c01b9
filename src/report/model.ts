// The report model: everything a renderer prints, computed here once (renderers only format).
// It is the diagnosis document plus, for each finding, a ladder of its evidence frames built
// from the analysed trace (key segments, protocol exchanges, ICMP errors), and a short summary of
// each capture.

import type { AnalysedTrace } from '../analysis/trace.js';
import { connectionOf, connectionScreen, exchangeScreen } from '../analysis/views.js';
import { labelNames } from '../tcp/labels.js';
import { formatTcpFlagsShort } from '../wire/tcpflags.js';
import { connectionSummaries, captureSummaries, runRules } from '../diagnose/engine.js';
import { DIAGNOSIS_SCHEMA, sortFindings, type CaptureSummary, type ConnectionSummary, type Finding } from '../diagnose/finding.js';
import { formatEndpoint } from '../wire/addr.js';

export interface LadderRow {
  frame: number;
  /** seconds since the first frame of the finding's ladder */
  t: number;
  /** absolute time, ns */
  ns: bigint;
  /** 'c>s' client to server, 's>c' server to client, '?' when not tied to the connection */
  dir: 'c>s' | 's>c' | '?';
  /** what the frame is: flags + seq/ack/len for TCP, the message for SMB2/RPC, type/code for ICMP */
  text: string;
  labels: string[];
}

export interface ReportFinding extends Finding {
  /** index into captures */
  capture: number;
  ladder: LadderRow[];
}

export interface CaptureStats {
  connections: number;
  connectionsDropped: number;
  exchanges: number;
  protocols: string[];
  retransmissions: number;
  resets: number;
  labelCounts: Record<string, number>;
  /** counts per issue code ("file_truncated x1"): the capture's damage and the frames that could
   *  not be decoded */
  issues: string[];
  /** the capture's damage as the reader found it (errors and warnings, the first MAX_PROBLEMS
   *  of them): what, where (byte offset in the file, after which frame) */
  problems: CaptureProblem[];
  /** false when reading stopped at damage: the report covers the frames before it */
  complete: boolean;
  /** protocols seen but not decoded, messages of each ("SMB1", "SMB3 encrypted", "SMB2 compressed") */
  notDecoded: Record<string, number>;
}

export interface CaptureProblem {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  offset: number;
  /** the frame the damage follows (0: before any frame) */
  after_frame: number;
}

/** Problems listed per capture (the reader keeps up to 100; the counts in `issues` cover all). */
export const MAX_PROBLEMS = 5;

export interface ReportModel {
  schema: typeof DIAGNOSIS_SCHEMA;
  captures: (CaptureSummary & { stats: CaptureStats })[];
  findings: ReportFinding[];
  connections: (ConnectionSummary & { capture: number })[];
}

type Entry = { ns: bigint; dir: LadderRow['dir']; text: string; labels: string[]; stream: number };

/** Blocks of frame numbers indexTrace's lookup table of the wanted frames has at most (a few
 *  hundred KB however many frames the capture holds). */
const WANTED_BLOCKS = 65536;

/** Ladder entries of the frames findings cite (only those: a capture's key segments run to
 *  millions). Key segments are found by scanning the trace's segment columns for the frame
 *  numbers, so only the connections that hold a cited frame build SegmentFact objects. */
function indexTrace(trace: AnalysedTrace, wanted: ReadonlySet<number>): Map<number, Entry> {
  const idx = new Map<number, Entry>();
  if (wanted.size === 0) return idx;
  const rows = trace.segments;
  // a connection's rows are in frame order: only one with a wanted frame between its first and
  // last row's frames is scanned (binary search in the sorted wanted frames)
  const sorted = [...wanted].sort((a, b) => a - b);
  // each connection's rows as the screen (views.ts) read them, in typed arrays
  const sc = connectionScreen(trace);
  const { rowStart, rowEnd, firstRowFrame, lastRowFrame } = sc;
  // the first wanted frame at or after each block of `block` frames (at most WANTED_BLOCKS
  // blocks up to the last wanted frame): a connection finds the first wanted frame after its
  // first row with one lookup and a step or two instead of a binary search (this loop over every
  // connection runs once a command, mostly in the interpreter: 100,000 binary searches took
  // about 20 ms of incident D's run)
  const top = sorted[sorted.length - 1];
  let block = 1;
  while (top / block >= WANTED_BLOCKS) block *= 2;
  const firstAt = new Int32Array(Math.floor(top / block) + 1);
  for (let k = 0, a = 0; k < firstAt.length; k++) {
    while (sorted[a] < k * block) a++;
    firstAt[k] = a;
  }
  for (let ci = 0; ci < rowStart.length; ci++) {
    const start = rowStart[ci];
    const end = rowEnd[ci];
    if (end === start) continue;
    const lo = firstRowFrame[ci];
    if (lo > top) continue;
    let a = firstAt[(lo / block) | 0];
    while (sorted[a] < lo) a++;
    if (sorted[a] > lastRowFrame[ci]) continue;
    let hit = false;
    for (let i = start; i < end && !hit; i++) hit = wanted.has(rows.frameAt(i));
    if (!hit) continue;
    const c = trace.connections[ci];
    for (const s of c.keySegments) {
      if (!wanted.has(s.frame)) continue;
      idx.set(s.frame, {
        ns: s.ns, dir: s.dir === 0 ? 'c>s' : 's>c', stream: c.stream, labels: s.labels ? labelNames(s.labels) : [],
        text: `[${formatTcpFlagsShort(s.flags)}] seq=${s.seq} ack=${s.ack} win=${s.win} len=${s.len}`,
      });
    }
  }

  // C and S are the connection's originator and responder, as for key segments: a capture that
  // starts mid-connection may have guessed the server as originator, so a request goes c>s only
  // when its sender is the connection's originator
  // most exchanges hold no cited frame: their two frame numbers (as the exchange screen read
  // them) screen them before any lookup, text or bigint time is made (150,000 exchanges, a
  // handful cited)
  const xs = exchangeScreen(trace);
  trace.captures.forEach((cap, capture) => {
  for (let k = cap.exchangeStart; k < cap.exchangeEnd; k++) {
    if (!wanted.has(xs.requestFrame[k]) && !wanted.has(xs.responseFrame[k])) continue;
    const e = trace.exchanges[k];
    const conn = e.stream >= 0 ? connectionOf(trace, capture, e.stream) : undefined;
    const requesterIsOrig = conn === undefined || (conn.origPort === e.client.port && conn.origAddr === e.client.addr);
    const name = `${e.service} ${e.command}`;
    const add = (frame: number, ns: bigint | null, what: string, toServer: boolean): void => {
      if (frame <= 0 || ns === null || !wanted.has(frame)) return;
      const prev = idx.get(frame);
      const text = `${name} ${what}${e.protocol === 'rpc' ? ` xid=0x${(e.id >>> 0).toString(16)}` : ` id=${e.id}`}`;
      if (prev) prev.text = `${prev.text}  ${text}`;
      else idx.set(frame, { ns, dir: toServer ? 'c>s' : 's>c', stream: e.stream, labels: [], text });
    };
    add(e.requestFrame, e.requestNs, e.kind === 'retransmission' ? 'request (retransmission)' : 'request', requesterIsOrig);
    add(e.responseFrame, e.responseNs, `response ${e.status}`, !requesterIsOrig);
  }
  });
  for (const i of trace.icmpErrors) {
    if (!wanted.has(i.frame)) continue;
    const q = i.quoted;
    const quoted = q ? ` quoting ${formatEndpoint(q.src, q.srcPort)} > ${formatEndpoint(q.dst, q.dstPort)}${q.seq !== null ? ` seq=${q.seq}` : ''}` : '';
    idx.set(i.frame, {
      ns: i.ns, dir: i.quotedDir === null ? '?' : i.quotedDir === 0 ? 's>c' : 'c>s', stream: i.stream ?? -1, labels: [],
      text: `${i.v6 ? 'ICMPv6' : 'ICMP'} type ${i.type} code ${i.code} from ${i.from}${quoted}`,
    });
  }
  return idx;
}

function ladder(f: Finding, idx: Map<number, Entry>): LadderRow[] {
  const rows: LadderRow[] = [];
  const frames = [...f.frames].sort((a, b) => a - b);
  let t0: bigint | null = null;
  for (const n of frames) {
    const e = idx.get(n);
    if (!e) continue;
    if (t0 === null) t0 = e.ns;
    rows.push({ frame: n, ns: e.ns, t: Number(e.ns - t0) / 1e9, dir: e.dir, text: e.text, labels: e.labels });
  }
  return rows;
}

/** What the protocol pass recognised but does not decode, in messages: SMB1 on the SMB ports
 *  beyond the dialect negotiation every client may start with (pcapdx decodes SMB2 and SMB3),
 *  encrypted SMB3 (transform header: its contents are not in the capture) and compressed SMB2. */
function notDecoded(trace: AnalysedTrace): Record<string, number> {
  const c = trace.protocolCounters;
  const out: Record<string, number> = {};
  const smb1 = (c.smb1_messages ?? 0) - (c.smb1_negotiate ?? 0);
  if (smb1 > 0) out.SMB1 = smb1;
  if (c.smb2_encrypted) out['SMB3 encrypted'] = c.smb2_encrypted;
  if (c.smb2_compressed) out['SMB2 compressed'] = c.smb2_compressed;
  return out;
}

function stats(trace: AnalysedTrace, capture: number): CaptureStats {
  const c = trace.captures[capture];
  const protos = exchangeScreen(trace).names;
  const issues = [
    ...Object.entries(c.issueCounts).map(([k, v]) => `${k} x${v}`),
    ...Object.entries(c.wireIssues).map(([k, v]) => `${k} x${v}`),
  ];
  return {
    connections: trace.connections.length + trace.dropped.connections,
    connectionsDropped: trace.dropped.connections,
    exchanges: trace.exchanges.length + trace.dropped.exchanges,
    protocols: [...protos].sort(),
    retransmissions: trace.labelCounts.retransmission ?? 0,
    resets: resetConnections(trace),
    labelCounts: { ...trace.labelCounts } as Record<string, number>,
    issues,
    problems: c.issues.filter((i) => i.severity !== 'info').slice(0, MAX_PROBLEMS)
      .map((i) => ({ code: i.code, severity: i.severity as 'error' | 'warning', message: i.message, offset: i.offset, after_frame: i.frame })),
    complete: c.complete,
    notDecoded: notDecoded(trace),
  };
}

/** Connections whose history holds a reset ('R' or 'r'), as the screen (views.ts) marked them. */
function resetConnections(trace: AnalysedTrace): number {
  return connectionScreen(trace).historyResets;
}

/** One report over several captures, each analysed on its own (frame numbers and streams are per capture).
 *  `connections: false` leaves model.connections empty: the terminal report does not show them,
 *  and a summary object per connection (100,000 and more) only to drop it costs time and memory. */
export function buildReport(traces: AnalysedTrace[], opts: { connections?: boolean } = {}): ReportModel {
  const model: ReportModel = { schema: DIAGNOSIS_SCHEMA, captures: [], findings: [], connections: [] };
  traces.forEach((trace, capture) => {
    const findings = runRules(trace);
    const idx = indexTrace(trace, new Set(findings.flatMap((f) => f.frames)));
    model.captures.push({ ...captureSummaries(trace)[0], stats: stats(trace, 0) });
    for (const f of findings) model.findings.push({ ...f, capture, ladder: ladder(f, idx) });
    if (opts.connections !== false) for (const c of connectionSummaries(trace, capture)) model.connections.push(c);
  });
  const order = sortFindings(model.findings);
  model.findings = order as ReportFinding[];
  return model;
}
