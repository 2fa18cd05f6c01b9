// The script inlined in the HTML report: draws the plots on canvases from the embedded plot data
// (src/report/plotdata.ts) and makes the connection table sortable and filterable. It only
// draws numbers it is given (no analysis) and puts text on canvases or in textContent, never in
// innerHTML, so no string from a capture is ever parsed as markup. Plain ES2020 for any current
// browser, no libraries, no network. Kept as a string (the project's TypeScript has no DOM
// types); the browser test (test/browser/) is what checks it.
//
// Canvases are drawn one per task after the first paint, so a report with many plots shows its
// text at once. Each canvas gets data-drawn="<points drawn>" when done; window.pcapdxDrawn is
// set when all are.

// The drawing helpers both report pages share (the diagnose report here, the compare report in
// compareClient.ts): colours, scales, ticks, number formats, axes, legend, marks, and the canvas
// scheduler (one canvas per task; each gets data-drawn="<points drawn>" or data-error, and
// window.pcapdxDrawn is set when all are). Inlined inside each page's function scope.
export const PLOT_LIB_JS = String.raw`
  var C = { client: '#1f6feb', server: '#1a7f37', bad: '#cf222e', warn: '#bc4c00', probe: '#8250df', grey: '#8c959f', ink: '#24292f', win: '#bf8700', grid: '#eaeef2' };

  function setup(cv, h) {
    var w = cv.clientWidth || 900, r = window.devicePixelRatio || 1;
    cv.width = Math.round(w * r); cv.height = Math.round(h * r); cv.style.height = h + 'px';
    var g = cv.getContext('2d'); g.scale(r, r);
    g.fillStyle = '#fff'; g.fillRect(0, 0, w, h);
    g.font = '12px system-ui, sans-serif'; g.textBaseline = 'middle';
    return { g: g, w: w, h: h };
  }
  function lin(d0, d1, r0, r1) { if (d1 === d0) { d1 = d0 + 1; } var k = (r1 - r0) / (d1 - d0); return function (v) { return r0 + (v - d0) * k; }; }
  function logsc(d0, d1, r0, r1) {
    d0 = Math.max(d0, 1e-6); d1 = Math.max(d1, d0 * 10);
    var l0 = Math.log10(d0), k = (r1 - r0) / (Math.log10(d1) - l0);
    return function (v) { return r0 + (Math.log10(Math.max(v, d0)) - l0) * k; };
  }
  function niceTicks(a, b, n) {
    var span = b - a; if (!(span > 0)) return [a];
    var step = Math.pow(10, Math.floor(Math.log10(span / n))), err = span / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = []; for (var v = Math.ceil(a / step) * step; v <= b + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }
  function logTicks(a, b) { var out = []; for (var e = Math.floor(Math.log10(Math.max(a, 1e-6))); e <= Math.ceil(Math.log10(b)); e++) { var v = Math.pow(10, e); if (v >= a * 0.999 && v <= b * 1.001) out.push(v); } return out; }
  function fmtMs(v) { if (v >= 1000) return (v / 1000).toPrecision(3).replace(/\.?0+$/, '') + ' s'; if (v >= 1) return (+v.toPrecision(3)) + ' ms'; return (+(v * 1000).toPrecision(3)) + ' µs'; }
  function fmtS(v) { var a = Math.abs(v); if (a >= 100) return v.toFixed(0) + ' s'; if (a >= 1) return (+v.toFixed(2)) + ' s'; if (a === 0) return '0'; return (+(v * 1000).toPrecision(3)) + ' ms'; }
  function fmtB(v) { var a = Math.abs(v); if (a >= 1073741824) return (v / 1073741824).toFixed(1) + ' GiB'; if (a >= 1048576) return (v / 1048576).toFixed(1) + ' MiB'; if (a >= 10240) return (v / 1024).toFixed(0) + ' KiB'; return Math.round(v) + ' B'; }

  // axes: box {l,r,t,b}; xt/yt tick values; fx/fy tick formatters
  function axes(g, box, sx, sy, xt, yt, fx, fy, xlabel, ylabel) {
    g.strokeStyle = C.grid; g.lineWidth = 1; g.fillStyle = C.ink;
    g.textAlign = 'center';
    xt.forEach(function (v) { var x = Math.round(sx(v)) + 0.5; g.beginPath(); g.moveTo(x, box.t); g.lineTo(x, box.b); g.stroke(); g.fillText(fx(v), x, box.b + 12); });
    g.textAlign = 'right';
    yt.forEach(function (v) { var y = Math.round(sy(v)) + 0.5; g.beginPath(); g.moveTo(box.l, y); g.lineTo(box.r, y); g.stroke(); g.fillText(fy(v), box.l - 6, y); });
    g.strokeStyle = C.grey; g.strokeRect(box.l + 0.5, box.t + 0.5, box.r - box.l, box.b - box.t);
    g.textAlign = 'center'; if (xlabel) g.fillText(xlabel, (box.l + box.r) / 2, box.b + 28);
    if (ylabel) { g.save(); g.translate(14, (box.t + box.b) / 2); g.rotate(-Math.PI / 2); g.fillText(ylabel, 0, 0); g.restore(); }
  }
  function legend(g, x, y, items) {
    g.textAlign = 'left';
    items.forEach(function (it) { g.fillStyle = it[1]; g.fillRect(x, y - 5, 12, 10); g.fillStyle = C.ink; g.fillText(it[0], x + 16, y); x += 24 + g.measureText(it[0]).width; });
  }
  function dot(g, x, y, r) { g.beginPath(); g.arc(x, y, r, 0, 2 * Math.PI); g.fill(); }
  function ring(g, x, y, r) { g.beginPath(); g.arc(x, y, r, 0, 2 * Math.PI); g.stroke(); }
  function tri(g, x, y, s) { g.beginPath(); g.moveTo(x, y - s); g.lineTo(x + s, y + s); g.lineTo(x - s, y + s); g.closePath(); g.fill(); }
  function diamond(g, x, y, s) { g.beginPath(); g.moveTo(x, y - s); g.lineTo(x + s, y); g.lineTo(x, y + s); g.lineTo(x - s, y); g.closePath(); g.fill(); }

  function drawAll(plotFor) {
    var list = Array.prototype.slice.call(document.querySelectorAll('canvas[data-plot]')), i = 0;
    function next() {
      if (i >= list.length) { window.pcapdxDrawn = true; document.body.dataset.drawn = '1'; return; }
      var cv = list[i++];
      try { cv.dataset.drawn = String(plotFor(cv)); } catch (e) { cv.dataset.error = String(e && e.message || e); }
      setTimeout(next, 0);
    }
    next();
  }
`;

