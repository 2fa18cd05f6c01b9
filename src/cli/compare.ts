// pcapdx compare A B: was it the network? The verdict first, then the clock, the directions and
// the findings. Every capture-derived string goes through termSafe before it reaches the terminal.
import { compareCaptures } from '../correlate/compare.js';
import { type CompareDoc, type DirectionDoc, type Finding } from '../correlate/report.js';
import { buildModel } from '../correlate/model.js';
import { writeCompareHtml } from '../report/html/compare.js';
import { reportCaptureIssues, termSafe } from './common.js';
import type { Output } from './output.js';

export interface CompareCliOptions {
  json: boolean;
  /** matching window in seconds (default 2) */
  window?: number;
  /** also write the HTML report (src/report/html/compare.ts) to this file */
  html?: string | null;
  /** no "HTML report written" line on stderr */
  quiet?: boolean;
}

/** Exit codes: 0 = nothing lost, injected or unusually changed; 1 = the network did something;
 *  2 = a capture was damaged and read only up to the damage (or, from the caller, unreadable). */
export async function compareCommand(a: string, b: string, opts: CompareCliOptions, out: Output): Promise<number> {
  const res = await compareCaptures(a, b, opts.window ? { windowNs: opts.window * 1e9 } : {});
  const model = buildModel(res);
  const doc = model.doc;
  if (opts.json) out.line(JSON.stringify(doc, null, 2));
  else render(doc, out);
  if (opts.html) {
    const { bytes } = await writeCompareHtml(opts.html, model);
    if (!opts.quiet) process.stderr.write(`pcapdx: HTML report written to ${opts.html} (${(bytes / 1024).toFixed(0)} KiB)\n`);
  }
  const bad = doc.findings.some((f) => f.severity === 'critical' || f.severity === 'error' || f.severity === 'warning');
  // a damaged capture: where, on stderr; 2 when reading stopped early (the comparison covers only
  // the frames before the damage)
  let damaged = 0;
  for (const side of [res.a, res.b]) if (side.summary) damaged = Math.max(damaged, reportCaptureIssues(side.path, side.summary));
  return damaged || (doc.sharedTraffic && !bad ? 0 : 1);
}

const n = (v: number): string => v.toLocaleString('en-US');
const ms = (s: number): string => `${(s * 1000).toFixed(3)} ms`;

function render(doc: CompareDoc, out: Output): void {
  out.line(termSafe(doc.verdict));
  out.line('');
  out.line(`A: ${termSafe(doc.a.path)} (${doc.a.format ?? '?'}, ${n(doc.a.frames)} frames, ${n(doc.a.compared)} compared)`);
  out.line(`B: ${termSafe(doc.b.path)} (${doc.b.format ?? '?'}, ${n(doc.b.frames)} frames, ${n(doc.b.compared)} compared)`);
  if (!doc.sharedTraffic) return;
  if (doc.clockOffsetSeconds !== null) {
    const unc = doc.clockOffsetUncertaintySeconds ?? 0;
    let line = `clock: B = A ${doc.clockOffsetSeconds >= 0 ? '+' : '-'} ${Math.abs(doc.clockOffsetSeconds).toFixed(6)} s (+/- ${ms(unc)}`;
    if (doc.clockAsymmetryBoundSeconds !== null) line += `; +/- ${ms(doc.clockAsymmetryBoundSeconds)} more if the one-way delays are not symmetric`;
    line += `), drift ${(doc.clockDriftPpm ?? 0).toFixed(2)} ppm [${doc.clockMethod}]`;
    out.line(line);
  }
  if (doc.window) out.line(`judged window: ${doc.window.start} .. ${doc.window.end} (A's clock, ${doc.window.seconds.toFixed(3)} s)`);
  const t = doc.translation;
  out.line(`flows seen at both points: ${n(t.flowPairs)}; translated by NAT: ${n(t.natPairs)}; with shifted sequence numbers: ${n(t.seqShiftedPairs)}`);
  for (const e of t.examples.slice(0, 3)) out.line(`  ${termSafe(e.a)}  =>  ${termSafe(e.b)}${e.seqDelta.some((d) => d !== 0) ? `  (seq +${e.seqDelta.join('/+')})` : ''}`);
  out.line('');
  for (const [name, d] of [['A->B', doc.directions['A->B']], ['B->A', doc.directions['B->A']]] as [string, DirectionDoc][]) {
    const [from, to] = name.split('->');
    out.line(`${name}: ${n(d.sent)} sent, ${n(d.matched)} arrived, ${n(d.lost)} lost${d.flowsLost ? ` (${n(d.flowsLost)} whole flows)` : ''}, ${n(d.injected)} injected, ${n(d.modified)} modified, ${n(d.reordered)} reordered`);
    const caps: string[] = [];
    if (d.notCapturedDownstream) caps.push(`${n(d.notCapturedDownstream)} crossed but not captured at ${to}`);
    if (d.notCapturedUpstream) caps.push(`${n(d.notCapturedUpstream)} crossed but not captured at ${from}`);
    if (d.missingAtBoth.ranges) caps.push(`${n(d.missingAtBoth.ranges)} ranges (${n(d.missingAtBoth.bytes)} bytes) missing at both`);
    if (caps.length) out.line(`  captures: ${caps.join(', ')}`);
    if (d.delaySeconds) out.line(`  one-way delay: median ${ms(d.delaySeconds.median)}, p99 ${ms(d.delaySeconds.p99)}, max ${ms(d.delaySeconds.max)}${d.hops ? `; ${d.hops.min === d.hops.max ? d.hops.min : `${d.hops.min}-${d.hops.max}`} hops` : ''}`);
  }
  const nj = (s: CompareDoc['a']): string => Object.entries(s.notJudged).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  if (nj(doc.a) || nj(doc.b)) out.line(`not judged: A: ${nj(doc.a) || 'none'}; B: ${nj(doc.b) || 'none'}`);
  if (doc.findings.length) {
    out.line('');
    for (const f of doc.findings) renderFinding(f, out);
  }
}

function renderFinding(f: Finding, out: Output): void {
  out.line(`[${f.severity}] ${f.id} (${f.direction}): ${termSafe(f.summary)}`);
  out.line(`  ${termSafe(f.explanation)}`);
  if (f.frames.length) {
    const ev = f.frames.slice(0, 10).map((e) => `A#${e.a ?? '-'}/B#${e.b ?? '-'}${e.note ? ` ${termSafe(e.note)}` : ''}`);
    out.line(`  frames: ${ev.join(', ')}${f.frames.length > 10 ? ', ...' : ''}`);
  }
}
