// The parts of the compare report built on the server side from the compare model
// (src/correlate/model.ts): the verdict, the two points and their per-direction counts at a
// glance, the findings with their explanations and evidence, the one-way delay section (a canvas
// the inlined script draws), the side-by-side table of the two captures, and the clock and
// bounds. Every capture-derived string (file names, addresses in translation examples, notes)
// goes through escapeHtml here; numbers are formatted, never recomputed.

import type { CompareModel, LadderRow } from '../../correlate/model.js';
import type { CompareDoc, DirectionDoc, Finding, SideDoc } from '../../correlate/report.js';
import type { RowKind } from '../../correlate/ladder.js';
import { escapeHtml as h } from './escape.js';
import { formatGap } from './ladder.js';

type Dir = 'A->B' | 'B->A';
const DIRS: readonly Dir[] = ['A->B', 'B->A'];
const SEVERITY_ORDER = ['critical', 'error', 'warning', 'info'] as const;
const n = (v: number): string => v.toLocaleString('en-US');
/** Times in the table: microseconds, as the captures' own resolution (A's is µs). */
const TIME_DECIMALS = 6;
const ARROW: Record<Dir, string> = { 'A->B': '→', 'B->A': '←' };

/** Label of each packet fate in the table and the filters, in the order the filters list them. */
export const KIND_LABELS: Record<RowKind, string> = {
  lost: 'lost in the network',
  injected: 'injected',
  modified: 'modified',
  reordered: 'reordered',
  'not-captured-downstream': 'not captured downstream',
  'not-captured-upstream': 'not captured upstream',
  'missing-at-both': 'missing at both',
  matched: 'matched (sample)',
};
export const KINDS = Object.keys(KIND_LABELS) as RowKind[];

/** What stands in the column of the point that does not have the packet. */
function absentText(r: LadderRow, side: 'A' | 'B'): string {
  switch (r.kind) {
    case 'lost': return `lost: never arrived at ${side}`;
    case 'injected': return `never sent at ${side}`;
    case 'not-captured-downstream':
    case 'not-captured-upstream': return `crossed, not in ${side}'s capture`;
    case 'missing-at-both': return `not at ${side}`;
    case 'matched':
    case 'modified':
    case 'reordered': return `not at ${side}`;
  }
}

/** The findings most severe first (stable: the document's order within a severity). */
export function rankedFindings(doc: CompareDoc): Finding[] {
  return doc.findings.map((f, i) => ({ f, i }))
    .sort((x, y) => SEVERITY_ORDER.indexOf(x.f.severity) - SEVERITY_ORDER.indexOf(y.f.severity) || x.i - y.i)
    .map((x) => x.f);
}

export function worstSeverity(doc: CompareDoc): string {
  return SEVERITY_ORDER.find((s) => doc.findings.some((f) => f.severity === s)) ?? 'none';
}

const findingAnchor = (i: number): string => `finding-${i + 1}`;

export function compareVerdictHtml(doc: CompareDoc): string {
  const items = rankedFindings(doc).map((f, i) =>
    `<li><span class="badge ${f.severity}">${f.severity}</span> <span class="mono">${f.direction}</span> <a href="#${findingAnchor(i)}">${h(f.summary)}</a></li>`).join('');
  return `<section class="verdict sev-${worstSeverity(doc)}" id="verdict"><div class="head">${h(doc.verdict)}</div>${items ? `<ol>${items}</ol>` : ''}</section>`;
}

function sideHtml(s: SideDoc, which: 'A' | 'B'): string {
  const nc = Object.entries(s.notCompared).filter(([, v]) => v > 0).map(([k, v]) => `${h(k)} ${n(v)}`).join(', ');
  const nj = Object.entries(s.notJudged).filter(([, v]) => v > 0).map(([k, v]) => `${h(k)} ${n(v)}`).join(', ');
  return `<div class="side ${which.toLowerCase()}" id="side-${which.toLowerCase()}"><div><b>${which}</b>: <span class="path mono">${h(s.path)}</span></div>`
    + `<div class="note">${h(s.format ?? 'unknown format')}, ${n(s.frames)} frames, ${n(s.compared)} compared; ${n(s.flows)} flows, ${n(s.flowsOnlyHere)} seen here only${s.captureIssues ? `; <b>${n(s.captureIssues)} capture problems</b>` : ''}`
    + `${nc ? `<br>not compared: ${nc}` : ''}${nj ? `<br>not judged: ${nj}` : ''}</div></div>`;
}

/** A count cell, red when it is something the network did. */
function countCell(v: number, bad: 'bad' | 'warnv' | ''): string {
  return `<td class="num${v > 0 && bad ? ` ${bad}` : ''}">${n(v)}</td>`;
}

const ms = (s: number): string => formatGap(s);

