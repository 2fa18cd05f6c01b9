// The parts of the HTML report built on the server side: the verdict, the findings with their
// ladders, the plot sections (canvases the inlined script draws), the connection table and the
// capture summaries. Every capture-derived string is escaped here with escapeHtml.

import type { ReportFinding, ReportModel } from '../model.js';
import type { CapturePlots } from '../plotdata.js';
import { escapeHtml as h } from './escape.js';
import { formatGap, ladderSvg } from './ladder.js';
import { thousands } from '../thousands.js';
import { formatEndpoint } from '../../wire/addr.js';

const SEVERITY_ORDER = ['critical', 'error', 'warning', 'info'] as const;
const n = (v: number): string => thousands(v);

const endpoint = formatEndpoint;

function findingAnchor(i: number): string {
  return `finding-${i + 1}`;
}

export function verdictHtml(model: ReportModel): string {
  const counts = new Map<string, number>();
  for (const f of model.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const worst = SEVERITY_ORDER.find((s) => counts.get(s)) ?? null;
  const tally = SEVERITY_ORDER.filter((s) => counts.get(s)).map((s) => `${counts.get(s)} ${s}`).join(', ');
  const head = model.findings.length
    ? `${model.findings.length} finding${model.findings.length === 1 ? '' : 's'} (${tally})`
    : 'Nothing wrong found';
  const items = model.findings.map((f, i) =>
    `<li><span class="badge ${f.severity}">${f.severity}</span> <a href="#${findingAnchor(i)}">${h(f.summary)}</a></li>`).join('');
  return `<section class="verdict sev-${worst ?? 'none'}" id="verdict"><div class="head">${h(head)}</div>${items ? `<ol>${items}</ol>` : ''}</section>`;
}

function findingHtml(f: ReportFinding, i: number, model: ReportModel): string {
  const c = f.connection;
  const where = c ? `stream ${c.stream}: ${endpoint(c.client.addr, c.client.port)} → ${endpoint(c.server.addr, c.server.port)}` : '';
  const cap = model.captures.length > 1 ? ` [${model.captures[f.capture].path}]` : '';
  const parts: string[] = [];
  parts.push(`<section class="finding sev-${f.severity}" id="${findingAnchor(i)}" data-rule="${h(f.id)}">`);
  parts.push(`<div><span class="badge ${f.severity}">${f.severity}</span> <span class="rule mono">${h(f.id)}</span><span class="conn mono">${h(where + cap)}</span></div>`);
  parts.push(`<p class="summary">${h(f.summary)}</p><p>${h(f.explanation)}</p>`);
  if (f.knownDefect) {
    const k = f.knownDefect;
    parts.push(`<div class="defect"><b>Known defect:</b> ${h(k.name)} (fix <code>${h(k.fixCommit)}</code>, “${h(k.fixTitle)}”). Affected: ${h(k.affectedVersions)}. How to tell: ${h(k.tell)}.</div>`);
  }
  const advice = f.advice ?? f.knownDefect?.advice ?? [];
  if (advice.length) parts.push(`<h3>What to do</h3><ul>${advice.map((a) => `<li>${h(a)}</li>`).join('')}</ul>`);
  if (f.ladder.length) {
    const frames = f.frames.join(' ');
    parts.push(`<h3>Evidence <span class="note">(the telling frame in red; <code>tshark -Y "frame.number in {${h(frames)}}"</code>)</span></h3>`);
    parts.push(ladderSvg(f, c ? endpoint(c.client.addr, c.client.port) : '', c ? endpoint(c.server.addr, c.server.port) : ''));
  } else if (f.frames.length) {
    parts.push(`<p class="note">Evidence frames: ${h(f.frames.join(', '))}</p>`);
  }
  const metrics = Object.entries(f.metrics).map(([k, v]) => `<span><b>${h(k)}</b> ${h(String(v))}</span>`).join('');
  if (metrics) parts.push(`<div class="metrics">${metrics}</div>`);
  parts.push('</section>');
  return parts.join('');
}

export function findingsHtml(model: ReportModel): string {
  if (!model.findings.length) return '';
  return `<h2 id="findings">Findings, most severe first</h2>${model.findings.map((f, i) => findingHtml(f, i, model)).join('')}`;
}

function canvas(plot: string, cap: number, i: number, label: string): string {
  return `<canvas class="plot" data-plot="${plot}" data-cap="${cap}" data-i="${i}" role="img" aria-label="${h(label)}"></canvas>`;
}

export function plotsHtml(p: CapturePlots, multi: boolean, path: string): string {
  const out: string[] = [];
  const suffix = multi ? ` — ${h(path)}` : '';
  if (p.heartbeats.length) {
    out.push(`<h2 id="heartbeats-${p.capture}">Heartbeats per connection${suffix}</h2>`);
    out.push('<p class="note">Each heartbeat request (triangle) and its response (dot); squares are other responses from the server; a red ring is a beat that was due (one nominal period after the last) but not sent; the shaded band is the longest time without a response from the server; the red line is the teardown.</p>');
    p.heartbeats.forEach((hb, i) => {
      const period = hb.periodS !== null ? `nominal period ${formatGap(hb.periodS)}` : 'period not measurable (fewer than 3 beats)';
      const miss = hb.missing.length ? `, <b>${hb.missing.length} beat${hb.missing.length === 1 ? '' : 's'} missing</b>` : '';
      const sil = hb.silence ? `, longest silence ${formatGap(hb.silence.to - hb.silence.from)}` : '';
      const td = hb.teardown ? `, ${hb.teardown.kind.toUpperCase()} by the ${hb.teardown.by} at frame ${hb.teardown.frame}` : '';
      out.push(`<h3>stream ${hb.stream}: ${h(hb.client)} → ${h(hb.server)} <span class="mute">${h(hb.kind)}: ${hb.requests.length} beats, ${period}${miss}${sil}${td}</span></h3>`);
      out.push(canvas('heartbeat', p.capture, i, `heartbeat timeline of stream ${hb.stream}`));
    });
  }
  const L = p.connectLatency;
  if (L) {
    out.push(`<h2 id="latency-${p.capture}">Connection set-up latency${suffix}</h2>`);
    out.push(`<p>${n(L.count)} handshakes (${h(L.measure)}): median ${formatGap(L.p50 / 1e3)}, p90 ${formatGap(L.p90 / 1e3)}, p99 ${formatGap(L.p99 / 1e3)}, max ${formatGap(L.max / 1e3)}; <b>${n(L.outliers)} outlier${L.outliers === 1 ? '' : 's'}</b> above ${formatGap(L.thresholdMs / 1e3)} (10 × the median).${L.omitted ? ` <span class="note">${n(L.omitted)} ordinary points not drawn (decimated); the histogram counts all.</span>` : ''}</p>`);
    out.push(`<div class="row2">${canvas('latency', p.capture, 0, 'connect latency over time')}${canvas('histogram', p.capture, 0, 'connect latency histogram')}</div>`);
  }
  if (p.timeSequences.length) {
    out.push(`<h2 id="tcptrace-${p.capture}">Time-sequence graph and RTT${suffix}</h2>`);
    out.push('<p class="note">Stevens graph of the chosen connection (the one a finding names, else the one with the most retransmissions or bytes): each data segment is a vertical stroke from its first to its last byte; the green line is what the receiver acknowledged, the yellow line the edge of its window; red strokes are retransmissions, purple bars SACK blocks, red crosses zero windows.</p>');
    p.timeSequences.forEach((t, i) => {
      const om = t.omitted ? ` <span class="note">(${n(t.omitted)} points decimated; retransmissions and SACKs kept)</span>` : '';
      const retrans = t.segments.filter((s) => s[4] === 1).length;
      out.push(`<h3>stream ${t.stream}: ${h(t.client)} → ${h(t.server)} <span class="mute">data sent by the ${t.sender}: ${n(t.segments.length)} segments drawn, ${n(retrans)} retransmissions, ${n(t.sacks.length)} SACK blocks, ${n(t.zeroWindows.length)} zero windows</span>${om}</h3>`);
      out.push(canvas('stevens', p.capture, i, `time-sequence graph of stream ${t.stream}`));
      if (t.rtt.length) out.push(canvas('rtt', p.capture, i, `RTT over time of stream ${t.stream}`));
      else out.push('<p class="note">No RTT samples on this connection (no data segment was acknowledged in the capture).</p>');
    });
  }
  const S = p.serviceTimes;
  if (S.commands.length) {
    out.push(`<h2 id="srt-${p.capture}">Service response times per command${suffix}</h2>`);
    out.push(canvas('srt', p.capture, 0, 'service response times per command'));
    const rows = S.commands.map((c) => `<tr><td>${h(c.service)}</td><td>${h(c.command)}</td><td class="num">${n(c.count)}</td><td class="num">${formatGap(c.min / 1e3)}</td><td class="num">${formatGap(c.p50 / 1e3)}</td><td class="num">${formatGap(c.p99 / 1e3)}</td><td class="num">${formatGap(c.max / 1e3)}</td></tr>`).join('');
    out.push(`<table class="srt"><thead><tr><th>service</th><th>command</th><th class="num">count</th><th class="num">min</th><th class="num">median</th><th class="num">p99</th><th class="num">max</th></tr></thead><tbody>${rows}</tbody></table>`);
    if (S.omittedCommands) out.push(`<p class="note">${n(S.omittedCommands)} less frequent commands not shown.</p>`);
  }
  return out.join('');
}

const BAD_ENDS = new Set(['rst', 'handshake-incomplete']);

export function connectionsHtml(model: ReportModel, plots: CapturePlots[]): string {
  const rowsIdx = plots.flatMap((p) => p.tableRows);
  if (!rowsIdx.length) return '';
  const omitted = plots.reduce((a, p) => a + p.tableOmitted, 0);
  const withFindings = new Set<string>();
  for (const f of model.findings) if (f.connection) withFindings.add(`${f.capture}/${f.connection.stream}`);
  const multi = model.captures.length > 1;
  const rows = rowsIdx.map((i) => {
    const c = model.connections[i];
    const f = withFindings.has(`${c.capture}/${c.stream}`);
    const bad = BAD_ENDS.has(c.end);
    const cls = [f ? 'f' : '', bad ? 'bad' : ''].filter(Boolean).join(' ');
    return `<tr${cls ? ` class="${cls}"` : ''} data-f="${f ? 1 : 0}" data-bad="${bad ? 1 : 0}">${multi ? `<td class="num" data-v="${c.capture}">${c.capture + 1}</td>` : ''}<td class="num" data-v="${c.stream}">${c.stream}</td>`
      + `<td class="mono">${h(endpoint(c.client.addr, c.client.port))}</td><td class="mono">${h(endpoint(c.server.addr, c.server.port))}</td>`
      + `<td>${h(c.protocols.join(', '))}</td><td>${h(c.opener)}</td><td class="num" data-v="${c.first_frame}">${c.first_frame}</td><td class="num" data-v="${c.packets}">${n(c.packets)}</td>`
      + `<td class="end">${h(c.end)}</td><td class="num" data-v="${c.client_bytes}">${n(c.client_bytes)}</td><td class="num" data-v="${c.server_bytes}">${n(c.server_bytes)}</td><td>${f ? 'yes' : ''}</td></tr>`;
  }).join('');
  const head = `${multi ? '<th class="num">capture</th>' : ''}<th class="num">stream</th><th>client</th><th>server</th><th>protocols</th><th>opener</th><th class="num">first frame</th><th class="num">packets</th><th>end</th><th class="num">client bytes</th><th class="num">server bytes</th><th>finding</th>`;
  return `<h2 id="connections">Connections</h2>
<div class="controls"><input type="search" id="conn-filter" placeholder="filter: address, port, protocol…" aria-label="filter connections">
<label><input type="checkbox" id="only-findings"> only with findings</label><label><input type="checkbox" id="only-bad"> only reset or incomplete</label><span id="conn-count" class="note"></span></div>
${omitted ? `<p class="note">${n(omitted)} more connections not listed (the table keeps those named by findings, then the first by stream).</p>` : ''}
<div class="tablewrap"><table id="conns"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

export function capturesHtml(model: ReportModel): string {
  const out: string[] = ['<h2 id="captures">Captures</h2>'];
  for (const cap of model.captures) {
    const s = cap.stats;
    const lc = Object.entries(s.labelCounts).map(([k, v]) => `${k} ${n(v)}`).join(', ');
    out.push(`<p><b class="mono">${h(cap.path)}</b>: ${cap.format}, ${n(cap.frames)} frames${cap.start ? `, ${h(cap.start)} to ${h(cap.end ?? '')} (${cap.duration_s.toFixed(3)} s)` : ''}<br>`
      + `${n(s.connections)} TCP connections${s.connectionsDropped ? ` (${n(s.connectionsDropped)} summarised only)` : ''}, ${n(s.exchanges)} request/response exchanges${s.protocols.length ? ` (${h(s.protocols.join(', '))})` : ''}; `
      + `${n(s.retransmissions)} retransmissions, ${n(s.resets)} connections reset${lc ? `; TCP analysis: ${h(lc)}` : ''}`
      + `${s.issues.length ? `<br><span class="note">could not decode everything: ${h(s.issues.join(', '))}</span>` : ''}`
      + `${Object.keys(s.notDecoded).length ? `<br><span class="note">seen but not decoded: ${h(Object.entries(s.notDecoded).map(([k, v]) => `${k} (${n(v)} messages)`).join(', '))}</span>` : ''}`
      + s.problems.map((p) => `<br><span class="note">${p.severity} at byte offset ${p.offset} (after frame ${p.after_frame}): ${h(p.message)}</span>`).join('')
      + `${s.complete ? '' : `<br><span class="note">reading stopped at the damage: the ${n(cap.frames)} frames before it are diagnosed</span>`}</p>`);
  }
  return out.join('');
}
