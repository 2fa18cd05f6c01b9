// The finding model of `pcapdx diagnose` (issue 5): what a rule concludes from an analysed trace,
// as plain data that renderers (terminal, JSON, HTML) print without recomputing anything.
//
// A finding names its rule by a stable id `<area>/<kebab-name>`, carries a severity, a one-sentence
// summary that already holds its numbers ("Client gave up 120.3 s after the last SMB2 response,
// 2 x the 60 s echo interval"), a longer explanation, the connection it is about, the frames that
// prove it (1-based, as in Wireshark, so `tshark -Y frame.number==N` shows each one), named
// metrics, and where it applies the known defect it matches and what to do.
//
// A rule is a pure function of the analysed trace. The trace type is opaque here (it is built by
// src/analysis/), so this file depends on nothing but itself.

import type { KnownDefect } from './known-defects.js';

export type { KnownDefect, KnownDefectId } from './known-defects.js';
export { KNOWN_DEFECTS, KNOWN_DEFECT_IDS, knownDefect } from './known-defects.js';

// ------------------------------------------------------------------ severity

/** Most severe first. 'critical': data at risk or service down; 'error': a failure the user saw
 *  (a teardown, a failed handshake); 'warning': degraded (latency spikes); 'info': context that
 *  explains the others or describes normal but notable behaviour (keep-alive style, drift). */
export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** 0 for the most severe ('critical') up to 3 ('info'). */
export function severityRank(s: Severity): number {
  switch (s) {
    case 'critical':
      return 0;
    case 'error':
      return 1;
    case 'warning':
      return 2;
    case 'info':
      return 3;
  }
}

/** Comparator: more severe first (negative when `a` is more severe than `b`). */
export function compareSeverity(a: Severity, b: Severity): number {
  return severityRank(a) - severityRank(b);
}

/** True when `s` is at least as severe as `min`. */
export function atLeast(s: Severity, min: Severity): boolean {
  return severityRank(s) <= severityRank(min);
}

/** The most severe of the findings, null when there are none. */
export function worstSeverity(findings: readonly Pick<Finding, 'severity'>[]): Severity | null {
  let worst: Severity | null = null;
  for (const f of findings) if (worst === null || compareSeverity(f.severity, worst) < 0) worst = f.severity;
  return worst;
}

/** Report order: severity, then the first evidence frame (earlier first; findings without frames
 *  last), then the rule id, so that the same trace always prints in the same order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => {
    const s = compareSeverity(a.severity, b.severity);
    if (s !== 0) return s;
    const fa = a.frames.length ? a.frames[0] : Number.MAX_SAFE_INTEGER;
    const fb = b.frames.length ? b.frames[0] : Number.MAX_SAFE_INTEGER;
    if (fa !== fb) return fa - fb;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

// ------------------------------------------------------------------ rule ids

/** Every rule id the diagnosis knows. The rules themselves live in src/diagnose/rules/, one per
 *  file; their tests and the incident generators (test/incidents/) refer to these ids. */
