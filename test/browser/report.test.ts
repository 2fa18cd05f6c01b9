// The HTML report in a real browser: headless Chromium (Debian's chromium package, driven over
// the DevTools protocol with Node's own code, test/browser/cdp.ts) opens the report of each
// incident capture (test/incidents/), checks that the findings, ladder diagrams and plots
// rendered (plots by their pixels, not only their presence), clicks the table's filters and
// sort, checks that hostile strings from a capture render as text, and saves screenshots to
// test/browser/out/ (git-ignored) for a person to look at.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateIncidentA, generateIncidentB, generateIncidentC, generateIncidentD } from '../incidents/index.js';
import { analyse } from '../../src/analysis/analyse.js';
import { buildReport, type ReportModel } from '../../src/report/model.js';
import { buildHtmlPlots, writeHtmlReport } from '../../src/report/html/write.js';
import { renderHtml } from '../../src/report/html.js';
import type { PlotData } from '../../src/report/plotdata.js';
import type { Page } from './cdp.js';
import { browserSuite, OUT } from './suite.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const WIDTH = 1200;
/** First contentful paint of these small reports; the 1M-packet measurement is in perf.ts. */
const FIRST_PAINT_BUDGET_MS = 3000;
/** Saturated (data-coloured) pixels a drawn plot must have below its legend: axes and grid are
 *  grey, so a plot without data has none there. */
const MIN_DATA_PIXELS = 40;
/** The legend row at the top of every plot is excluded from the count (it is drawn always). */
const LEGEND_ROWS_PX = 24;

const suite = browserSuite();
const tmp = suite.tmp;
const pages: Page[] = [];


async function makeReport(name: string, capture: string): Promise<{ model: ReportModel; plots: PlotData; file: string }> {
  const trace = await analyse([capture]);
  const model = buildReport([trace]);
  const file = join(OUT, `${name}.html`);
  const { plots } = await writeHtmlReport(file, [trace], model, { title: `pcapdx browser test: ${name}` });
  return { model, plots, file };
}

interface PlotState { plot: string; drawn: string | undefined; error: string | undefined; ink: number }

async function open(file: string): Promise<{ page: Page; fcp: number }> {
  for (const p of pages.splice(0)) await p.close();
  const page = await suite.browser().newPage(WIDTH, 1000);
  pages.push(page);
  await page.send('Page.bringToFront');
  await page.goto(pathToFileURL(file).href);
  await page.waitFor('window.pcapdxDrawn');
  await page.waitFor("performance.getEntriesByName('first-contentful-paint').length", 5000);
  const fcp = await page.evaluate<number>("(performance.getEntriesByName('first-contentful-paint')[0] || { startTime: -1 }).startTime");
  return { page, fcp };
}

function plots(page: Page): Promise<PlotState[]> {
  return page.evaluate<PlotState[]>(`[...document.querySelectorAll('canvas[data-plot]')].map((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let ink = 0;
    for (let i = ${LEGEND_ROWS_PX} * c.width * 4; i < d.length; i += 4) {
      const mx = Math.max(d[i], d[i + 1], d[i + 2]), mn = Math.min(d[i], d[i + 1], d[i + 2]);
      if (mx - mn > 60) ink++;
    }
    return { plot: c.dataset.plot, drawn: c.dataset.drawn, error: c.dataset.error, ink };
  })`);
}

/** What every report must show: the verdict, one section per finding with its ladder, and every
 *  plot the plot data asks for drawn with data. */
async function checkCommon(page: Page, model: ReportModel, pd: PlotData, fcp: number): Promise<PlotState[]> {
  assert.ok(fcp > 0 && fcp < FIRST_PAINT_BUDGET_MS, `first contentful paint ${fcp} ms`);
  assert.equal(await page.evaluate<number>("document.querySelectorAll('#verdict').length"), 1);
  assert.equal(await page.evaluate<number>("document.querySelectorAll('section.finding').length"), model.findings.length);
  const ladders = await page.evaluate<number[]>("[...document.querySelectorAll('section.finding svg.ladder')].map((s) => +s.dataset.rows)");
  assert.deepEqual(ladders, model.findings.filter((f) => f.ladder.length).map((f) => f.ladder.length));
  // each ladder row is an arrow with its label
  const arrows = await page.evaluate<number[]>("[...document.querySelectorAll('svg.ladder')].map((s) => s.querySelectorAll('line.msg').length)");
  assert.deepEqual(arrows, ladders);
  const states = await plots(page);
  const c = pd.captures[0];
  const expected = c.heartbeats.length + (c.connectLatency ? 2 : 0) + c.timeSequences.length + c.timeSequences.filter((t) => t.rtt.length).length + (c.serviceTimes.commands.length ? 1 : 0);
  assert.equal(states.length, expected, JSON.stringify(states));
  for (const s of states) {
    assert.equal(s.error, undefined, `${s.plot}: ${s.error}`);
    assert.ok(Number(s.drawn) > 0, `${s.plot} drew ${s.drawn} points`);
    if (s.plot !== 'rtt') assert.ok(s.ink >= MIN_DATA_PIXELS, `${s.plot} has ${s.ink} data pixels`);
  }
  assert.equal(await page.evaluate('window.pwned'), undefined);
  return states;
}

