// The compare document (schema pcapdx.compare/1): the verdict, the clock, per-direction counts
// and delays, the translation model, and findings. Pure data built from CompareResult; the
// terminal and JSON renderers only print it.
import { formatAddr } from '../wire/addr.js';
import type { CompareResult, DirectionResult, SideResult } from './compare.js';
import type { Flow } from './flows.js';
import { type Evidence, LEGIT_CHANGES } from './matcher.js';

export const SCHEMA = 'pcapdx.compare/1';
/** Evidence frames printed per finding. */
export const FINDING_FRAMES = 20;
/** Loss rate from which loss is critical rather than an error: 5% breaks most TCP throughput. */
export const CRITICAL_LOSS_RATE = 0.05;
/** Reordering rate from which it is a warning: above 1% TCP starts fast-retransmitting for it. */
export const REORDER_WARNING_RATE = 0.01;
/** Share of a direction's packets a capture may miss before it is a warning: beyond 1%, what that
 *  capture lacks (loss, injection) can no longer be taken at face value, though pcapdx sorts the
 *  TCP data it can prove out. */
export const CAPTURE_DROP_WARNING_RATE = 0.01;

export type Severity = 'critical' | 'error' | 'warning' | 'info';

export interface Finding {
  id: 'compare/lost-in-network' | 'compare/injected' | 'compare/modified' | 'compare/reordered' | 'compare/not-captured' | 'compare/missing-at-both';
  severity: Severity;
  direction: 'A->B' | 'B->A';
  summary: string;
  explanation: string;
  frames: Evidence[];
  metrics: Record<string, number | string>;
}

export interface DirectionDoc {
  sent: number;
  matched: number;
  lost: number;
  injected: number;
  modified: number;
  reordered: number;
  /** crossed, but the downstream point's capture did not record it (see docs/compare.md) */
  notCapturedDownstream: number;
  /** crossed, but the upstream point's capture did not record it */
  notCapturedUpstream: number;
  /** TCP data in neither capture, proven to exist by an ACK or a re-send: lost upstream of both
   *  points or dropped by both captures */
  missingAtBoth: { ranges: number; bytes: number };
  /** flows seen at the upstream point only whose service crossed both points (in `lost`) */
  flowsLost: number;
  delaySeconds: { min: number; median: number; p99: number; max: number; samples: number } | null;
  hops: { min: number; max: number } | null;
  changedFields: { field: string; count: number; examples: string[] }[];
}

export interface SideDoc {
  path: string;
  format: string | null;
  linkTypes: number[];
  frames: number;
  compared: number;
  notCompared: Record<string, number>;
  notJudged: Record<string, number>;
  flows: number;
  flowsOnlyHere: number;
  captureIssues: number;
}

export interface CompareDoc {
  schema: typeof SCHEMA;
  verdict: string;
  sharedTraffic: boolean;
  clockOffsetSeconds: number | null;
  clockOffsetUncertaintySeconds: number | null;
  clockAsymmetryBoundSeconds: number | null;
  clockDriftPpm: number | null;
  clockMethod: string | null;
  window: { start: string; end: string; seconds: number } | null;
  a: SideDoc;
  b: SideDoc;
  directions: { 'A->B': DirectionDoc; 'B->A': DirectionDoc };
  /** packets seen at both points whose direction could not be told (no TTL change, no delay) */
  matchedDirectionUnknown: number;
  translation: { flowPairs: number; natPairs: number; seqShiftedPairs: number; examples: { a: string; b: string; nat: boolean; seqDelta: number[] }[] };
  bounds: { windowSeconds: number; maxPendingPerCapture: number; maxFlowsPerCapture: number; flowsEvicted: number; overflowEvicted: number; servicesDropped: number };
  findings: Finding[];
}

const n = (v: number): string => v.toLocaleString('en-US');
const pct = (a: number, b: number): string => (b > 0 ? `${((100 * a) / b).toFixed(a * 1000 < b ? 3 : 2)}%` : '0%');

function endpoint(f: Flow, lo: boolean): string {
  const a = formatAddr(f.l3, lo ? f.loAddr : f.hiAddr);
  const p = lo ? f.loPort : f.hiPort;
  return f.proto === 6 || f.proto === 17 ? (f.l3 === 6 ? `[${a}]:${p}` : `${a}:${p}`) : a;
}
const flowText = (f: Flow): string => `${endpoint(f, true)} <-> ${endpoint(f, false)}`;

