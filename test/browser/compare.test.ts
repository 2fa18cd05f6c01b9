// The compare HTML report in a real browser (headless Chromium over the DevTools pipe,
// test/browser/cdp.ts): a generated capture pair whose every packet's fate is known (loss both
// ways, an injected RST each way, reordering, window rewriting, B's clock 250 ms ahead) is
// compared, the page written and opened. Checks: the verdict, both capture columns, every lost,
// injected and modified packet marked in its row against the generator's truth, a drawn delay
// plot with both directions and the lost packets in its event strip (by pixels), the filters, an
// evidence link, and `pcapdx compare --html` on hostile file names rendering them as text.
// Screenshots go to test/browser/out/ (git-ignored).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULTS, generatePair, type PairResult } from '../compare/twopoint.js';
import { compareCaptures } from '../../src/correlate/compare.js';
import { buildModel, type CompareModel } from '../../src/correlate/model.js';
import { writeCompareHtml } from '../../src/report/html/compare.js';
import type { Page } from './cdp.js';
import { browserSuite, OUT } from './suite.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const WIDTH = 1200;
/** First contentful paint of this small report. */
const FIRST_PAINT_BUDGET_MS = 3000;
/** Pixels of a colour the delay plot must have: a few dots' worth (a 2.2 px dot is ~15 px). */
const MIN_COLOUR_PIXELS = 40;

const suite = browserSuite();
const tmp = suite.tmp;
let page: Page | null = null;


async function open(file: string): Promise<{ page: Page; fcp: number }> {
  if (page) await page.close();
  page = await suite.browser().newPage(WIDTH, 1000);
  await page.send('Page.bringToFront');
  await page.goto(pathToFileURL(file).href);
  await page.waitFor('window.pcapdxDrawn');
  await page.waitFor("performance.getEntriesByName('first-contentful-paint').length", 5000);
  const fcp = await page.evaluate<number>("(performance.getEntriesByName('first-contentful-paint')[0] || { startTime: -1 }).startTime");
  return { page, fcp };
}

/** The scenario of the issue: loss both ways, an injected RST, reordering, window rewriting, a
 *  clock offset. */
function pair(name: string): { a: string; b: string; g: PairResult } {
  const a = tmp.file(`${name}.pcap`);
  const b = tmp.file(`${name}.pcapng`);
  const g = generatePair(a, b, { ...DEFAULTS, seed: 3, lossAb: 0.02, lossBa: 0.01, injectRstIn: [2], reorder: 0.02, windowRewrite: 0.01, offsetNs: 250_000_000 });
  return { a, b, g };
}

interface Row { kind: string; dir: string; a: string | null; b: string | null; absent: string | null; absentColour: string | null; detail: string; hidden: boolean }

function rows(p: Page): Promise<Row[]> {
  return p.evaluate<Row[]>(`[...document.querySelectorAll('#sbs tbody tr')].map((r) => {
    const absent = r.querySelector('td.absent');
    const frame = (col) => { const td = r.querySelector('td.num.' + col); return td && td.textContent.startsWith('#') ? td.textContent.slice(1) : null; };
    return { kind: r.dataset.kind, dir: r.dataset.dir, a: frame('colA'), b: frame('colB'), absent: absent ? absent.textContent : null,
      absentColour: absent ? getComputedStyle(absent).color : null, detail: r.querySelector('td.detail').textContent, hidden: r.hidden };
  })`);
}

/** Pixels of the delay canvas close to each colour: the two directions' dots and the lost marks. */
function colours(p: Page): Promise<{ blue: number; green: number; red: number; redStrip: number }> {
  return p.evaluate(`(() => {
    const c = document.querySelector('canvas[data-plot=delay]'), g = c.getContext('2d'), d = g.getImageData(0, 0, c.width, c.height).data;
    const near = (i, r, gg, b) => Math.abs(d[i] - r) + Math.abs(d[i + 1] - gg) + Math.abs(d[i + 2] - b) < 90;
    let blue = 0, green = 0, red = 0, redStrip = 0;
    // skip the legend row (drawn always); the event strip is y 30..50 (compareClient.ts)
    for (let y = 24; y < c.height; y++) for (let x = 0; x < c.width; x++) {
      const i = (y * c.width + x) * 4;
      if (near(i, 0x1f, 0x6f, 0xeb)) blue++; else if (near(i, 0x1a, 0x7f, 0x37)) green++;
      else if (near(i, 0xcf, 0x22, 0x2e)) { red++; if (y >= 30 && y <= 50) redStrip++; }
    }
    return { blue, green, red, redStrip };
  })()`);
}

