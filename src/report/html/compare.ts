// The compare report as one self-contained offline HTML page (issue 7, `pcapdx compare A B
// --html FILE`): the verdict first, the two points with their per-direction counts, the findings
// with explanations and evidence frames, the one-way delay over time (canvas, both directions,
// with an event strip of lost, injected, modified and reordered packets), the two captures side
// by side with missing and changed packets marked, then the clock and bounds. It renders the
// compare model (src/correlate/model.ts, already bounded: 2,000 delay points per direction, 500
// anomaly rows and 500 sampled matched rows) and computes nothing about the traffic.
//
// The page shell (CSP without network sources, shared style, data element) is html.ts's
// htmlPage; escaping is escape.ts's; the drawing helpers are client.ts's PLOT_LIB_JS.

import { writeFile } from 'node:fs/promises';
import type { CompareModel } from '../../correlate/model.js';
import type { RowKind } from '../../correlate/ladder.js';
import { htmlPage } from '../html.js';
import { escapeHtml } from './escape.js';
import { COMPARE_JS } from './compareClient.js';
import { clockHtml, compareFindingsHtml, compareVerdictHtml, delayHtml, glanceHtml, KIND_LABELS, KINDS, sideBySideHtml } from './compareSections.js';
import { COMPARE_STYLE } from './compareStyle.js';

export const COMPARE_PAGE_SCHEMA = 'pcapdx.compare-page/1';

/** What the page's script draws: delay points as [t, delay] (seconds), per direction; the median
 *  delay per direction; anomaly events as [t, kind index] at the time the packet was seen (A's
 *  copy if it has one, else B's), kinds and their labels by index. */
export interface ComparePageData {
  schema: typeof COMPARE_PAGE_SCHEMA;
  delay: {
    points: { 'A->B': [number, number][]; 'B->A': [number, number][] };
    medians: { 'A->B': number | null; 'B->A': number | null };
    events: [number, number][];
    /** anomalies the comparison found in all (events holds the first ones, ladder-bounded) */
    eventsTotal: number;
    kinds: RowKind[];
    labels: string[];
  };
}

export interface CompareHtmlOptions {
  /** shown in the page title and heading */
  title?: string;
  /** when the report was made, ISO-8601; omitted for reproducible output when absent */
  generatedAt?: string;
}

export function comparePageData(m: CompareModel): ComparePageData {
  const kindIndex = new Map(KINDS.map((k, i) => [k, i]));
  const events: [number, number][] = [];
  for (const r of m.ladder.rows) {
    const t = r.tA ?? r.tB;
    if (r.kind !== 'matched' && t !== null) events.push([t, kindIndex.get(r.kind) ?? 0]);
  }
  return {
    schema: COMPARE_PAGE_SCHEMA,
    delay: {
      points: { 'A->B': m.delay['A->B'].map((p) => [p.t, p.delay]), 'B->A': m.delay['B->A'].map((p) => [p.t, p.delay]) },
      medians: { 'A->B': m.doc.directions['A->B'].delaySeconds?.median ?? null, 'B->A': m.doc.directions['B->A'].delaySeconds?.median ?? null },
      events,
      eventsTotal: m.ladder.anomalies,
      kinds: KINDS,
      labels: KINDS.map((k) => KIND_LABELS[k]),
    },
  };
}

export function renderCompareHtml(m: CompareModel, opts: CompareHtmlOptions = {}): string {
  const doc = m.doc;
  const title = opts.title ?? `pcapdx compare: ${doc.a.path} ↔ ${doc.b.path}`;
  const sbs = sideBySideHtml(m);
  const body: string[] = [];
  body.push(`<h1>${escapeHtml(title)}</h1>`);
  body.push(`<p class="note">A: ${escapeHtml(doc.a.path)} (${doc.a.frames.toLocaleString('en-US')} frames); B: ${escapeHtml(doc.b.path)} (${doc.b.frames.toLocaleString('en-US')} frames)${opts.generatedAt ? ` — report made ${escapeHtml(opts.generatedAt)}` : ''}. Frame numbers are 1-based as in Wireshark. A → B is traffic that passed A first.</p>`);
  body.push(compareVerdictHtml(doc));
  const links: [string, string][] = [['glance', 'the two points'], ['findings', 'findings'], ['delay', 'one-way delay'], ['sides', 'the captures side by side'], ['clock', 'clock and bounds']];
  const present = links.filter(([id]) => (id === 'findings' ? doc.findings.length > 0 : id === 'delay' || id === 'sides' ? doc.sharedTraffic : true));
  body.push(`<p class="note" id="toc">Jump to: ${present.map(([id, label]) => `<a href="#${id}">${label}</a>`).join(' · ')}</p>`);
  body.push(glanceHtml(doc));
  body.push(compareFindingsHtml(doc, sbs.rowIds));
  if (doc.sharedTraffic) {
    body.push(delayHtml(m));
    body.push(sbs.html);
  }
  body.push(clockHtml(doc, m.timeZero));
  return htmlPage({ title, body: body.join('\n'), data: comparePageData(m), script: COMPARE_JS, extraStyle: COMPARE_STYLE });
}

export async function writeCompareHtml(path: string, m: CompareModel, opts: CompareHtmlOptions = {}): Promise<{ bytes: number }> {
  const html = renderCompareHtml(m, opts);
  await writeFile(path, html);
  return { bytes: Buffer.byteLength(html) };
}