/** ns from a capture's base second as exact epoch seconds (decimal string; '' when unknown) */
export function epoch(baseSec: number | null, ns: number): string {
  if (baseSec === null || !Number.isFinite(ns)) return '';
  const total = BigInt(baseSec) * 1_000_000_000n + BigInt(Math.round(ns));
  const sec = total / 1_000_000_000n;
  const frac = (total % 1_000_000_000n).toString().padStart(9, '0');
  return `${sec}.${frac}`;
}

function side(s: SideResult): SideDoc {
  return {
    path: s.path,
    format: s.summary?.info.format ?? null,
    linkTypes: [...s.counts.linkTypes].sort((x, y) => x - y),
    frames: s.counts.frames,
    compared: s.counts.compared,
    notCompared: { ...s.counts.skipped },
    notJudged: { ...s.unjudged },
    flows: s.flows,
    flowsOnlyHere: s.flowsOnlyHere,
    captureIssues: s.summary ? s.summary.issues.filter((i) => i.severity !== 'info').length : 0,
  };
}

function dirDoc(d: DirectionResult): DirectionDoc {
  return {
    sent: d.sent, matched: d.matched, lost: d.lost, injected: d.injected, modified: d.modified, reordered: d.reordered,
    notCapturedDownstream: d.notCapturedDownstream, notCapturedUpstream: d.notCapturedUpstream,
    missingAtBoth: { ...d.missingAtBoth }, flowsLost: d.flowsLost,
    delaySeconds: d.delay, hops: d.hops, changedFields: d.fields,
  };
}

