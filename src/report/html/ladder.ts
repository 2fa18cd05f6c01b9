// The ladder (sequence) diagram of a finding's evidence frames, as inline SVG: the client's
// time line on the left, the server's on the right, time running down, one arrow per frame
// labelled with what it is, the telling frame (the finding's first) highlighted. Frames not tied
// to the connection (an ICMP error from a firewall) start from a middle line, "network".
// Time runs down but not to scale: every row gets room for its label, and a gap between frames
// adds height growing with its logarithm (so 120 s of silence stands out without pushing the
// next frame off the page) and is written beside the gap.

import type { LadderRow, ReportFinding } from '../model.js';
import { escapeHtml } from './escape.js';

const W = 960;
const LEFT = 200; // client line x
const RIGHT = 860; // server line x
const MID = (LEFT + RIGHT) / 2;
const TOP = 78;
const ROW = 34;
/** extra pixels per decade of gap beyond 1 ms, capped, so long silences are visible */
const GAP_PX_PER_DECADE = 9;
const GAP_PX_MAX = 54;
/** a gap is written beside the ladder from this long (shorter ones are read off the times) */
const GAP_LABEL_S = 0.5;
/** label characters that fit across the ladder in 12 px monospace */
const MAX_LABEL_CHARS = 92;
/** arrows fall by this much: a packet arrives after it was sent */
const SLOPE = 10;

export function formatGap(s: number): string {
  if (s >= 1) return `${s.toFixed(s >= 100 ? 1 : 3)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toFixed(3)} ms`;
  return `${(s * 1e6).toFixed(1)} µs`;
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

export function ladderSvg(f: ReportFinding, clientName: string, serverName: string): string {
  const rows: LadderRow[] = f.ladder;
  if (rows.length === 0) return '';
  const telling = f.frames[0];
  const hasOther = rows.some((r) => r.dir === '?');
  const ys: number[] = [];
  let y = TOP;
  rows.forEach((r, i) => {
    if (i > 0) {
      const gap = r.t - rows[i - 1].t;
      const decades = gap > 1e-3 ? Math.log10(gap / 1e-3) : 0;
      y += ROW + Math.min(GAP_PX_MAX, decades * GAP_PX_PER_DECADE);
    }
    ys.push(y);
  });
  const H = y + ROW + 8;
  const out: string[] = [];
  out.push(`<svg class="ladder" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="ladder diagram of ${rows.length} evidence frames" data-rows="${rows.length}">`);
  out.push('<defs><marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>');
  // host lines and names
  out.push(`<text class="host" x="${LEFT}" y="20" text-anchor="middle">client</text><text class="hostaddr" x="${LEFT}" y="38" text-anchor="middle">${escapeHtml(clientName)}</text>`);
  out.push(`<text class="host" x="${RIGHT}" y="20" text-anchor="middle">server</text><text class="hostaddr" x="${RIGHT}" y="38" text-anchor="middle">${escapeHtml(serverName)}</text>`);
  out.push(`<line class="life" x1="${LEFT}" y1="${TOP - 10}" x2="${LEFT}" y2="${H - 4}"/><line class="life" x1="${RIGHT}" y1="${TOP - 10}" x2="${RIGHT}" y2="${H - 4}"/>`);
  if (hasOther) out.push(`<text class="host" x="${MID}" y="20" text-anchor="middle">network</text><line class="life other" x1="${MID}" y1="${TOP - 10}" x2="${MID}" y2="${H - 4}"/>`);
  rows.forEach((r, i) => {
    const yy = ys[i];
    const hi = r.frame === telling;
    if (i > 0 && r.t - rows[i - 1].t >= GAP_LABEL_S) {
      const mid = (ys[i - 1] + yy) / 2 + 4;
      out.push(`<text class="gap" x="${LEFT - 12}" y="${mid}" text-anchor="end">… ${escapeHtml(formatGap(r.t - rows[i - 1].t))} …</text>`);
    }
    if (hi) out.push(`<rect class="tell" x="4" y="${yy - 22}" width="${W - 8}" height="${ROW + 2}" rx="4"/>`);
    // time and frame number at the left margin
    out.push(`<text class="tm${hi ? ' hi' : ''}" x="8" y="${yy + 4}">#${r.frame}</text><text class="tm" x="${LEFT - 12}" y="${yy + 4}" text-anchor="end">+${r.t.toFixed(6)}</text>`);
    let x1: number;
    let x2: number;
    if (r.dir === 'c>s') [x1, x2] = [LEFT, RIGHT];
    else if (r.dir === 's>c') [x1, x2] = [RIGHT, LEFT];
    else [x1, x2] = [MID, LEFT];
    const cls = `msg${hi ? ' hi' : ''}${r.labels.length ? ' lab' : ''}${r.dir === '?' ? ' other' : ''}`;
    out.push(`<line class="${cls}" x1="${x1}" y1="${yy - SLOPE / 2}" x2="${x2}" y2="${yy + SLOPE / 2}" marker-end="url(#ah)"/>`);
    const label = r.text + (r.labels.length ? `  <${r.labels.join(',')}>` : '');
    const tx = r.dir === '?' ? (MID + LEFT) / 2 : MID;
    out.push(`<text class="lbl${hi ? ' hi' : ''}" x="${tx}" y="${yy - 9}" text-anchor="middle"><title>${escapeHtml(label)}</title>${escapeHtml(clip(r.text, MAX_LABEL_CHARS - (r.labels.length ? 20 : 0)))}`);
    if (r.labels.length) out.push(`<tspan class="wl"> ${escapeHtml(clip(r.labels.join(','), 20))}</tspan>`);
    out.push('</text>');
  });
  out.push('</svg>');
  return out.join('');
}