test('compare report: the verdict, both columns, every lost, injected and modified packet marked, the delay plot drawn; filters and evidence links', async () => {
  const { a, b, g } = pair('sides');
  const model: CompareModel = buildModel(await compareCaptures(a, b));
  const file = join(OUT, 'compare.html');
  await writeCompareHtml(file, model, { title: 'pcapdx browser test: compare' });
  const { page: p, fcp } = await open(file);
  assert.ok(fcp > 0 && fcp < FIRST_PAINT_BUDGET_MS, `first contentful paint ${fcp} ms`);
  const doc = model.doc;

  // the verdict first: the document's sentence, coloured by the worst finding, one line per finding
  assert.equal(await p.evaluate<string>("document.querySelector('main > section').id"), 'verdict');
  assert.equal(await p.evaluate<string>("document.querySelector('#verdict .head').textContent"), doc.verdict);
  assert.match(doc.verdict, /lost 13 of/);
  assert.ok(await p.evaluate<boolean>("document.getElementById('verdict').classList.contains('sev-error')"));
  assert.equal(await p.evaluate<number>("document.querySelectorAll('#verdict li').length"), doc.findings.length);
  assert.equal(await p.evaluate<number>("document.querySelectorAll('section.finding').length"), doc.findings.length);
  const severities = await p.evaluate<string[]>("[...document.querySelectorAll('section.finding .badge')].map((b) => b.textContent)");
  assert.deepEqual(severities, [...severities].sort((x, y) => ['critical', 'error', 'warning', 'info'].indexOf(x) - ['critical', 'error', 'warning', 'info'].indexOf(y)), 'most severe first');
  // the per-direction counts at a glance
  const glance = await p.evaluate<string[][]>("[...document.querySelectorAll('#glance-table tbody tr')].map((r) => [...r.cells].map((c) => c.textContent))");
  const lostRow = glance.find((r) => r[0] === 'lost in the network');
  assert.deepEqual(lostRow?.slice(1), [String(doc.directions['A->B'].lost), String(doc.directions['B->A'].lost)]);

  // both columns, headed by the captures' names
  const heads = await p.evaluate<string[][]>("[...document.querySelectorAll('#sbs .side-head')].map((t) => [t.textContent, t.title])");
  assert.deepEqual(heads, [[`A: ${basename(a)}`, a], [`B: ${basename(b)}`, b]]);
  const table = await rows(p);
  assert.equal(table.length, model.ladder.rows.length);
  assert.ok(table.filter((r) => r.kind === 'matched').every((r) => r.a !== null && r.b !== null), 'a matched packet fills both columns');

  // every lost packet of the truth: its frame in the sender's column, the other column marked
  const judged = g.truth.filter((t) => !t.early);
  const lost = table.filter((r) => r.kind === 'lost');
  const lostA = judged.filter((t) => t.lost && t.fromA).map((t) => String(t.frameA)).sort();
  const lostB = judged.filter((t) => t.lost && !t.fromA).map((t) => String(t.frameB)).sort();
  assert.ok(lostA.length > 0 && lostB.length > 0);
  assert.deepEqual(lost.filter((r) => r.dir === 'A->B').map((r) => r.a).sort(), lostA);
  assert.deepEqual(lost.filter((r) => r.dir === 'B->A').map((r) => r.b).sort(), lostB);
  for (const r of lost) {
    assert.equal(r.absent, r.dir === 'A->B' ? 'lost: never arrived at B' : 'lost: never arrived at A');
    assert.equal(r.absentColour, 'rgb(207, 34, 46)', 'lost is marked in red');
  }
  // the injected RSTs: in the receiver's column only, the sender's column says never sent
  const injected = table.filter((r) => r.kind === 'injected');
  const truthInjected = judged.filter((t) => t.injected);
  assert.equal(injected.length, truthInjected.length);
  for (const t of truthInjected) {
    const r = injected.find((x) => (t.frameA ? x.a === String(t.frameA) : x.b === String(t.frameB)));
    assert.ok(r, `injected ${t.frameA}/${t.frameB} has its row`);
    assert.equal(r.absent, t.frameA ? 'never sent at B' : 'never sent at A');
    assert.match(r.detail, /RST/);
    assert.equal(r.absentColour, 'rgb(188, 76, 0)', 'injected is marked in orange');
  }
  // modified packets: both columns, the changed field named
  const modified = table.filter((r) => r.kind === 'modified');
  assert.equal(modified.length, judged.filter((t) => t.modified && !t.lost).length);
  for (const r of modified) {
    assert.ok(r.a !== null && r.b !== null);
    assert.equal(r.detail, 'changed: window');
  }
  assert.ok(table.some((r) => r.kind === 'reordered'));

  // the delay plot: both directions' dots and the lost packets' marks in the event strip
  const plot = await p.evaluate<{ drawn: string; error?: string }>("(({ drawn, error }) => ({ drawn, error }))(document.querySelector('canvas[data-plot=delay]').dataset)");
  assert.equal(plot.error, undefined);
  const points = model.delay['A->B'].length + model.delay['B->A'].length;
  assert.ok(points > 1000);
  assert.ok(Number(plot.drawn) >= points, `${plot.drawn} marks for ${points} points`);
  const px = await colours(p);
  assert.ok(px.blue >= MIN_COLOUR_PIXELS && px.green >= MIN_COLOUR_PIXELS, JSON.stringify(px));
  assert.ok(px.redStrip >= lostA.length, `lost marks in the event strip: ${JSON.stringify(px)}`);

  // filters: anomalies only (untick matched), then one direction, then text
  const anomalies = table.filter((r) => r.kind !== 'matched').length;
  await p.click('#sbs-filters input[data-kind=matched]');
  assert.equal(await p.evaluate<string>("document.getElementById('sbs-count').textContent"), `showing ${anomalies} of ${table.length}`);
  await p.screenshot(join(OUT, 'compare-anomalies.png'), ['#sides', '.tablewrap']);
  await p.evaluate("(() => { const s = document.getElementById('sbs-dir'); s.value = 'B->A'; s.dispatchEvent(new Event('change')); })()");
  const shown = (await rows(p)).filter((r) => !r.hidden);
  assert.equal(shown.length, table.filter((r) => r.kind !== 'matched' && r.dir === 'B->A').length);
  assert.ok(shown.every((r) => r.dir === 'B->A'));
  await p.type('#sbs-filter', 'RST');
  assert.deepEqual((await rows(p)).filter((r) => !r.hidden).map((r) => r.kind), ['injected']);

  // an evidence link of the first lost-in-network finding jumps to its row
  const link = await p.evaluate<{ href: string; text: string }>("(() => { const a = document.querySelector('section.finding[data-rule=\"compare/lost-in-network\"] a.ev'); return { href: a.getAttribute('href'), text: a.textContent }; })()");
  await p.click('section.finding[data-rule="compare/lost-in-network"] a.ev');
  assert.equal(await p.evaluate<string>('location.hash'), link.href);
  const target = await p.evaluate<{ kind: string; a: string }>(`(() => { const r = document.querySelector(${JSON.stringify(link.href)}); return { kind: r.dataset.kind, a: r.cells[0].textContent }; })()`);
  assert.equal(target.kind, 'lost');
  assert.ok(link.text.startsWith(`A ${target.a} `), `${link.text} -> ${target.a}`);
  assert.equal(await p.evaluate('window.pwned'), undefined);

  // reset the filters for the screenshots
  await p.goto(pathToFileURL(file).href);
  await p.waitFor('window.pcapdxDrawn');
  await p.screenshot(join(OUT, 'compare-verdict.png'), ['h1', '#glance-table']);
  await p.screenshot(join(OUT, 'compare-delay.png'), ['#delay', 'canvas[data-plot=delay]']);
  await p.screenshot(join(OUT, 'compare-sides.png'), ['#sides', '.tablewrap']);
  await p.screenshot(join(OUT, 'compare-finding.png'), ['#finding-1', '#finding-2']);
  await p.screenshot(join(OUT, 'compare-full.png'));
});