function findings(d: DirectionResult): Finding[] {
  const out: Finding[] = [];
  const dir = `${d.from}->${d.to}` as 'A->B' | 'B->A';
  const st = d.stats;
  if (d.lost > 0) {
    const rate = d.lost / d.sent;
    const flows = d.flowsLost > 0 ? `, ${n(d.flowsLost)} whole flow${d.flowsLost === 1 ? '' : 's'} among them` : '';
    out.push({
      id: 'compare/lost-in-network', severity: rate >= CRITICAL_LOSS_RATE ? 'critical' : 'error', direction: dir,
      summary: `The network lost ${n(d.lost)} of ${n(d.sent)} packets (${pct(d.lost, d.sent)}) from ${d.from} to ${d.to}${flows}.`,
      explanation: `These packets were captured at ${d.from} and never at ${d.to}, while both captures were running and both saw the rest of their flows (or, for a whole flow lost, other flows between the same hosts and service). TCP data that the receiver acknowledged without a re-send is counted as not captured instead; these have no such evidence: the sender re-sent them, the receiver never acknowledged them, or they carry no data to check (pure ACKs, UDP, ICMP), so a capture that reports drops should still be checked.` +
        (d.flowsLost > 0 ? ` Whole flows lost: every packet of ${n(d.flowsLost)} flow${d.flowsLost === 1 ? '' : 's'} (typically every SYN) was seen at ${d.from} only.` : ''),
      frames: st.ev.lost.slice(0, FINDING_FRAMES), metrics: { lost: d.lost, sent: d.sent, lossRate: rate, flowsLost: d.flowsLost },
    });
  }
  if (d.injected > 0) {
    const rst = st.ev.injected.filter((e) => e.note?.includes('RST')).length;
    out.push({
      id: 'compare/injected', severity: 'error', direction: dir,
      summary: `${n(d.injected)} packet${d.injected === 1 ? '' : 's'} seen at ${d.to} ${d.injected === 1 ? 'was' : 'were'} never sent at ${d.from}${rst ? (st.ev.injected.length === d.injected ? ` (${rst} of them TCP resets)` : ` (${rst} of the first ${st.ev.injected.length} TCP resets)`) : ''}.`,
      explanation: `Something between the points created these packets: typically a firewall, IPS or load balancer resetting a connection on its own, or ${d.from}'s capture missed them.`,
      frames: st.ev.injected.slice(0, FINDING_FRAMES), metrics: { injected: d.injected, resetsInEvidence: rst },
    });
  }
  if (d.modified > 0) {
    const unusual = d.fields.filter((f) => !LEGIT_CHANGES.has(f.field));
    const list = d.fields.map((f) => `${f.field} (${n(f.count)})`).join(', ');
    out.push({
      id: 'compare/modified', severity: unusual.length ? 'warning' : 'info', direction: dir,
      summary: `${n(d.modified)} packet${d.modified === 1 ? '' : 's'} from ${d.from} to ${d.to} changed in flight: ${list}.`,
      explanation: `Fields that differ between the copy at ${d.from} and the copy at ${d.to}, after TTL, checksums and the address and sequence translation are set aside. IP ID rewriting, MSS clamping and ECN marking are normal path behaviour; window, option, flag or payload changes are a middlebox at work.` +
        (d.fields.length ? ` Examples: ${d.fields.map((f) => `${f.field} ${f.examples[0]}`).join('; ')}.` : ''),
      frames: st.ev.modified.slice(0, FINDING_FRAMES), metrics: Object.fromEntries([['modified', d.modified], ...d.fields.map((f) => [f.field, f.count])]),
    });
  }
  const nc = d.notCapturedDownstream + d.notCapturedUpstream;
  if (nc > 0) {
    const rate = nc / Math.max(1, d.sent);
    const parts: string[] = [];
    if (d.notCapturedDownstream > 0) parts.push(`${d.to}'s capture missed ${n(d.notCapturedDownstream)} that ${d.from} saw (the receiver acknowledged them and they were never re-sent)`);
    if (d.notCapturedUpstream > 0) parts.push(`${d.from}'s capture missed ${n(d.notCapturedUpstream)} that ${d.to} saw (${d.from}'s view of the sender's stream skips exactly them)`);
    out.push({
      id: 'compare/not-captured', severity: rate >= CAPTURE_DROP_WARNING_RATE ? 'warning' : 'info', direction: dir,
      summary: `${n(nc)} TCP segment${nc === 1 ? '' : 's'} from ${d.from} to ${d.to} crossed the network but ${nc === 1 ? 'is' : 'are'} missing from one capture: ${parts.join('; ')}.`,
      explanation: `A capture drops packets when its buffer overflows (tcpdump's "dropped by kernel"), its snaplen or filter is wrong, or offload hands it merged segments. These are not network loss or injection and are not counted as such. Above ${CAPTURE_DROP_WARNING_RATE * 100}% of a direction, that capture's absences (including pure ACKs and UDP, which cannot be checked this way) are doubtful.`,
      frames: [...st.ev.notCapturedDown, ...st.ev.notCapturedUp].slice(0, FINDING_FRAMES),
      metrics: { notCapturedDownstream: d.notCapturedDownstream, notCapturedUpstream: d.notCapturedUpstream, rate },
    });
  }
  if (d.missingAtBoth.ranges > 0) {
    const m = d.missingAtBoth;
    out.push({
      id: 'compare/missing-at-both', severity: 'info', direction: dir,
      summary: `${n(m.ranges)} range${m.ranges === 1 ? '' : 's'} of ${d.from}->${d.to} TCP data (${n(m.bytes)} bytes) ${m.ranges === 1 ? 'is' : 'are'} in neither capture, though the receiver acknowledged or the sender re-sent ${m.ranges === 1 ? 'it' : 'them'}.`,
      explanation: `Both points saw the sender's stream jump over these bytes. They were lost before ${d.from} (upstream of both points; the re-send then crossed) or dropped by both captures (acknowledged without a re-send). Either way it is not loss between ${d.from} and ${d.to}. Evidence frames are the first segment after each gap at A and at B.`,
      frames: st.ev.missingBoth.slice(0, FINDING_FRAMES), metrics: { ranges: m.ranges, bytes: m.bytes },
    });
  }
  if (d.reordered > 0) {
    const rate = d.reordered / Math.max(1, d.matched);
    out.push({
      id: 'compare/reordered', severity: rate >= REORDER_WARNING_RATE ? 'warning' : 'info', direction: dir,
      summary: `${n(d.reordered)} of ${n(d.matched)} packets (${pct(d.reordered, d.matched)}) from ${d.from} to ${d.to} arrived after a packet of their flow sent later.`,
      explanation: `The path reordered them (parallel links, load balancing or a queue with priorities). TCP takes three duplicate ACKs for a loss, so reordering by three or more segments causes spurious retransmissions.`,
      frames: st.ev.reordered.slice(0, FINDING_FRAMES), metrics: { reordered: d.reordered, matched: d.matched, reorderRate: rate },
    });
  }
  return out;
}