export const RULE_IDS = [
  // A: heartbeats and the idle timeout
  'heartbeat/timeout-teardown', // a client tore the connection down after a silence of k x its heartbeat interval
  'heartbeat/drift', // a heartbeat stream: nominal period, measured mean, drift, beats that are missing
  'tcp/keepalive', // TCP keep-alives seen, and their style (Linux: no payload; Windows: one old byte)
  // B: reconnect SYN burst
  'tcp/syn-burst', // several SYNs from one source port with different ISNs within a short time
  'tcp/synack-for-old-isn', // a SYN-ACK acknowledging an ISN the client has since replaced
  'icmp/unreachable-for-tcp', // ICMP destination-unreachable errors quoting a TCP connection's packets
  'tcp/handshake-failed', // a connection attempt whose answers were rejected (ICMP, RST) or that never completed; a plain SYN retransmission is not one
  // C: retransmissions with different bytes
  'rpc/retransmission-differs', // an RPC call re-sent with the same XID but different bytes
  'tcp/retransmission-differs', // a TCP retransmission whose bytes differ from the first transmission
  // D: challenge ACK on SYN, connect latency
  'tcp/challenge-ack-on-syn', // a SYN answered by a bare ACK for an old connection (stale server state)
  'tcp/connect-latency-outliers', // connection set-up latency per server port and its outliers
  // general health
  'tcp/retransmissions', // a connection with many data retransmissions or a retransmission-timeout stall
  'tcp/zero-window-stall', // a receiver kept its window closed for seconds
  'tcp/zero-window', // a receiver closed its window and reopened it soon: flow control (info)
  'tcp/bottleneck-queue', // a sender kept the window full while its round trips grew 10 x: a queue in front of a slow link
  'tcp/ack-stall', // a sender waited again and again for its peer's late ACK before sending more (Nagle and delayed ACK, or a small window)
  'tcp/resets', // who reset which connections, after what (info)
  'tcp/middlebox-reset', // a RST in one end's name with another TTL than that end's packets: a firewall, IPS or censor reset the connection
  'tcp/unanswered-syn', // connection attempts that got no answer at all
  'rpc/unanswered-calls', // RPC calls with no reply although the capture went on for a second or more
  'capture/missing-segments', // segments missing from the capture but acknowledged by the peer: capture loss
  // refusals and errors: mounts, logons and connections that failed
  'rpc/call-rejected', // RPC calls refused before the program ran (AUTH_ERROR, PROG_UNAVAIL, PROG_MISMATCH ...)
  'nfs/error-replies', // NFS and MOUNT replies saying the server, the export or the client's state is in trouble (STALE, GRACE, NOSPC, mount ACCES ...)
  'smb2/logon-failed', // SMB2 SESSION_SETUP refused (bad password, locked account ...)
  'smb2/tree-connect-failed', // SMB2 TREE_CONNECT refused (no such share, access denied ...)
  'smb2/error-replies', // SMB2 responses saying the session, share or server is in trouble (session deleted or expired, resources)
  'tcp/connection-refused', // SYNs answered by a RST: nothing listens on the port, or a firewall rejects
  // latency
  'tcp/slow-first-response', // a second or more from SYN to the first byte of the answer, split into network, client, server
] as const;
export type RuleId = (typeof RULE_IDS)[number];

const RULE_ID_SYNTAX = /^[a-z0-9]+(?:-[a-z0-9]+)*\/[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** True when `id` has the shape `<area>/<kebab-name>` (lower case letters, digits, single dashes). */
export function isRuleIdSyntax(id: string): boolean {
  return RULE_ID_SYNTAX.test(id);
}

export function isKnownRuleId(id: string): id is RuleId {
  return (RULE_IDS as readonly string[]).includes(id);
}

// ------------------------------------------------------------------ findings

/** At most this many evidence frames per finding: enough for a handshake, a burst of four SYNs
 *  with their answers, or the beats around a missing heartbeat, while a report stays readable
 *  and a JSON document stays small on a capture with millions of matching packets. The first and
 *  most telling frames come first; `metrics` carries the full counts. */
export const MAX_EVIDENCE_FRAMES = 16;

export interface Endpoint {
  /** textual address as Wireshark prints it ("10.0.0.36", "2001:db8::1"); untrusted input is
   *  never put here, only addresses formatted from numbers */
  addr: string;
  port: number;
}

/** The TCP connection a finding is about. */
export interface ConnectionRef {
  /** index of the connection in order of first appearance, as tshark's tcp.stream */
  stream: number;
  /** the originator: the side whose SYN was seen, else the side inferred from the ports */
  client: Endpoint;
  server: Endpoint;
}

export type MetricValue = number | string;

export interface Finding {
  /** the rule that produced it: `<area>/<kebab-name>` */
  id: RuleId;
  severity: Severity;
  /** one sentence carrying its numbers */
  summary: string;
  /** what happened, why it matters and how the evidence shows it (a few sentences) */
  explanation: string;
  connection?: ConnectionRef;
  /** evidence frame numbers, 1-based, first and most telling first, at most MAX_EVIDENCE_FRAMES */
  frames: number[];
  /** named measurements, snake_case with the unit as suffix where there is one (silence_s,
   *  wait_ms, p99_us); numbers are plain JSON numbers, identifiers and lists are strings */
  metrics: Record<string, MetricValue>;
  /** the known defect this matches, when the evidence identifies one */
  knownDefect?: KnownDefect;
  /** what to do, most useful first */
  advice?: string[];
}

/** Dedupes evidence frames keeping their order (the first listed are the most telling) and
 *  keeps at most `cap`. Non-positive and non-integer frame numbers are dropped. */
export function evidenceFrames(frames: Iterable<number>, cap = MAX_EVIDENCE_FRAMES): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const f of frames) {
    if (out.length >= cap) break;
    if (!Number.isInteger(f) || f < 1 || seen.has(f)) continue;
    seen.add(f);
    out.push(f);
  }
  return out;
}