test('pcapdx compare --html from the command line, on captures whose file names are hostile', async () => {
  const { a, b } = pair('cli');
  const evilA = tmp.file('<img src=x onerror="window.pwned=1">\'a.pcap');
  // a '/' in a name is a directory: '</script>' goes into the path across two of them
  const evilB = tmp.file('x</script><script>window.pwned=2</script>b.pcapng');
  mkdirSync(dirname(evilB), { recursive: true });
  copyFileSync(a, evilA);
  copyFileSync(b, evilB);
  const out = join(OUT, 'compare-cli.html');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'compare', evilA, evilB, '--html', out], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 1, `the network lost packets: exit 1 (${r.stderr})`);
  assert.match(r.stdout, /^The network between A and B lost 13 of/);
  assert.match(r.stderr, /HTML report written to/);
  const html = readFileSync(out, 'utf8');
  assert.ok(!html.includes('<img'), 'the file name is escaped');
  assert.equal((html.match(/<script/gi) ?? []).length, 2, 'the data and the page code, nothing from a name');
  assert.doesNotMatch(html, /\b(?:src|href)=["']?(?:https?:)?\/\//i, 'nothing is loaded from the network');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  const { page: p } = await open(out);
  assert.equal(await p.evaluate<number>('document.scripts.length'), 2);
  assert.equal(await p.evaluate<number>("document.querySelectorAll('img').length"), 0);
  const h1 = await p.evaluate<string>("document.querySelector('h1').textContent");
  assert.ok(h1.includes(evilA) && h1.includes(evilB), h1);
  assert.deepEqual(await p.evaluate<string[][]>("[...document.querySelectorAll('#sbs .side-head')].map((t) => [t.textContent, t.title])"), [[`A: ${basename(evilA)}`, evilA], [`B: ${basename(evilB)}`, evilB]]);
  assert.ok((await p.evaluate<string>("document.getElementById('side-b').textContent")).includes(evilB));
  assert.ok((await p.evaluate<string>('document.title')).includes(evilB));
  assert.equal(await p.evaluate('window.pwned'), undefined);
  assert.ok(Number(await p.evaluate<string>("document.querySelector('canvas[data-plot=delay]').dataset.drawn")) > 0);
  await p.screenshot(join(OUT, 'compare-hostile.png'), ['h1', '#glance']);
});