test('incident A: the findings with their ladders, the heartbeat timeline with the missed echo and the teardown; the table filters', async () => {
  const g = generateIncidentA({ path: tmp.file('a.pcapng'), seed: 1, intervalS: 60, multiple: 2, keepAlive: { server: { style: 'windows', idleS: 120 } } });
  const { model, plots: pd, file } = await makeReport('incident-a', g.path);
  const { page, fcp } = await open(file);
  const states = await checkCommon(page, model, pd, fcp);
  assert.ok(states.some((s) => s.plot === 'heartbeat'));
  const head = await page.evaluate<string>("document.querySelector('[id^=heartbeats] + p + h3').textContent");
  assert.match(head, /1 beat missing/);
  assert.match(head, new RegExp(`FIN by the client at frame ${g.expect.facts.teardown}`));
  // the telling frame of the first finding is highlighted in its ladder
  assert.equal(await page.evaluate<number>("document.querySelectorAll('section.finding svg.ladder rect.tell').length"), model.findings.filter((f) => f.ladder.some((r) => r.frame === f.frames[0])).length);
  // filters: by a click on "only with findings", then by typed text
  assert.equal(await page.evaluate<string>("document.getElementById('conn-count').textContent"), 'showing 2 of 2');
  await page.click('#only-findings');
  assert.equal(await page.evaluate<boolean>("document.getElementById('only-findings').checked"), true);
  const visible = await page.evaluate<string[]>("[...document.querySelectorAll('#conns tbody tr:not([hidden])')].map((r) => r.cells[0].textContent)");
  const withFindings = [...new Set(model.findings.filter((f) => f.connection).map((f) => String(f.connection!.stream)))];
  assert.deepEqual(visible, withFindings);
  await page.click('#only-findings');
  await page.type('#conn-filter', String(model.connections[1].client.port));
  assert.deepEqual(await page.evaluate<string[]>("[...document.querySelectorAll('#conns tbody tr:not([hidden])')].map((r) => r.cells[0].textContent)"), ['1']);
  await page.screenshot(join(OUT, 'incident-a-findings.png'), ['#verdict', '#finding-1']);
  await page.screenshot(join(OUT, 'incident-a-heartbeats.png'), ['#heartbeats-0', 'canvas[data-plot=heartbeat]']);
  await page.screenshot(join(OUT, 'incident-a-table-filtered.png'), ['#connections', '.tablewrap']);
  await page.screenshot(join(OUT, 'incident-a-full.png'));
});

test('incident B: the SYN burst connection in a time-sequence graph with its retransmissions; the reset/incomplete filter', async () => {
  const g = generateIncidentB({ path: tmp.file('b.pcapng'), seed: 2, burst: 3, mode: 'firewall' });
  const { model, plots: pd, file } = await makeReport('incident-b', g.path);
  const { page, fcp } = await open(file);
  await checkCommon(page, model, pd, fcp);
  assert.ok(pd.captures[0].timeSequences.some((t) => t.segments.some((s) => s[4] === 1)), 'a retransmission to show');
  const bad = model.connections.filter((c) => c.end === 'rst' || c.end === 'handshake-incomplete').length;
  await page.click('#only-bad');
  assert.equal(await page.evaluate<string>("document.getElementById('conn-count').textContent"), `showing ${bad} of ${model.connections.length}`);
  await page.screenshot(join(OUT, 'incident-b-tcptrace.png'), ['#tcptrace-0', 'canvas[data-plot=rtt]']);
});

test('incident C: NFSv3 response times per command are drawn', async () => {
  const g = generateIncidentC({ path: tmp.file('c.pcapng'), seed: 3, variant: 'same-connection' });
  const { model, plots: pd, file } = await makeReport('incident-c', g.path);
  const { page, fcp } = await open(file);
  await checkCommon(page, model, pd, fcp);
  assert.ok(pd.captures[0].serviceTimes.commands.some((c) => c.service === 'NFSv3' && c.command === 'WRITE'));
  assert.match(await page.evaluate<string>("document.querySelector('table.srt').textContent"), /NFSv3WRITE/);
  await page.screenshot(join(OUT, 'incident-c-srt.png'), ['[id^=srt-]', 'table.srt']);
});

