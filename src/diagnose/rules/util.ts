// Small helpers shared by rules: connection references, time arithmetic on bigint ns, number
// formatting for summaries.

import type { ConnectionFacts } from '../../analysis/trace.js';
import type { ConnectionRef } from '../finding.js';
import { formatEndpoint } from '../../wire/addr.js';

export function connRef(c: ConnectionFacts): ConnectionRef {
  return { stream: c.stream, client: { addr: c.origAddr, port: c.origPort }, server: { addr: c.respAddr, port: c.respPort } };
}

/** "10.0.0.1:800 -> 10.0.0.2:304" (IPv6 in brackets) */
export function connLabel(c: ConnectionFacts): string {
  return `${formatEndpoint(c.origAddr, c.origPort)} -> ${formatEndpoint(c.respAddr, c.respPort)}`;
}

/** b - a in seconds, for printing and metrics (exact inputs, float output). */
export function secondsBetween(a: bigint, b: bigint): number {
  return Number(b - a) / 1e9;
}

/** A duration for a sentence: "120.3 s", "61.5 s", "950 ms", "12.4 ms", "80 µs". */
export function fmtDuration(s: number): string {
  const a = Math.abs(s);
  if (a >= 10) return `${s.toFixed(1)} s`;
  if (a >= 1) return `${s.toFixed(2)} s`;
  if (a >= 0.01) return `${(s * 1e3).toFixed(0)} ms`;
  if (a >= 0.001) return `${(s * 1e3).toFixed(1)} ms`;
  return `${(s * 1e6).toFixed(0)} µs`;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