export function glanceHtml(doc: CompareDoc): string {
  const d = doc.directions;
  const row = (label: string, f: (x: DirectionDoc) => string): string => `<tr><td>${label}</td>${DIRS.map((k) => f(d[k])).join('')}</tr>`;
  const rows = [
    row('sent at the sending point', (x) => countCell(x.sent, '')),
    row('arrived at the other point', (x) => countCell(x.matched, '')),
    row('<b>lost in the network</b>', (x) => countCell(x.lost, 'bad')),
    row('<b>injected</b> (never sent)', (x) => countCell(x.injected, 'bad')),
    row('<b>modified</b> in flight', (x) => `<td class="num${x.modified ? ' warnv' : ''}">${n(x.modified)}${x.changedFields.length ? ` <span class="note">(${h(x.changedFields.map((c) => c.field).join(', '))})</span>` : ''}</td>`),
    row('reordered', (x) => countCell(x.reordered, 'warnv')),
    row('crossed, missing from one capture', (x) => countCell(x.notCapturedDownstream + x.notCapturedUpstream, '')),
    row('TCP data missing at both points', (x) => `<td class="num">${n(x.missingAtBoth.ranges)}${x.missingAtBoth.ranges ? ` <span class="note">(${n(x.missingAtBoth.bytes)} bytes)</span>` : ''}</td>`),
    row('one-way delay: median / p99 / max', (x) => `<td class="num">${x.delaySeconds ? `${ms(x.delaySeconds.median)} / ${ms(x.delaySeconds.p99)} / ${ms(x.delaySeconds.max)}` : '—'}</td>`),
    row('router hops between the points', (x) => `<td class="num">${x.hops ? (x.hops.min === x.hops.max ? String(x.hops.min) : `${x.hops.min}–${x.hops.max}`) : '—'}</td>`),
  ];
  return `<h2 id="glance">The two points</h2><div class="sides">${sideHtml(doc.a, 'A')}${sideHtml(doc.b, 'B')}</div>`
    + `<table class="glance" id="glance-table"><thead><tr><th>packets</th><th class="num">A → B</th><th class="num">B → A</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Evidence frames of a finding as a wrapped list of compact entries ("A #22 · B —  note"),
 *  each linked to its row of the side-by-side table when the table has it (rowIds: "a/b" frame
 *  pair -> element id). */
function evidenceHtml(f: Finding, rowIds: ReadonlyMap<string, string>): string {
  if (!f.frames.length) return '';
  const items = f.frames.map((e) => {
    const id = rowIds.get(`${e.a ?? '-'}/${e.b ?? '-'}`);
    const text = `A ${e.a === null ? '—' : `#${e.a}`} · B ${e.b === null ? '—' : `#${e.b}`}`;
    const note = e.note ? ` <span class="mute">${h(e.note)}</span>` : '';
    return id ? `<a class="ev mono" href="#${id}">${text}${note}</a>` : `<span class="ev mono">${text}${note}</span>`;
  }).join('');
  return `<div class="evidence"><b>Evidence</b> <span class="note">(frame numbers as in Wireshark; a link jumps to the packet in the side-by-side view)</span><div class="evlist">${items}</div></div>`;
}

export function compareFindingsHtml(doc: CompareDoc, rowIds: ReadonlyMap<string, string>): string {
  if (!doc.findings.length) return '';
  const out = ['<h2 id="findings">Findings, most severe first</h2>'];
  rankedFindings(doc).forEach((f, i) => {
    const metrics = Object.entries(f.metrics).map(([k, v]) => `<span><b>${h(k)}</b> ${h(typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(4) : String(v))}</span>`).join('');
    out.push(`<section class="finding sev-${f.severity}" id="${findingAnchor(i)}" data-rule="${h(f.id)}" data-direction="${f.direction}">`
      + `<div><span class="badge ${f.severity}">${f.severity}</span> <span class="rule mono">${h(f.id)}</span><span class="conn mono">${f.direction}</span></div>`
      + `<p class="summary">${h(f.summary)}</p><p>${h(f.explanation)}</p>${evidenceHtml(f, rowIds)}`
      + `${metrics ? `<div class="metrics">${metrics}</div>` : ''}</section>`);
  });
  return out.join('');
}

export function delayHtml(m: CompareModel): string {
  const pts = m.delay['A->B'].length + m.delay['B->A'].length;
  const out = ['<h2 id="delay">One-way delay</h2>'];
  if (!pts) {
    out.push('<p class="note">No one-way delay: the clocks of the two captures could not be related (no packets matched in both directions or no shared traffic).</p>');
    return out.join('');
  }
  const sampled = DIRS.map((k) => `${k} ${n(m.delay[k].length)} of ${n(m.delay.sampledFrom[k])} matched packets`).join(', ');
  out.push(`<p class="note">Each dot is a packet seen at both points: when it was seen at the sending point (seconds from the start of the judged window, A's clock) against how long it took to reach the other point, with B's clock corrected by the fitted offset and drift. Dashed lines are the medians. The strip above the plot marks when packets were lost, injected, modified or reordered. Points drawn: ${sampled} (an even sample).</p>`);
  out.push('<canvas class="plot" data-plot="delay" data-cap="0" data-i="0" role="img" aria-label="one-way delay over time, both directions"></canvas>');
  return out.join('');
}

function timeCell(t: number | null, col: 'colA' | 'colB'): string {
  return `<td class="num ${col}">${t === null ? '' : `${t >= 0 ? '+' : '−'}${Math.abs(t).toFixed(TIME_DECIMALS)}`}</td>`;
}

/** The middle column: the direction as an arrow, and the one-way delay when both copies exist. */
function midCell(r: LadderRow): string {
  const arrow = ARROW[r.direction];
  if (r.kind === 'missing-at-both') return `<td class="mid"><span class="arrow">${arrow}</span> gap</td>`;
  if (r.tA === null || r.tB === null) {
    const mark = r.kind === 'lost' ? (r.direction === 'A->B' ? `${arrow} ✗` : `✗ ${arrow}`) : arrow;
    return `<td class="mid"><span class="arrow">${mark}</span></td>`;
  }
  const d = r.direction === 'A->B' ? r.tB - r.tA : r.tA - r.tB;
  const delay = formatGap(Math.abs(d));
  return `<td class="mid">${r.direction === 'A->B' ? `<span class="arrow">${arrow}</span> ${delay}` : `${delay} <span class="arrow">${arrow}</span>`}</td>`;
}

/** A column's heading: the capture's file name (its whole path in the tooltip and in "The two
 *  points"), cut with an ellipsis so a long name cannot widen the table. */
function sideHead(which: 'A' | 'B', path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1) || path;
  return `<div class="side-head" title="${h(path)}">${which}: ${h(base)}</div>`;
}

/** How many packets of each fate the whole comparison found (the document's counts, both
 *  directions), against which the table's bounded rows are shown. Missing at both counts ranges,
 *  as its rows do. Matched is the matched total the sample was drawn from. */
export function kindTotals(m: CompareModel): Record<RowKind, number> {
  const d = m.doc.directions;
  const sum = (f: (x: DirectionDoc) => number): number => f(d['A->B']) + f(d['B->A']);
  return {
    lost: sum((x) => x.lost),
    injected: sum((x) => x.injected),
    modified: sum((x) => x.modified),
    reordered: sum((x) => x.reordered),
    'not-captured-downstream': sum((x) => x.notCapturedDownstream),
    'not-captured-upstream': sum((x) => x.notCapturedUpstream),
    'missing-at-both': sum((x) => x.missingAtBoth.ranges),
    matched: m.ladder.matched,
  };
}

export interface SideBySide {
  html: string;
  /** "a/b" frame pair -> the id of its first row, for links from the findings */
  rowIds: Map<string, string>;
}

export function sideBySideHtml(m: CompareModel): SideBySide {
  const L = m.ladder;
  const rowIds = new Map<string, string>();
  const counts = new Map<RowKind, number>();
  const body = L.rows.map((r, i) => {
    counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
    const key = `${r.a ?? '-'}/${r.b ?? '-'}`;
    let id = '';
    if (!rowIds.has(key)) {
      id = `row-${i + 1}`;
      rowIds.set(key, id);
    }
    const a = r.a === null
      ? `<td class="absent colA" colspan="2">${h(absentText(r, 'A'))}</td>`
      : `<td class="num colA">#${r.a}</td>${timeCell(r.tA, 'colA')}`;
    const b = r.b === null
      ? `<td class="absent colB" colspan="2">${h(absentText(r, 'B'))}</td>`
      : `<td class="num colB">#${r.b}</td>${timeCell(r.tB, 'colB')}`;
    return `<tr class="k-${r.kind}"${id ? ` id="${id}"` : ''} data-kind="${r.kind}" data-dir="${r.direction}">${a}${midCell(r)}${b}`
      + `<td><span class="kind ${r.kind}">${h(KIND_LABELS[r.kind])}</span></td><td class="mono detail">${h(r.kind === 'modified' ? `changed: ${r.note}` : r.note)}</td></tr>`;
  }).join('');
  const totals = kindTotals(m);
  // every fate the comparison found is listed, with the rows shown of its total: a fate whose rows
  // all fell beyond the table's bound still says so
  const filters = KINDS.filter((k) => counts.get(k) || totals[k]).map((k) => {
    const shown = counts.get(k) ?? 0;
    const of = k !== 'matched' && totals[k] > shown ? ` <span class="note">of ${n(totals[k])}</span>` : '';
    return `<label><input type="checkbox" data-kind="${k}" checked> <span class="kind ${k}">${h(KIND_LABELS[k])}</span> <span class="shown">${n(shown)}</span>${of}</label>`;
  }).join('');
  const anomaliesShown = L.rows.length - (counts.get('matched') ?? 0);
  const bounds = `${n(anomaliesShown)} of ${n(L.anomalies)} packets with something to tell (at most the first ${n(L.maxRowsPerKind)} of each kind) and ${n(counts.get('matched') ?? 0)} of ${n(L.matched)} matched packets (a uniform sample of at most ${n(L.maxMatchedRows)}), in time order`;
  const cut = L.anomalies > anomaliesShown
    ? `<p class="defect" id="sbs-cut"><b>Not every packet is listed:</b> the table (and the delay plot's event strip) holds ${n(anomaliesShown)} of ${n(L.anomalies)} packets with something to tell: the first ones of each kind (lost, injected, modified, reordered, ...), so every kind is shown but later packets of a frequent kind are not listed. The counts above and the findings cover every packet.</p>`
    : '';
  const html = `<h2 id="sides">The two captures side by side</h2>
<p class="note">One row per packet: A's copy on the left, B's on the right, on one time axis (seconds from the start of the judged window on A's clock, B's times corrected by the fitted clock). The middle column gives the direction and the one-way delay. Hatched cells are where a packet is missing: lost in the network, never sent (injected), or crossed but not captured. Shown: ${bounds}.</p>${cut}
<div class="controls filters" id="sbs-filters">${filters}
<select id="sbs-dir" aria-label="direction"><option value="">both directions</option><option value="A->B">A → B only</option><option value="B->A">B → A only</option></select>
<input type="search" id="sbs-filter" placeholder="filter: frame, flags, seq…" aria-label="filter packets"><span id="sbs-count" class="note"></span></div>
<div class="tablewrap"><table class="sbs" id="sbs"><thead>
<tr><th class="colA" colspan="2">${sideHead('A', m.doc.a.path)}</th><th></th><th class="colB" colspan="2">${sideHead('B', m.doc.b.path)}</th><th colspan="2"></th></tr>
<tr><th class="num colA">frame</th><th class="num colA">time</th><th>direction, delay</th><th class="num colB">frame</th><th class="num colB">time</th><th>what</th><th>packet</th></tr>
</thead><tbody>${body}</tbody></table></div>`;
  return { html, rowIds };
}