/** Problems with a finding as data (empty when it is well formed). Rules' tests call this on
 *  everything they produce. */
export function findingProblems(f: Finding): string[] {
  const p: string[] = [];
  if (!isRuleIdSyntax(f.id)) p.push(`id "${f.id}" is not <area>/<kebab-name>`);
  else if (!isKnownRuleId(f.id)) p.push(`id "${f.id}" is not in RULE_IDS`);
  if (!(SEVERITIES as readonly string[]).includes(f.severity)) p.push(`severity "${f.severity}" unknown`);
  if (f.summary.trim().length === 0) p.push('summary is empty');
  if (/[\r\n]/.test(f.summary)) p.push('summary spans several lines');
  if (!/\d/.test(f.summary)) p.push('summary carries no number');
  if (f.explanation.trim().length === 0) p.push('explanation is empty');
  if (f.frames.length > MAX_EVIDENCE_FRAMES) p.push(`${f.frames.length} frames (cap ${MAX_EVIDENCE_FRAMES})`);
  if (f.frames.some((n) => !Number.isInteger(n) || n < 1)) p.push('frames must be 1-based integers');
  if (new Set(f.frames).size !== f.frames.length) p.push('frames repeat');
  for (const [k, v] of Object.entries(f.metrics)) {
    if (!/^[a-z][a-z0-9_]*$/.test(k)) p.push(`metric name "${k}" is not snake_case`);
    if (typeof v === 'number' && !Number.isFinite(v)) p.push(`metric ${k} is not finite`);
  }
  if (f.advice && f.advice.some((a) => a.trim().length === 0)) p.push('empty advice line');
  return p;
}

// ------------------------------------------------------------------ rules

/** A rule: a pure function of the analysed trace `T` (built by src/analysis/; opaque here). It
 *  never reads bytes and never keeps state between runs. */
export interface Rule<T> {
  id: RuleId;
  run(trace: T): Finding[];
}

// ------------------------------------------------------------------ the --json document

export const DIAGNOSIS_SCHEMA = 'pcapdx.diagnosis/1';

/** One capture file that was read. */
export interface CaptureSummary {
  path: string;
  format: 'pcap' | 'pcapng';
  frames: number;
  /** first and last timestamp, ISO-8601 UTC with the capture's own precision; null when empty */
  start: string | null;
  end: string | null;
  duration_s: number;
}

/** One TCP connection of the trace, so that findings can point at `connection.stream`. */
export interface ConnectionSummary extends ConnectionRef {
  /** how the originator was identified */
  opener: 'syn' | 'synack' | 'inferred';
  first_frame: number;
  last_frame: number;
  packets: number;
  /** payload bytes sent by each side */
  client_bytes: number;
  server_bytes: number;
  /** how it ended in the capture */
  end: 'fin' | 'rst' | 'open' | 'handshake-incomplete';
  /** application protocols recognised on it ("smb2", "rpc", "nfs", "portmap", "nlm") */
  protocols: string[];
}

export interface Diagnosis {
  schema: typeof DIAGNOSIS_SCHEMA;
  captures: CaptureSummary[];
  /** sorted with sortFindings */
  findings: Finding[];
  connections: ConnectionSummary[];
}

/** Assembles the document: findings in report order. */
export function diagnosis(captures: CaptureSummary[], findings: readonly Finding[], connections: ConnectionSummary[]): Diagnosis {
  return { schema: DIAGNOSIS_SCHEMA, captures, findings: sortFindings(findings), connections };
}