export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('pcapdx-data').textContent);
${PLOT_LIB_JS}

  // --------------------------------------------------------------- heartbeat timeline
  function drawHeartbeat(cv, hb) {
    var s = setup(cv, 190), g = s.g, box = { l: 110, r: s.w - 20, t: 34, b: 150 };
    var t1 = Math.max(hb.end, hb.teardown ? hb.teardown.t : 0), t0 = hb.start, pad = (t1 - t0) * 0.02 || 1;
    var sx = lin(t0 - pad, t1 + pad, box.l, box.r), yc = box.t + 28, ys = box.b - 28, n = 0;
    axes(g, box, sx, function () { return 0; }, niceTicks(t0 - pad, t1 + pad, 8), [], fmtS, null, 'time since the first frame', '');
    g.textAlign = 'right'; g.fillStyle = C.client; g.fillText('client', box.l - 8, yc); g.fillStyle = C.server; g.fillText('server', box.l - 8, ys);
    g.strokeStyle = C.grid; g.beginPath(); g.moveTo(box.l, yc); g.lineTo(box.r, yc); g.moveTo(box.l, ys); g.lineTo(box.r, ys); g.stroke();
    if (hb.silence) {
      var a = sx(hb.silence.from), b = sx(hb.silence.to);
      g.fillStyle = 'rgba(207,34,46,0.13)'; g.fillRect(a, box.t + 1, b - a, box.b - box.t - 1);
      g.fillStyle = C.bad; g.textAlign = 'center'; g.font = 'bold 12px system-ui, sans-serif';
      var sil = hb.silence.to - hb.silence.from;
      g.fillText('silence ' + (sil >= 1 ? sil.toFixed(1) + ' s' : fmtS(sil)) + ' (#' + hb.silence.fromFrame + ' → #' + hb.silence.toFrame + ')', (a + b) / 2, (yc + ys) / 2);
      g.font = '12px system-ui, sans-serif';
    }
    g.fillStyle = C.grey; hb.otherResponses.forEach(function (p) { g.fillRect(sx(p.t) - 3, ys - 3, 6, 6); n++; });
    g.strokeStyle = C.client; g.lineWidth = 1;
    hb.requests.forEach(function (p) { g.fillStyle = C.client; tri(g, sx(p.t), yc, 6); n++; });
    hb.responses.forEach(function (p) { g.fillStyle = C.server; dot(g, sx(p.t), ys, 5); n++; });
    hb.keepAlives.forEach(function (p) { g.fillStyle = C.probe; diamond(g, sx(p.t), p.from === 'client' ? yc : ys, 7); n++; });
    g.strokeStyle = C.bad; g.lineWidth = 2;
    hb.missing.forEach(function (t, i) { var x = sx(t); ring(g, x, yc, 7); if (hb.missing.length <= 12) { g.fillStyle = C.bad; g.textAlign = 'center'; g.fillText('missed', x, yc - 16); } n++; });
    if (hb.teardown) {
      var x = sx(hb.teardown.t); g.strokeStyle = C.bad; g.lineWidth = 3; g.beginPath(); g.moveTo(x, box.t); g.lineTo(x, box.b); g.stroke();
      g.fillStyle = C.bad; g.textAlign = x > box.r - 160 ? 'right' : 'left'; g.font = 'bold 12px system-ui, sans-serif';
      g.fillText(hb.teardown.kind.toUpperCase() + ' by ' + hb.teardown.by + ' #' + hb.teardown.frame, x + (g.textAlign === 'right' ? -6 : 6), box.t + 10);
      g.font = '12px system-ui, sans-serif'; n++;
    }
    g.lineWidth = 1;
    legend(g, box.l, 14, [[hb.kind + ' request', C.client], ['response', C.server], ['other response', C.grey], ['keep-alive', C.probe], ['beat due, none sent', C.bad]]);
    return n;
  }

  // --------------------------------------------------------------- connect latency
  function drawLatency(cv, L) {
    var s = setup(cv, 320), g = s.g, box = { l: 70, r: s.w - 20, t: 30, b: 280 };
    var tmax = 0, lo = Infinity, hi = 0;
    L.points.forEach(function (p) { tmax = Math.max(tmax, p[0]); lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); });
    lo = Math.max(Math.min(lo, L.thresholdMs) / 2, 1e-4); hi = Math.max(hi, L.thresholdMs) * 2;
    var sx = lin(0, tmax || 1, box.l, box.r), sy = logsc(lo, hi, box.b, box.t);
    axes(g, box, sx, sy, niceTicks(0, tmax || 1, 8), logTicks(lo, hi), fmtS, fmtMs, 'time of the first SYN', 'set-up latency');
    g.strokeStyle = C.bad; g.setLineDash([6, 4]); g.beginPath(); g.moveTo(box.l, sy(L.thresholdMs)); g.lineTo(box.r, sy(L.thresholdMs)); g.stroke(); g.setLineDash([]);
    g.fillStyle = C.bad; g.textAlign = 'right'; g.fillText('outlier above ' + fmtMs(L.thresholdMs) + ' (10 × median ' + fmtMs(L.p50) + ')', box.r - 4, sy(L.thresholdMs) - 9);
    g.fillStyle = 'rgba(31,111,235,0.55)';
    L.points.forEach(function (p) { if (!p[5]) dot(g, sx(p[0]), sy(p[1]), 2.5); });
    var labelled = 0;
    L.points.forEach(function (p) {
      if (!p[5]) return;
      var x = sx(p[0]), y = sy(p[1]);
      g.fillStyle = (p[5] & 1) ? C.bad : C.warn; dot(g, x, y, 5);
      if (p[5] & 2) { g.strokeStyle = C.ink; ring(g, x, y, 8); }
      if (labelled < 12) { g.fillStyle = C.ink; g.textAlign = 'left'; g.fillText(fmtMs(p[1]) + ' #' + p[3], x + 9, y); labelled++; }
    });
    legend(g, box.l, 14, [['connection', 'rgba(31,111,235,0.7)'], ['outlier', C.bad], ['finding evidence (ringed)', C.ink]]);
    return L.points.length;
  }
  function drawHistogram(cv, L) {
    var s = setup(cv, 260), g = s.g, box = { l: 70, r: s.w - 20, t: 40, b: 220 }, H = L.histogram;
    var lo = H.edgesMs[0], hi = H.edgesMs[H.edgesMs.length - 1], cmax = Math.max.apply(null, H.counts.concat([1]));
    var sx = logsc(lo, hi, box.l, box.r), sy = lin(0, cmax, box.b, box.t);
    axes(g, box, sx, sy, logTicks(lo, hi), niceTicks(0, cmax, 5).filter(function (v) { return v === Math.round(v); }), fmtMs, String, 'set-up latency (log scale)', 'connections');
    H.counts.forEach(function (c, i) {
      if (!c) return;
      var x0 = sx(H.edgesMs[i]) + 1, x1 = sx(H.edgesMs[i + 1]) - 1, y = Math.min(sy(c), box.b - 3), out = H.edgesMs[i] >= L.thresholdMs;
      g.fillStyle = out ? C.bad : C.client; g.fillRect(x0, y, Math.max(1, x1 - x0), box.b - y);
      if (out || c === cmax) { g.fillStyle = C.ink; g.textAlign = 'center'; g.fillText(String(c), (x0 + x1) / 2, y - 8); }
    });
    g.strokeStyle = C.bad; g.setLineDash([6, 4]); g.beginPath(); g.moveTo(sx(L.thresholdMs), box.t); g.lineTo(sx(L.thresholdMs), box.b); g.stroke(); g.setLineDash([]);
    legend(g, box.l, 14, [['connections per bin', C.client], ['outlier bins', C.bad]]);
    return H.counts.length;
  }

  // --------------------------------------------------------------- time-sequence (Stevens) and RTT
  var KIND = [['data', C.client], ['retransmission', C.bad], ['out of order', C.warn], ['zero-window probe', C.probe], ['keep-alive', C.grey]];
  function drawStevens(cv, T) {
    var s = setup(cv, 420), g = s.g, box = { l: 80, r: s.w - 20, t: 30, b: 380 };
    var t0 = Infinity, t1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    function ext(t, a, b) { t0 = Math.min(t0, t); t1 = Math.max(t1, t); y0 = Math.min(y0, a); y1 = Math.max(y1, b); }
    T.segments.forEach(function (p) { ext(p[0], p[1], p[1] + p[2]); });
    // ACKs far outside the data (a challenge ACK for another connection's sequence space) do
    // not stretch the axis: they are drawn clipped at the edge
    var sspan = Math.max(y1 - y0, 1), lo = y0 - sspan, hi = y1 + sspan;
    T.acks.forEach(function (p) { if (!T.segments.length || (p[1] >= lo && p[1] <= hi)) ext(p[0], p[1], p[1]); else { t0 = Math.min(t0, p[0]); t1 = Math.max(t1, p[0]); } });
    if (!(t1 >= t0)) { t0 = 0; t1 = 1; y0 = 0; y1 = 1; }
    if (y1 - y0 < 10) y1 = y0 + 10; // bytes are whole: no fractional ticks on a tiny range
    var wmax = y1; T.acks.forEach(function (p) { wmax = Math.max(wmax, Math.min(p[2], y1 + (y1 - y0) * 0.25)); });
    var pt = (t1 - t0) * 0.02 || 0.001, sx = lin(t0 - pt, t1 + pt, box.l, box.r), sy = lin(y0, wmax + (wmax - y0) * 0.03 || 1, box.b, box.t);
    axes(g, box, sx, sy, niceTicks(t0 - pt, t1 + pt, 8), niceTicks(y0, wmax, 6), fmtS, fmtB, 'time since the first frame', 'relative sequence number');
    g.save(); g.beginPath(); g.rect(box.l, box.t, box.r - box.l, box.b - box.t); g.clip();
    function step(idx, color) {
      if (!T.acks.length) return; g.strokeStyle = color; g.lineWidth = 1.5; g.beginPath();
      T.acks.forEach(function (p, i) { var x = sx(p[0]), y = sy(Math.min(p[idx], wmax * 1.1)); if (i === 0) g.moveTo(x, y); else { g.lineTo(x, sy(Math.min(T.acks[i - 1][idx], wmax * 1.1))); g.lineTo(x, y); } });
      g.stroke(); g.lineWidth = 1;
    }
    step(2, C.win); step(1, C.server);
    g.strokeStyle = C.probe; g.lineWidth = 3;
    T.sacks.forEach(function (p) { var x = sx(p[0]); g.beginPath(); g.moveTo(x, sy(p[1])); g.lineTo(x, Math.min(sy(p[2]), sy(p[1]) - 2)); g.stroke(); });
    g.lineWidth = 2;
    [0, 1, 2, 3, 4].forEach(function (k) {
      g.strokeStyle = KIND[k][1]; g.fillStyle = KIND[k][1];
      T.segments.forEach(function (p) {
        if (p[4] !== k) return; var x = sx(p[0]), a = sy(p[1]), b = Math.min(sy(p[1] + p[2]), a - 2);
        g.beginPath(); g.moveTo(x, a); g.lineTo(x, b); g.stroke();
        if (k) { dot(g, x, b, 3.5); }
      });
    });
    g.strokeStyle = C.bad; g.lineWidth = 2.5;
    T.zeroWindows.forEach(function (p) { var x = sx(p[0]), y = sy(p[1]); g.beginPath(); g.moveTo(x - 6, y - 6); g.lineTo(x + 6, y + 6); g.moveTo(x + 6, y - 6); g.lineTo(x - 6, y + 6); g.stroke(); });
    g.restore(); g.lineWidth = 1;
    legend(g, box.l, 14, [['data (' + T.sender + ' sends)', C.client], ['retransmission', C.bad], ['out of order', C.warn], ['ACK', C.server], ['window edge', C.win], ['SACK', C.probe], ['zero window ×', C.bad]]);
    return T.segments.length + T.acks.length + T.sacks.length + T.zeroWindows.length;
  }
  function drawRtt(cv, T) {
    var s = setup(cv, 220), g = s.g, box = { l: 80, r: s.w - 20, t: 24, b: 180 };
    var t0 = Infinity, t1 = -Infinity, m = 0;
    T.rtt.forEach(function (p) { t0 = Math.min(t0, p[0]); t1 = Math.max(t1, p[0]); m = Math.max(m, p[1]); });
    T.segments.forEach(function (p) { t0 = Math.min(t0, p[0]); t1 = Math.max(t1, p[0]); });
    if (!(t1 >= t0)) { t0 = 0; t1 = 1; }
    var pt = (t1 - t0) * 0.02 || 0.001, sx = lin(t0 - pt, t1 + pt, box.l, box.r), sy = lin(0, (m || 1) * 1.08, box.b, box.t);
    axes(g, box, sx, sy, niceTicks(t0 - pt, t1 + pt, 8), niceTicks(0, (m || 1) * 1.08, 5), fmtS, fmtMs, 'time since the first frame', 'RTT (ack_rtt)');
    g.fillStyle = C.server; T.rtt.forEach(function (p) { dot(g, sx(p[0]), sy(p[1]), 2.5); });
    if (!T.rtt.length) { g.fillStyle = C.grey; g.textAlign = 'center'; g.fillText('no RTT samples on this connection', (box.l + box.r) / 2, (box.t + box.b) / 2); }
    return T.rtt.length;
  }

  // --------------------------------------------------------------- service response times
  function drawSrt(cv, S) {
    var rows = S.commands, h = 70 + rows.length * 30, s = setup(cv, h), g = s.g, box = { l: 190, r: s.w - 20, t: 30, b: h - 40 };
    var lo = Infinity, hi = 0;
    rows.forEach(function (c) { lo = Math.min(lo, c.min); hi = Math.max(hi, c.max); });
    lo = Math.max(lo / 2, 1e-4); hi = hi * 2;
    var sx = logsc(lo, hi, box.l, box.r), rh = (box.b - box.t) / rows.length, n = 0;
    axes(g, box, sx, function () { return 0; }, logTicks(lo, hi), [], fmtMs, null, 'response time (log scale)', '');
    rows.forEach(function (c, i) {
      var yc = box.t + rh * (i + 0.5);
      g.fillStyle = C.ink; g.textAlign = 'right'; g.fillText(c.service + ' ' + c.command + ' (' + c.count + ')', box.l - 8, yc);
      g.fillStyle = 'rgba(31,111,235,0.45)';
      c.points.forEach(function (p, j) { var jit = ((j * 7919) % 17 - 8) / 8 * rh * 0.3; dot(g, sx(p[1]), yc + jit, 2); n++; });
      g.fillStyle = C.ink; g.fillRect(sx(c.p50) - 1, yc - rh * 0.4, 3, rh * 0.8);
      g.fillStyle = C.bad; g.fillRect(sx(c.p99) - 1, yc - rh * 0.4, 3, rh * 0.8);
    });
    legend(g, box.l, 14, [['response', 'rgba(31,111,235,0.6)'], ['median', C.ink], ['p99', C.bad]]);
    return n;
  }

  // --------------------------------------------------------------- dispatch
  function plotFor(cv) {
    var cap = data.plots.captures[+cv.dataset.cap], i = +cv.dataset.i;
    switch (cv.dataset.plot) {
      case 'heartbeat': return drawHeartbeat(cv, cap.heartbeats[i]);
      case 'latency': return drawLatency(cv, cap.connectLatency);
      case 'histogram': return drawHistogram(cv, cap.connectLatency);
      case 'stevens': return drawStevens(cv, cap.timeSequences[i]);
      case 'rtt': return drawRtt(cv, cap.timeSequences[i]);
      case 'srt': return drawSrt(cv, cap.serviceTimes);
    }
    return 0;
  }

  // --------------------------------------------------------------- connection table
  function setupTable() {
    var table = document.getElementById('conns'); if (!table) return;
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var q = document.getElementById('conn-filter'), onlyF = document.getElementById('only-findings'), onlyBad = document.getElementById('only-bad'), count = document.getElementById('conn-count');
    var texts = null; // each row's text, lower case, read once on first use (reading 5,000 rows costs a layout)
    function apply() {
      var text = (q.value || '').toLowerCase(), shown = 0;
      if (text && !texts) { texts = new Map(); rows.forEach(function (r) { texts.set(r, r.textContent.toLowerCase()); }); }
      rows.forEach(function (r) {
        var ok = (!text || texts.get(r).indexOf(text) >= 0) && (!onlyF.checked || r.dataset.f === '1') && (!onlyBad.checked || r.dataset.bad === '1');
        if (r.hidden === ok) r.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = 'showing ' + shown + ' of ' + rows.length;
      table.dataset.shown = String(shown);
    }
    [q, onlyF, onlyBad].forEach(function (el) { el.addEventListener('input', apply); el.addEventListener('change', apply); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.addEventListener('click', function () {
        var dir = th.dataset.sort === 'asc' ? -1 : 1;
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { delete o.dataset.sort; });
        th.dataset.sort = dir === 1 ? 'asc' : 'desc';
        function key(r) { var c = r.cells[col]; return c.dataset.v !== undefined ? +c.dataset.v : c.textContent; }
        rows.sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * dir; });
        var frag = document.createDocumentFragment(); rows.forEach(function (r) { frag.appendChild(r); }); body.appendChild(frag);
      });
    });
    apply();
  }

  setupTable();
  requestAnimationFrame(function () { setTimeout(function () { drawAll(plotFor); }, 0); });
})();
`;
