// Measures how fast a report opens in headless Chromium: first contentful paint, load event and
// the time until every plot is drawn. Not part of `npm test` (it needs a large capture); run:
//   node --import tsx src/cli/main.ts diagnose BIG.pcap --html big.html -q
//   npx tsx test/browser/perf.ts big.html [more.html...]
// The budget (issue 7): first paint under 3 s for a 1M-packet capture's report.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Browser } from './cdp.js';

export const FIRST_PAINT_BUDGET_MS = 3000;

const files = process.argv.slice(2);
if (!files.length) {
  process.stderr.write('usage: npx tsx test/browser/perf.ts REPORT.html...\n');
  process.exit(2);
}
const browser = await Browser.launch();
let worst = 0;
try {
  for (const f of files) {
    const page = await browser.newPage(1200, 1000);
    await page.send('Page.bringToFront');
    const loadMs = await page.goto(pathToFileURL(resolve(f)).href);
    await page.waitFor("performance.getEntriesByName('first-contentful-paint').length", 30_000);
    const fcp = await page.evaluate<number>("performance.getEntriesByName('first-contentful-paint')[0].startTime");
    const t = performance.now();
    await page.waitFor('window.pcapdxDrawn', 60_000);
    const drawn = await page.evaluate<number>('performance.now()');
    const counts = await page.evaluate<{ canvases: number; rows: number; points: number }>(`({ canvases: document.querySelectorAll('canvas[data-plot]').length,
      rows: document.querySelectorAll('#conns tbody tr').length,
      points: [...document.querySelectorAll('canvas[data-plot]')].reduce((a, c) => a + (+c.dataset.drawn || 0), 0) })`);
    worst = Math.max(worst, fcp);
    process.stdout.write(`${f}: ${(statSync(f).size / 1024).toFixed(0)} KiB, first contentful paint ${fcp.toFixed(0)} ms, load event after ${loadMs.toFixed(0)} ms, all plots drawn at ${drawn.toFixed(0)} ms (waited ${(performance.now() - t).toFixed(0)} ms more); ${counts.canvases} plots, ${counts.points} points, ${counts.rows} table rows\n`);
    await page.close();
  }
} finally {
  await browser.close();
}
process.exitCode = worst < FIRST_PAINT_BUDGET_MS ? 0 : 1;
