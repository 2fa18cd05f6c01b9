// The script inlined in the compare report: draws the one-way delay plot from the embedded data
// (compare.ts ComparePageData) with the shared drawing helpers (client.ts PLOT_LIB_JS), and
// filters the side-by-side table by packet fate, direction and text. Like the diagnose report's
// script it draws only numbers it is given and writes text with fillText/textContent, never
// innerHTML. Kept as a string (no DOM types in the project); test/browser/compare.test.ts checks it.

import { PLOT_LIB_JS } from './client.js';

export const COMPARE_JS = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('pcapdx-data').textContent);
${PLOT_LIB_JS}
  // one colour per packet fate, as in compareStyle.ts
  var KIND_COLOURS = { lost: '#cf222e', injected: '#bc4c00', modified: '#bf8700', reordered: '#8250df', 'not-captured-downstream': '#6e7781', 'not-captured-upstream': '#6e7781', 'missing-at-both': '#0969da' };
  var DIR_COLOURS = { 'A->B': C.client, 'B->A': C.server };

  // --------------------------------------------------------------- one-way delay over time
  function drawDelay(cv) {
    var D = data.delay, s = setup(cv, 380), g = s.g, box = { l: 80, r: s.w - 20, t: 62, b: 336 }, strip = { t: 30, b: 50 };
    var t0 = Infinity, t1 = -Infinity, dmax = 0, n = 0;
    ['A->B', 'B->A'].forEach(function (k) { D.points[k].forEach(function (p) { t0 = Math.min(t0, p[0]); t1 = Math.max(t1, p[0]); dmax = Math.max(dmax, p[1]); }); });
    D.events.forEach(function (e) { t0 = Math.min(t0, e[0]); t1 = Math.max(t1, e[0]); });
    if (!(t1 >= t0)) { t0 = 0; t1 = 1; }
    var pt = (t1 - t0) * 0.02 || 0.001, sx = lin(t0 - pt, t1 + pt, box.l, box.r), ytop = (dmax || 0.001) * 1000 * 1.1, sy = lin(0, ytop, box.b, box.t);
    axes(g, box, sx, sy, niceTicks(t0 - pt, t1 + pt, 8), niceTicks(0, ytop, 6), fmtS, fmtMs, 'time at the sending point (from the start of the judged window, A\'s clock)', 'one-way delay');
    // the event strip: a tick per anomaly at the time it was seen
    g.fillStyle = '#f6f8fa'; g.fillRect(box.l, strip.t, box.r - box.l, strip.b - strip.t);
    g.fillStyle = C.ink; g.textAlign = 'right'; g.fillText('events', box.l - 6, (strip.t + strip.b) / 2);
    // lost and injected packets (what the network did wrong) full height and bold, drawn last so
    // they stay on top; the others half height
    [false, true].forEach(function (grave) {
      D.events.forEach(function (e) {
        var k = D.kinds[e[1]], big = k === 'lost' || k === 'injected';
        if (big !== grave) return;
        var x = Math.round(sx(e[0])) + 0.5; g.strokeStyle = KIND_COLOURS[k] || C.grey; g.lineWidth = big ? 3 : 2;
        g.beginPath(); g.moveTo(x, big ? strip.t + 1 : (strip.t + strip.b) / 2); g.lineTo(x, strip.b - 1); g.stroke(); n++;
      });
    });
    g.lineWidth = 1;
    if (D.eventsTotal > D.events.length) {
      var cut = 'first ' + D.events.length + ' of ' + D.eventsTotal + ' events found (see the table)';
      g.textAlign = 'right'; g.fillStyle = C.bad; g.strokeStyle = '#fff'; g.lineWidth = 4;
      g.strokeText(cut, box.r - 4, (strip.t + strip.b) / 2); g.fillText(cut, box.r - 4, (strip.t + strip.b) / 2); g.lineWidth = 1;
    }
    g.save(); g.beginPath(); g.rect(box.l, box.t, box.r - box.l, box.b - box.t); g.clip();
    ['A->B', 'B->A'].forEach(function (k) {
      g.fillStyle = DIR_COLOURS[k]; g.globalAlpha = 0.6;
      D.points[k].forEach(function (p) { dot(g, sx(p[0]), sy(p[1] * 1000), 2.2); n++; });
      g.globalAlpha = 1;
    });
    // median lines over all dots, then their labels over everything: the higher median's label
    // above its line, the other's below, so two close medians do not write over each other
    var meds = ['A->B', 'B->A'].filter(function (k) { return D.medians[k] !== null; });
    meds.forEach(function (k) {
      var y = Math.round(sy(D.medians[k] * 1000)) + 0.5; g.strokeStyle = DIR_COLOURS[k]; g.lineWidth = 1.5; g.setLineDash([6, 4]);
      g.beginPath(); g.moveTo(box.l, y); g.lineTo(box.r, y); g.stroke(); g.setLineDash([]); g.lineWidth = 1;
    });
    var top = meds.length === 2 ? (D.medians['A->B'] >= D.medians['B->A'] ? 'A->B' : 'B->A') : meds[0];
    g.textAlign = 'right'; g.font = 'bold 12px system-ui, sans-serif';
    meds.forEach(function (k) {
      var label = k.replace('->', ' → ') + ' median ' + fmtMs(D.medians[k] * 1000), ly = sy(D.medians[k] * 1000) + (k === top ? -10 : 10);
      g.strokeStyle = '#fff'; g.lineWidth = 4; g.strokeText(label, box.r - 6, ly); g.lineWidth = 1; // a halo over the dots
      g.fillStyle = DIR_COLOURS[k]; g.fillText(label, box.r - 6, ly);
    });
    g.font = '12px system-ui, sans-serif';
    g.restore();
    var items = [['A → B', C.client], ['B → A', C.server]];
    D.kinds.forEach(function (k, i) { if (D.events.some(function (e) { return e[1] === i; })) items.push([D.labels[i], KIND_COLOURS[k]]); });
    legend(g, box.l, 14, items);
    return n;
  }

  function plotFor(cv) { return cv.dataset.plot === 'delay' ? drawDelay(cv) : 0; }

  // --------------------------------------------------------------- side-by-side table filters
  function setupTable() {
    var table = document.getElementById('sbs'); if (!table) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows), boxes = Array.prototype.slice.call(document.querySelectorAll('#sbs-filters input[type=checkbox]'));
    var dir = document.getElementById('sbs-dir'), q = document.getElementById('sbs-filter'), count = document.getElementById('sbs-count'), texts = null;
    function apply() {
      var on = {}, text = (q.value || '').toLowerCase(), shown = 0;
      boxes.forEach(function (b) { on[b.dataset.kind] = b.checked; });
      if (text && !texts) { texts = new Map(); rows.forEach(function (r) { texts.set(r, r.textContent.toLowerCase()); }); }
      rows.forEach(function (r) {
        var ok = on[r.dataset.kind] !== false && (!dir.value || r.dataset.dir === dir.value) && (!text || texts.get(r).indexOf(text) >= 0);
        if (r.hidden === ok) r.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = 'showing ' + shown + ' of ' + rows.length;
      table.dataset.shown = String(shown);
    }
    boxes.concat([dir, q]).forEach(function (el) { el.addEventListener('input', apply); el.addEventListener('change', apply); });
    apply();
  }

  setupTable();
  requestAnimationFrame(function () { setTimeout(function () { drawAll(plotFor); }, 0); });
})();
`;
