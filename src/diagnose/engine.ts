// Runs the rules over an analysed trace and assembles the diagnosis document. A rule that throws
// is a programmer error: it is reported as such (with the rule id) rather than hidden.

import type { AnalysedTrace, ConnectionFacts } from '../analysis/trace.js';
import { formatIso, nsToSeconds } from '../bytes/time.js';
import { diagnosis, sortFindings, type CaptureSummary, type ConnectionSummary, type Diagnosis, type Finding, type Rule } from './finding.js';
import { RULES } from './rules/index.js';

export function runRules(trace: AnalysedTrace, rules: readonly Rule<AnalysedTrace>[] = RULES): Finding[] {
  const out: Finding[] = [];
  for (const r of rules) {
    try {
      out.push(...r.run(trace));
    } catch (e) {
      throw new Error(`rule ${r.id} failed: ${(e as Error).stack ?? e}`);
    }
  }
  return sortFindings(out);
}

export function captureSummaries(trace: AnalysedTrace): CaptureSummary[] {
  return trace.captures.map((c) => {
    const digits = Math.max(0, ...c.info.interfaces.map((i) => i.tsDigits));
    return {
      path: c.path,
      format: c.info.format,
      frames: c.frames,
      start: c.firstNs === null ? null : formatIso(c.firstNs, digits),
      end: c.lastNs === null ? null : formatIso(c.lastNs, digits),
      duration_s: c.firstNs === null || c.lastNs === null ? 0 : nsToSeconds(c.lastNs - c.firstNs),
    };
  });
}

function endOf(c: ConnectionFacts): ConnectionSummary['end'] {
  if (c.history.includes('R') || c.history.includes('r')) return 'rst';
  if (c.state === 'SF') return 'fin';
  if (c.state === 'S0' || c.state === 'REJ' || c.state === 'SH' || c.state === 'SHR' || c.state === 'RSTOS0' || c.state === 'RSTRH') return 'handshake-incomplete';
  return 'open';
}

/** One summary per kept connection; with `capture`, each also names it (as its last key). */
export function connectionSummaries(trace: AnalysedTrace): ConnectionSummary[];
export function connectionSummaries(trace: AnalysedTrace, capture: number): (ConnectionSummary & { capture: number })[];
export function connectionSummaries(trace: AnalysedTrace, capture?: number): ConnectionSummary[] {
  // application protocols by stream (numbers: no key string per exchange or connection)
  const protos = new Map<number, Set<string>>();
  // RPC service names ('NFSv3', 'portmapv2') are a handful of shared strings: each is named once
  const rpcName = new Map<string, string>();
  for (const e of trace.exchanges) {
    if (e.stream < 0) continue;
    let s = protos.get(e.stream);
    if (!s) protos.set(e.stream, (s = new Set()));
    if (e.protocol === 'rpc') {
      const service = e.service;
      let name = rpcName.get(service);
      if (name === undefined) rpcName.set(service, (name = service.replace(/v\d+$/, '').toLowerCase()));
      s.add(name);
    } else s.add(e.protocol);
  }
  const out = new Array<ConnectionSummary>(trace.connections.length);
  for (let i = 0; i < out.length; i++) {
    const c = trace.connections[i];
    const p = protos.get(c.stream);
    const protocols = p ? [...p].sort() : [];
    out[i] = capture === undefined ? {
      stream: c.stream, client: { addr: c.origAddr, port: c.origPort }, server: { addr: c.respAddr, port: c.respPort }, opener: c.opener,
      first_frame: c.firstFrame, last_frame: c.lastFrame, packets: c.orig.pkts + c.resp.pkts, client_bytes: c.orig.payload,
      server_bytes: c.resp.payload, end: endOf(c), protocols,
    } : {
      stream: c.stream, client: { addr: c.origAddr, port: c.origPort }, server: { addr: c.respAddr, port: c.respPort }, opener: c.opener,
      first_frame: c.firstFrame, last_frame: c.lastFrame, packets: c.orig.pkts + c.resp.pkts, client_bytes: c.orig.payload,
      server_bytes: c.resp.payload, end: endOf(c), protocols, capture,
    } as ConnectionSummary & { capture: number };
  }
  return out;
}

export function diagnoseTrace(trace: AnalysedTrace): Diagnosis {
  return diagnosis(captureSummaries(trace), runRules(trace), connectionSummaries(trace));
}
