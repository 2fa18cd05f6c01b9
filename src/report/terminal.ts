// The terminal report: findings ranked by severity, each with its explanation, known defect,
// advice and a compact ladder of its evidence frames; then a short summary of each capture.
// Formats the report model only. Every string that may come from a capture goes through
// termSafe, so no escape sequence from a capture reaches the terminal.

import { termSafe } from '../cli/common.js';
import type { ReportModel, ReportFinding } from './model.js';
import { thousands } from './thousands.js';
import { formatEndpoint } from '../wire/addr.js';

const SEV_COLOR: Record<string, string> = { critical: '\x1b[1;37;41m', error: '\x1b[1;31m', warning: '\x1b[1;33m', info: '\x1b[36m' };
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

export interface TerminalOptions { color: boolean; width: number }

function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    if (line && (indent + line + ' ' + word).length > width) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out;
}

function findingLines(f: ReportFinding, model: ReportModel, o: TerminalOptions): string[] {
  const c = (code: string, s: string): string => (o.color ? `${code}${s}${RESET}` : s);
  const L: string[] = [];
  const sev = c(SEV_COLOR[f.severity] ?? '', f.severity.toUpperCase().padEnd(8));
  const where = f.connection
    ? `  stream ${f.connection.stream}  ${formatEndpoint(f.connection.client.addr, f.connection.client.port)} -> ${formatEndpoint(f.connection.server.addr, f.connection.server.port)}`
    : '';
  const cap = model.captures.length > 1 ? `  [${termSafe(model.captures[f.capture].path)}]` : '';
  L.push(`${sev} ${f.id}${termSafe(where)}${cap}`);
  L.push(...wrap(termSafe(f.summary), o.width, '  '));
  L.push(...wrap(termSafe(f.explanation), o.width, '  ').map((l) => c(DIM, l)));
  if (f.knownDefect) {
    const k = f.knownDefect;
    L.push(`  Known defect: ${termSafe(k.name)} (fix ${k.fixCommit}, "${termSafe(k.fixTitle)}")`);
    L.push(...wrap(`Affected: ${termSafe(k.affectedVersions)}. How to tell: ${termSafe(k.tell)}.`, o.width, '    '));
  }
  const advice = f.advice ?? f.knownDefect?.advice ?? [];
  if (advice.length) {
    L.push('  What to do:');
    for (const a of advice) L.push(...wrap(termSafe(a), o.width, '      ').map((l, i) => (i === 0 ? `    - ${l.slice(6)}` : l)));
  }
  if (f.ladder.length) {
    L.push(`  Evidence (tshark -Y "frame.number in {${f.frames.join(' ')}}"):`);
    for (const r of f.ladder) {
      const arrow = r.dir === 'c>s' ? 'C -> S' : r.dir === 's>c' ? 'C <- S' : '  ?   ';
      const labels = r.labels.length ? `  <${r.labels.join(',')}>` : '';
      L.push(`    ${String(r.frame).padStart(8)}  +${r.t.toFixed(6).padStart(12)}  ${arrow}  ${termSafe(r.text)}${labels}`);
    }
  } else if (f.frames.length) {
    L.push(`  Evidence frames: ${f.frames.join(', ')}`);
  }
  const metrics = Object.entries(f.metrics).map(([k, v]) => `${k}=${typeof v === 'string' ? termSafe(v) : v}`).join('  ');
  if (metrics) L.push(...wrap(metrics, o.width, '  ').map((l) => c(DIM, l)));
  return L;
}

export function renderTerminal(model: ReportModel, o: TerminalOptions): string {
  const L: string[] = [];
  const counts = new Map<string, number>();
  for (const f of model.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const tally = ['critical', 'error', 'warning', 'info'].filter((s) => counts.get(s)).map((s) => `${counts.get(s)} ${s}`).join(', ');
  L.push(model.findings.length ? `pcapdx diagnose: ${model.findings.length} finding${model.findings.length === 1 ? '' : 's'} (${tally})` : 'pcapdx diagnose: nothing wrong found');
  L.push('');
  for (const f of model.findings) {
    L.push(...findingLines(f, model, o));
    L.push('');
  }
  for (const cap of model.captures) {
    const s = cap.stats;
    L.push(`Capture ${termSafe(cap.path)}: ${cap.format}, ${thousands(cap.frames)} frames${cap.start ? `, ${cap.start} to ${cap.end} (${cap.duration_s.toFixed(3)} s)` : ''}`);
    L.push(`  ${thousands(s.connections)} TCP connections${s.connectionsDropped ? ` (${s.connectionsDropped} summarised only)` : ''}, ${thousands(s.exchanges)} request/response exchanges${s.protocols.length ? ` (${s.protocols.join(', ')})` : ''}`);
    const lc = Object.entries(s.labelCounts).map(([k, v]) => `${k} ${v}`).join(', ');
    L.push(`  ${s.retransmissions} retransmissions, ${s.resets} connections reset${lc ? `; TCP analysis: ${lc}` : ''}`);
    if (s.issues.length) L.push(`  could not decode everything: ${termSafe(s.issues.join(', '))}`);
    const nd = Object.entries(s.notDecoded);
    if (nd.length) L.push(`  seen but not decoded: ${nd.map(([k, v]) => `${k} (${thousands(v)} messages)`).join(', ')}`);
    for (const p of s.problems) L.push(`  ${p.severity} at byte offset ${p.offset} (after frame ${p.after_frame}): ${termSafe(p.message)}`);
    if (!s.complete) L.push(`  reading stopped at the damage: the ${thousands(cap.frames)} frames before it are diagnosed`);
  }
  return L.join('\n') + '\n';
}