export function clockHtml(doc: CompareDoc, timeZero: string | null): string {
  const out = ['<h2 id="clock">Clock, window and bounds</h2>'];
  if (doc.clockOffsetSeconds !== null) {
    const unc = doc.clockOffsetUncertaintySeconds ?? 0;
    const sign = doc.clockOffsetSeconds >= 0 ? '+' : '−';
    out.push(`<p>B's clock = A's ${sign} ${Math.abs(doc.clockOffsetSeconds).toFixed(6)} s (± ${ms(unc)}${doc.clockAsymmetryBoundSeconds !== null ? `; ± ${ms(doc.clockAsymmetryBoundSeconds)} more if the one-way delays are not symmetric` : ''}), drift ${(doc.clockDriftPpm ?? 0).toFixed(2)} ppm, fitted by ${h(doc.clockMethod ?? '?')}.</p>`);
  } else {
    out.push('<p>The clocks of the two captures could not be related.</p>');
  }
  if (doc.window) out.push(`<p>Judged window (A's clock): ${h(doc.window.start)} to ${h(doc.window.end)} (${doc.window.seconds.toFixed(3)} s)${timeZero ? `; time zero of this page is ${h(timeZero)} (epoch seconds)` : ''}.</p>`);
  const t = doc.translation;
  out.push(`<p>Flows seen at both points: ${n(t.flowPairs)}; translated by NAT: ${n(t.natPairs)}; with shifted sequence numbers: ${n(t.seqShiftedPairs)}.</p>`);
  if (t.examples.length) out.push(`<ul>${t.examples.map((e) => `<li class="mono">${h(e.a)} ⇒ ${h(e.b)}${e.seqDelta.some((x) => x !== 0) ? ` (seq +${h(e.seqDelta.join('/+'))})` : ''}</li>`).join('')}</ul>`);
  const b = doc.bounds;
  out.push(`<p class="note">Matching window ${b.windowSeconds} s; at most ${n(b.maxPendingPerCapture)} packets pending and ${n(b.maxFlowsPerCapture)} flows per capture (${n(b.flowsEvicted)} flows and ${n(b.overflowEvicted)} packets evicted, ${n(b.servicesDropped)} services not remembered). Packets matched with no direction: ${n(doc.matchedDirectionUnknown)}.</p>`);
  return out.join('');
}
