// Runs the rules over an analysed trace and assembles the diagnosis document. A rule that throws
// is a programmer error: it is reported as such (with the rule id) rather than hidden.

import type { AnalysedTrace, ConnectionFacts } from '../analysis/trace.js';
import { EXCHANGE_RPC, exchangeScreen } from '../analysis/views.js';
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

/** How a connection ended, as its summary says. */
export function endOf(c: ConnectionFacts): ConnectionSummary['end'] {
  const h = c.history;
  if (h.includes('R') || h.includes('r')) return 'rst';
  if (c.state === 'SF') return 'fin';
  if (c.state === 'S0' || c.state === 'REJ' || c.state === 'SH' || c.state === 'SHR' || c.state === 'RSTOS0' || c.state === 'RSTRH') return 'handshake-incomplete';
  return 'open';
}

/** The application protocols of each stream of the trace ('smb2', 'nfs', 'portmap': an RPC
 *  exchange by its service without the version, lower-case). */
export function protocolsByStream(trace: AnalysedTrace): Map<number, Set<string>> {
  // keyed by stream number (no key string per exchange or connection); consecutive exchanges
  // are mostly of one stream and protocol, so the last set and name are kept at hand
  const protos = new Map<number, Set<string>>();
  // RPC service names ('NFSv3', 'portmapv2') are a handful of shared strings: each is named once
  const rpcName = new Map<string, string>();
  const bits = exchangeScreen(trace).bits;
  let lastStream = -1;
  let set: Set<string> | undefined;
  let lastName: string | null = null;
  for (let i = 0; i < trace.exchanges.length; i++) {
    const e = trace.exchanges[i];
    const stream = e.stream;
    if (stream < 0) continue;
    if (stream !== lastStream || set === undefined) {
      set = protos.get(stream);
      if (!set) protos.set(stream, (set = new Set()));
      lastStream = stream;
      lastName = null;
    }
    let name: string;
    if ((bits[i] & EXCHANGE_RPC) !== 0) {
      const service = e.service;
      let n = rpcName.get(service);
      if (n === undefined) rpcName.set(service, (n = service.replace(/v\d+$/, '').toLowerCase()));
      name = n;
    } else name = e.protocol;
    if (name !== lastName) {
      set.add(name);
      lastName = name;
    }
  }
  return protos;
}

/** One summary per kept connection; with `capture`, each also names it (as its last key). */
export function connectionSummaries(trace: AnalysedTrace): ConnectionSummary[];
export function connectionSummaries(trace: AnalysedTrace, capture: number): (ConnectionSummary & { capture: number })[];
export function connectionSummaries(trace: AnalysedTrace, capture?: number): ConnectionSummary[] {
  const protos = protocolsByStream(trace);
  const out = new Array<ConnectionSummary>(trace.connections.length);
  for (let i = 0; i < out.length; i++) {
    const c = trace.connections[i];
    const stream = c.stream;
    const p = protos.get(stream);
    const protocols = p ? [...p].sort() : [];
    // orig and resp are built on each read (kept.ts): once each
    const orig = c.orig;
    const resp = c.resp;
    out[i] = capture === undefined ? {
      stream, client: { addr: c.origAddr, port: c.origPort }, server: { addr: c.respAddr, port: c.respPort }, opener: c.opener,
      first_frame: c.firstFrame, last_frame: c.lastFrame, packets: orig.pkts + resp.pkts, client_bytes: orig.payload,
      server_bytes: resp.payload, end: endOf(c), protocols,
    } : {
      stream, client: { addr: c.origAddr, port: c.origPort }, server: { addr: c.respAddr, port: c.respPort }, opener: c.opener,
      first_frame: c.firstFrame, last_frame: c.lastFrame, packets: orig.pkts + resp.pkts, client_bytes: orig.payload,
      server_bytes: resp.payload, end: endOf(c), protocols, capture,
    } as ConnectionSummary & { capture: number };
  }
  return out;
}

export function diagnoseTrace(trace: AnalysedTrace): Diagnosis {
  return diagnosis(captureSummaries(trace), runRules(trace), connectionSummaries(trace));
}
