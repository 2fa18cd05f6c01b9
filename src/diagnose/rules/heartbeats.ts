// The heartbeat stream of a connection, shared by heartbeat/drift and heartbeat/timeout-teardown:
// which messages are heartbeats, the nominal period, the measured mean interval, the beats that
// are missing. Not a rule.
//
// Nominal period: heartbeat intervals are configured in whole seconds, and in practice in steps
// of 5 s (cifs echo_interval 60 s, NFSv4 lease/2, ...). A scheduler that re-arms itself after its
// work (cifs_echo_request) runs late by the work time every period, so the measured intervals sit
// just above the nominal one: the nominal period is the largest multiple of NOMINAL_STEP_S not
// above the smallest interval, when that interval is within MAX_DRIFT_S of it.

import type { AnalysedTrace, ConnectionFacts } from '../../analysis/trace.js';
import { EXCHANGE_HEARTBEAT, exchangeScreen, exchangesOf, heartbeatKind, type HeartbeatKind } from '../../analysis/views.js';
import type { Exchange } from '../../protocols/types.js';
import { TCP_FIN, TCP_RST } from '../../wire/packet.js';

/** Heartbeat intervals are configured in steps of this many seconds. */
export const NOMINAL_STEP_S = 5;
/** A measured interval may exceed the nominal one by at most this much (the work time of a
 *  daisy-chained scheduler; the seed shows 1.5 s, a slow server a few seconds). */
export const MAX_DRIFT_S = 3.5;
/** At least this many heartbeats before a period is claimed (two intervals agree). */
export const MIN_BEATS = 3;
/** An interval of at least this many nominal periods has beats missing. */
export const GAP_FACTOR = 1.5;

export interface Beat {
  e: Exchange;
  ns: bigint;
  frame: number;
}

export interface HeartbeatStream {
  conn: ConnectionFacts;
  kind: HeartbeatKind;
  beats: Beat[];
  nominalS: number;
  meanS: number;
  /** intervals of at least GAP_FACTOR x nominal: the beat before the gap, the beats missing */
  /** `after` is null for a trailing gap: no beat between the last one and the connection's end */
  gaps: { before: Beat; after: Beat | null; endNs: bigint; missing: number }[];
  /** every message the server sent on the connection (response frames and times), in order */
  serverMessages: { frame: number; ns: bigint; e: Exchange }[];
}

const cache = new WeakMap<AnalysedTrace, HeartbeatStream[]>();

export function heartbeatStreams(trace: AnalysedTrace): HeartbeatStream[] {
  const hit = cache.get(trace);
  if (hit) return hit;
  const out: HeartbeatStream[] = [];
  const candidates = heartbeatCandidates(trace);
  for (const c of candidates.size === 0 ? NO_CONNECTIONS : trace.connections) {
    const cand = candidates.get(connKey(c.capture, c.stream));
    // a stream needs MIN_BEATS heartbeats of one kind (so at least as many exchanges)
    if (cand === undefined || cand.length < MIN_BEATS) continue;
    // the most frequent heartbeat kind on the connection, sent by the client
    const byKind = new Map<HeartbeatKind, Beat[]>();
    for (const e of cand) {
      const k = heartbeatKind(e);
      if (k === null || e.requestNs === null || e.requestFrame <= 0) continue;
      let l = byKind.get(k);
      if (!l) byKind.set(k, (l = []));
      l.push({ e, ns: e.requestNs, frame: e.requestFrame });
    }
    let kind: HeartbeatKind | null = null;
    let beats: Beat[] = [];
    for (const [k, l] of byKind) if (l.length > beats.length) [kind, beats] = [k, l];
    if (kind === null || beats.length < MIN_BEATS) continue;
    beats.sort((a, b) => a.frame - b.frame);
    const iv = beats.slice(1).map((b, i) => Number(b.ns - beats[i].ns) / 1e9);
    const smallest = Math.min(...iv);
    const nominal = Math.floor(smallest / NOMINAL_STEP_S) * NOMINAL_STEP_S;
    if (nominal < NOMINAL_STEP_S || smallest - nominal > MAX_DRIFT_S) continue;
    const regular = iv.filter((x) => x < GAP_FACTOR * nominal);
    if (regular.length < MIN_BEATS - 1) continue;
    const mean = regular.reduce((a, b) => a + b, 0) / regular.length;
    const gaps: HeartbeatStream['gaps'] = [];
    iv.forEach((x, i) => {
      if (x >= GAP_FACTOR * nominal) gaps.push({ before: beats[i], after: beats[i + 1], endNs: beats[i + 1].ns, missing: Math.max(1, Math.round(x / mean) - 1) });
    });
    // trailing: the connection ended (or the capture did) long after the last beat
    const last = beats[beats.length - 1];
    const end = c.keySegments.find((s) => s.frame > last.frame && (s.flags & (TCP_FIN | TCP_RST)) !== 0)?.ns ?? c.lastNs;
    const tail = Number(end - last.ns) / 1e9;
    if (tail >= GAP_FACTOR * nominal) gaps.push({ before: last, after: null, endNs: end, missing: Math.floor(tail / mean) });
    const serverMessages: HeartbeatStream['serverMessages'] = [];
    for (const e of exchangesOf(trace, c.capture, c.stream)) if (e.responseFrame > 0 && e.responseNs !== null) serverMessages.push({ frame: e.responseFrame, ns: e.responseNs, e });
    serverMessages.sort((a, b) => a.frame - b.frame);
    out.push({ conn: c, kind, beats, nominalS: nominal, meanS: mean, gaps, serverMessages });
  }
  cache.set(trace, out);
  return out;
}

const NO_CONNECTIONS: ConnectionFacts[] = [];
/** (capture, stream) as one exact number (stream numbers stay below 2^32) */
const connKey = (capture: number, stream: number): number => capture * 2 ** 32 + stream;

/** The exchanges that are heartbeats (heartbeatKind, as the exchange screen marked them), by
 *  connection, in trace order: only these few are grouped (a capture of 150,000 SMB2 or NFS
 *  exchanges holds a few thousand heartbeats at most; the full per-connection lists, which the
 *  server messages need, are built only for a connection that has a heartbeat stream). */
function heartbeatCandidates(trace: AnalysedTrace): Map<number, Exchange[]> {
  const m = new Map<number, Exchange[]>();
  const bits = exchangeScreen(trace).bits;
  trace.captures.forEach((cap, i) => {
    for (let j = cap.exchangeStart; j < cap.exchangeEnd; j++) {
      if ((bits[j] & EXCHANGE_HEARTBEAT) === 0) continue;
      const e = trace.exchanges[j];
      const stream = e.stream;
      if (stream < 0) continue;
      const k = connKey(i, stream);
      let l = m.get(k);
      if (!l) m.set(k, (l = []));
      l.push(e);
    }
  });
  return m;
}

export function heartbeatName(k: HeartbeatKind): string {
  switch (k) {
    case 'smb2-echo':
      return 'SMB2 ECHO';
    case 'nfs4-renew':
      return 'NFSv4 RENEW';
    case 'nfs4-sequence':
      return 'NFSv4.1 SEQUENCE';
    case 'rpc-null':
      return 'RPC NULL call';
  }
}