function verdict(r: CompareResult): string {
  if (!r.overlap) return 'A and B have no packet in common: they did not capture the same traffic (or not at the same time), so nothing can be said about the network between them.';
  const [ab, ba] = r.directions;
  const lost = ab.lost + ba.lost;
  const sent = ab.sent + ba.sent + r.matchedDirectionUnknown;
  const injected = ab.injected + ba.injected;
  const unusual = [ab, ba].some((d) => d.fields.some((f) => !LEGIT_CHANGES.has(f.field)));
  const modified = ab.modified + ba.modified;
  let s = `the network between A and B lost ${n(lost)} of ${n(sent)} packets`;
  if (lost > 0) s += ` (A->B ${n(ab.lost)} of ${n(ab.sent)}, B->A ${n(ba.lost)} of ${n(ba.sent)})`;
  const extra: string[] = [];
  const flowsLost = ab.flowsLost + ba.flowsLost;
  if (flowsLost > 0) s += ` (${n(flowsLost)} whole flow${flowsLost === 1 ? '' : 's'} among them)`;
  if (injected > 0) extra.push(`${n(injected)} packet${injected === 1 ? '' : 's'} appeared that neither end sent`);
  if (unusual) extra.push(`${n(modified)} ${modified === 1 ? 'was' : 'were'} changed in flight`);
  if (lost === 0 && extra.length === 0) s += '; both ends saw the same conversation';
  if (r.matchedDirectionUnknown > 0 && ab.sent + ba.sent === 0) s += ' (the two captures look like the same point: same TTLs and no delay between them)';
  else if (extra.length) s += `; ${extra.join(' and ')}`;
  // what the captures themselves missed, said apart from what the network did
  const missedA = ab.notCapturedUpstream + ba.notCapturedDownstream;
  const missedB = ab.notCapturedDownstream + ba.notCapturedUpstream;
  const notes: string[] = [];
  if (missedA > 0) notes.push(`A's capture missed ${n(missedA)} packet${missedA === 1 ? '' : 's'} that did cross`);
  if (missedB > 0) notes.push(`B's capture missed ${n(missedB)} packet${missedB === 1 ? '' : 's'} that did cross`);
  const gaps = ab.missingAtBoth.ranges + ba.missingAtBoth.ranges;
  if (gaps > 0) {
    const bytes = ab.missingAtBoth.bytes + ba.missingAtBoth.bytes;
    notes.push(`${n(gaps)} range${gaps === 1 ? '' : 's'} of TCP data (${n(bytes)} bytes) ${gaps === 1 ? 'is' : 'are'} missing from both captures: lost upstream of both points or dropped by both captures, not between them`);
  }
  const out = s.charAt(0).toUpperCase() + s.slice(1) + '.';
  return notes.length ? `${out} ${notes.map((x) => x.charAt(0).toUpperCase() + x.slice(1)).join('. ')}.` : out;
}

export function buildDoc(r: CompareResult): CompareDoc {
  const fit = r.clock;
  const base = r.a.baseSec;
  return {
    schema: SCHEMA,
    verdict: verdict(r),
    sharedTraffic: r.overlap,
    clockOffsetSeconds: r.clockOffsetSeconds,
    clockOffsetUncertaintySeconds: fit ? fit.uncertainty / 1e9 : null,
    clockAsymmetryBoundSeconds: fit && Number.isFinite(fit.asymmetryBound) ? fit.asymmetryBound / 1e9 : null,
    clockDriftPpm: fit ? fit.drift * 1e6 : null,
    clockMethod: fit ? fit.method : null,
    window: r.window ? { start: epoch(base, r.window.start), end: epoch(base, r.window.end), seconds: (r.window.end - r.window.start) / 1e9 } : null,
    a: side(r.a),
    b: side(r.b),
    directions: { 'A->B': dirDoc(r.directions[0]), 'B->A': dirDoc(r.directions[1]) },
    matchedDirectionUnknown: r.matchedDirectionUnknown,
    translation: {
      flowPairs: r.pairs, natPairs: r.natPairs, seqShiftedPairs: r.seqShiftedPairs,
      examples: r.translations.map((t) => ({ a: flowText(t.a), b: flowText(t.b), nat: t.nat, seqDelta: t.seqDelta })),
    },
    bounds: {
      windowSeconds: r.bounds.windowNs / 1e9, maxPendingPerCapture: r.bounds.maxPending, maxFlowsPerCapture: r.bounds.maxFlows,
      flowsEvicted: r.a.flowsEvicted + r.b.flowsEvicted, overflowEvicted: r.a.unjudged.overflow + r.b.unjudged.overflow, servicesDropped: r.bounds.servicesDropped,
    },
    findings: [...findings(r.directions[0]), ...findings(r.directions[1])],
  };
}