test('incident D: the set-up latency scatter and histogram with the three 1 s outliers marked; the table sorts', async () => {
  const g = generateIncidentD({ path: tmp.file('d.pcapng'), seed: 4, outliers: 3 });
  const { model, plots: pd, file } = await makeReport('incident-d', g.path);
  const { page, fcp } = await open(file);
  await checkCommon(page, model, pd, fcp);
  assert.match(await page.evaluate<string>("document.querySelector('[id^=latency-] + p').textContent"), /3 outliers/);
  // sort by packets: ascending, then descending on the second click
  const col = await page.evaluate<number>("[...document.querySelectorAll('#conns th')].findIndex((th) => th.textContent === 'packets')");
  const values = (): Promise<number[]> => page.evaluate<number[]>(`[...document.querySelectorAll('#conns tbody tr')].map((r) => +r.cells[${col}].dataset.v)`);
  await page.click(`#conns th:nth-child(${col + 1})`);
  const asc = await values();
  assert.deepEqual(asc, [...asc].sort((a, b) => a - b));
  await page.click(`#conns th:nth-child(${col + 1})`);
  const desc = await values();
  assert.deepEqual(desc, [...asc].sort((a, b) => b - a));
  assert.ok(desc[0] > desc[desc.length - 1], 'packet counts differ, so the order is visible');
  await page.screenshot(join(OUT, 'incident-d-latency.png'), ['[id^=latency-]', '.row2']);
});

test('hostile strings from a capture (file name, SMB paths, decoded names) render as text and run nothing', async () => {
  const g = generateIncidentA({ path: tmp.file('h.pcapng'), seed: 5, intervalS: 60, multiple: 2, keepAlive: { server: { style: 'windows', idleS: 120 } } });
  const trace = await analyse([g.path]);
  const model = buildReport([trace]);
  const pd = await buildHtmlPlots([trace], model);
  const evil = '<script>window.pwned=1</script>"\'><img src=x onerror="window.pwned=2">';
  const smbPath = '\\\\srv\\share\\</script><script>window.pwned=3</script>.txt';
  model.captures[0].path = `/tmp/${evil}.pcapng`;
  assert.ok(model.findings.length > 0, 'incident A has a finding to poison');
  const f = model.findings[0];
  f.summary = `${evil} summary`;
  f.explanation = `CREATE ${smbPath}`;
  f.metrics = { path: smbPath };
  f.advice = [`<b onmouseover="window.pwned=4">advice</b>`];
  f.ladder[0].text = `SMB2 CREATE request ${smbPath}`;
  model.connections[0].protocols = [evil];
  pd.captures[0].heartbeats[0].kind = evil;
  pd.captures[0].serviceTimes.commands[0].command = smbPath;
  const file = join(OUT, 'hostile.html');
  const html = renderHtml(model, pd);
  writeFileSync(file, html);
  // exactly two script elements: the data and the page's own code
  assert.equal((html.match(/<script/gi) ?? []).length, 2);
  const { page, fcp } = await open(file);
  await checkCommon(page, model, pd, fcp);
  assert.equal(await page.evaluate<number>('document.scripts.length'), 2);
  assert.equal(await page.evaluate<number>("document.querySelectorAll('img, b[onmouseover]').length"), 0);
  const text = await page.evaluate<string>('document.body.innerText');
  for (const s of [evil, smbPath, '<b onmouseover="window.pwned=4">advice</b>']) assert.ok(text.includes(s), `shown as text: ${s}`);
  assert.ok((await page.evaluate<string>('document.title')).includes(evil));
  assert.equal(await page.evaluate('window.pwned'), undefined);
  await page.screenshot(join(OUT, 'hostile.png'), ['h1', '#finding-1']);
});

test('pcapdx diagnose --html from the command line, on a capture whose file name is hostile', async () => {
  const g = generateIncidentA({ path: tmp.file('src.pcapng'), seed: 6, intervalS: 60, multiple: 2 });
  const name = tmp.file('<img src=x onerror="window.pwned=1">\'.pcapng');
  copyFileSync(g.path, name);
  const out = join(OUT, 'cli.html');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'diagnose', name, '--html', out], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /HTML report written to/);
  assert.doesNotMatch(r.stderr, /reading|MiB/, 'no progress line when stderr is not a terminal');
  const q = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'diagnose', name, '--html', out, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stderr.replace(/npm warn[^\n]*\n/g, ''), '');
  const html = readFileSync(out, 'utf8');
  assert.ok(!html.includes('<img'), 'the file name is escaped');
  assert.doesNotMatch(html, /\b(?:src|href)=["']?(?:https?:)?\/\//i, 'nothing is loaded from the network');
  const { page } = await open(out);
  assert.ok((await page.evaluate<string>("document.querySelector('h1').textContent")).includes('<img src=x onerror="window.pwned=1">'));
  assert.equal(await page.evaluate('window.pwned'), undefined);
  assert.equal(await page.evaluate<number>("document.querySelectorAll('canvas[data-plot=heartbeat]').length"), 1);
});
