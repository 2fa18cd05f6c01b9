// The HTML report (issue 7): one self-contained offline file (style, script and data inlined; no
// network access when opened) that renders the report model and its plot data: the verdict,
// ranked findings with their ladder diagrams, heartbeat timelines, connect-latency scatter and
// histogram, time-sequence and RTT graphs, service response times, and a sortable, filterable
// table of connections. It formats what it is given and computes nothing about the traffic.
//
// Untrusted strings (file names, SMB paths, decoded arguments) are escaped on the server side
// (escapeHtml) and only ever drawn with fillText/textContent by the script; the plot data is
// embedded as JSON with `<` written as \u003c. A Content-Security-Policy without network
// sources makes the "offline" promise checkable by the browser itself.

import type { ReportModel } from './model.js';
import type { PlotData } from './plotdata.js';
import { CLIENT_JS } from './html/client.js';
import { escapeHtml, jsonForScript } from './html/escape.js';
import { capturesHtml, connectionsHtml, findingsHtml, plotsHtml, verdictHtml } from './html/sections.js';
import { STYLE } from './html/style.js';
import { thousands } from './thousands.js';

export { escapeHtml, jsonForScript } from './html/escape.js';

/** No network: scripts and styles only inline, images only from data: URLs, no fetch/XHR. */
export const REPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'";

export interface HtmlOptions {
  /** shown in the page title and heading */
  title?: string;
  /** when the report was made, ISO-8601; omitted for reproducible output when absent */
  generatedAt?: string;
}

export function renderHtml(model: ReportModel, plots: PlotData, opts: HtmlOptions = {}): string {
  const multi = model.captures.length > 1;
  const title = opts.title ?? `pcapdx diagnose: ${model.captures.map((c) => c.path).join(', ')}`;
  const body: string[] = [];
  body.push(`<h1>${escapeHtml(title)}</h1>`);
  body.push(`<p class="note">${model.captures.map((c) => `${escapeHtml(c.path)} (${thousands(c.frames)} frames)`).join('; ')}${opts.generatedAt ? ` — report made ${escapeHtml(opts.generatedAt)}` : ''}. Frame numbers are 1-based as in Wireshark.</p>`);
  body.push(verdictHtml(model));
  body.push(findingsHtml(model));
  plots.captures.forEach((p) => body.push(plotsHtml(p, multi, model.captures[p.capture]?.path ?? '')));
  body.push(connectionsHtml(model, plots.captures));
  body.push(capturesHtml(model));
  return htmlPage({ title, body: body.join('\n'), data: { schema: model.schema, plots }, script: CLIENT_JS });
}

export interface PageParts {
  /** page title (escaped here) */
  title: string;
  /** the markup inside <main>, already escaped by its builders */
  body: string;
  /** embedded as JSON in <script type="application/json" id="pcapdx-data"> */
  data: unknown;
  /** the page's own script (a constant of pcapdx, never capture data) */
  script: string;
  /** style sheet rules added after the shared STYLE */
  extraStyle?: string;
}

/** The page shell both reports use: the CSP that keeps it offline, the shared style sheet, the
 *  data element and the inline script. */
export function htmlPage(p: PageParts): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pcapdx">
<title>${escapeHtml(p.title)}</title>
<style>${STYLE}${p.extraStyle ?? ''}</style></head>
<body><main>
${p.body}
</main>
<script type="application/json" id="pcapdx-data">${jsonForScript(p.data)}</script>
<script>${p.script}</script>
</body></html>
`;
}
