#ifndef STEPWISE_ANALYSIS_HTML_REPORT_ASSETS_H_
#define STEPWISE_ANALYSIS_HTML_REPORT_ASSETS_H_

// The style sheet and the script every report embeds. The script draws the
// timeline from the JSON in <script id="run-data">, gives the (static)
// violation diagrams their tooltips, counts on each diagram the bars that
// got a size (data-drawn), and sets document.body.dataset.status to "ok"
// when all that finished, or to the error.

namespace stepwise::analysis {

inline constexpr char kReportCss[] = R"CSS(
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; }
td, th { padding: 1px 10px 1px 0; text-align: left; vertical-align: top; }
th { font-weight: 600; color: #555; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.summary { display: flex; gap: 36px; flex-wrap: wrap; }
.bad { color: #b00020; font-weight: 600; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 11px; height: 11px; margin-right: 4px;
  vertical-align: -1px; border: 1px solid #0003; }
#timeline { width: 100%; border: 1px solid #ccc; cursor: grab; user-select: none;
  display: block; background: #fff; }
#timeline.dragging { cursor: grabbing; }
#tip { position: fixed; pointer-events: none; background: #222d; color: #fff;
  padding: 3px 6px; border-radius: 3px; font-size: 12px; white-space: pre;
  display: none; z-index: 10; }
.hint { color: #777; font-size: 12px; }
svg text { font: 11px system-ui, sans-serif; }
.charts { display: flex; gap: 28px; flex-wrap: wrap; align-items: flex-start; }
h3 { font-size: 13px; margin: 14px 0 4px; }
.verdict { padding: 6px 10px; border-radius: 4px; margin: 8px 0;
  font-weight: 600; }
.verdict a { color: inherit; text-decoration: none; }
.verdict.ok { background: #e8f5e9; color: #1b5e20; }
.verdict.bad { background: #ffebee; color: #b71c1c; }
.verdict.unknown { background: #fff8e1; color: #7a5d00; }
svg.violation { border: 1px solid #ccc; background: #fff; display: block;
  max-width: 100%; height: auto; }
svg.violation .op:hover { stroke: #000; stroke-width: 2; }
)CSS";

inline constexpr char kReportJs[] = R"JS(
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var ROLE_COLORS = {follower: '#9db4d3', precandidate: '#f3dd8a',
    candidate: '#f0a04b', leader: '#3a9d5d', down: '#eeeeee', dead: '#555555'};
  var OUTCOME_COLORS = ['#2e7d32', '#1e88e5', '#d81b60', '#111111'];
  var OUTCOMES = ['ok', 'redirect', 'fail', 'unanswered'];
  var SIDE_COLORS = ['#dbe9ff', '#ffe3c9', '#e6dcff', '#d9f5e0'];
  var LABEL_W = 64, TOP = 34, LANE_H = 40, ROLE_H = 16, RIGHT = 12;

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmtTime(us) {
    if (Math.abs(us) >= 1e6) return (us / 1e6).toFixed(3) + ' s';
    if (Math.abs(us) >= 1e3) return (us / 1e3).toFixed(3) + ' ms';
    return us + ' \u00b5s';
  }
  function fmtAxis(us, step) {
    if (step >= 1e6) return (us / 1e6).toFixed(0) + ' s';
    if (step >= 1e5) return (us / 1e6).toFixed(1) + ' s';
    if (step >= 1e4) return (us / 1e6).toFixed(2) + ' s';
    if (step >= 1e3) return (us / 1e3).toFixed(0) + ' ms';
    return (us / 1e3).toFixed(3) + ' ms';
  }

  function init() {
    var data = JSON.parse(document.getElementById('run-data').textContent);
    var svg = document.getElementById('timeline');
    var tip = document.getElementById('tip');
    var n = data.lanes.length;
    var height = TOP + n * LANE_H + 24;
    svg.setAttribute('height', height);
    var end = Math.max(1, data.end);
    var view = [0, end];

    function width() { return svg.getBoundingClientRect().width || 1200; }
    function plotW() { return Math.max(50, width() - LABEL_W - RIGHT); }
    function x(t) { return LABEL_W + (t - view[0]) / (view[1] - view[0]) * plotW(); }
    function visible(a, b) { return b >= view[0] && a <= view[1]; }
    function clampX(v) { return Math.max(LABEL_W, Math.min(LABEL_W + plotW(), v)); }
    function laneY(i) { return TOP + i * LANE_H; }

    function render() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      var W = width();
      svg.setAttribute('viewBox', '0 0 ' + W + ' ' + height);
      var defs = el('defs', {}, svg);
      var clip = el('clipPath', {id: 'plot-clip'}, defs);
      el('rect', {x: LABEL_W, y: 0, width: plotW(), height: height}, clip);

      // Time axis.
      var span = view[1] - view[0];
      var raw = span / 10, mag = Math.pow(10, Math.floor(Math.log10(raw)));
      var step = [1, 2, 5, 10].map(function (m) { return m * mag; })
          .filter(function (s) { return s >= raw; })[0];
      var axis = el('g', {'class': 'axis'}, svg);
      for (var t = Math.ceil(view[0] / step) * step; t <= view[1]; t += step) {
        var tx = x(t);
        el('line', {x1: tx, x2: tx, y1: TOP - 4, y2: height - 20,
                    stroke: '#e3e3e3'}, axis);
        el('text', {x: tx, y: height - 6, 'text-anchor': 'middle',
                    fill: '#555'}, axis).textContent = fmtAxis(t, step);
      }

      var plot = el('g', {'clip-path': 'url(#plot-clip)'}, svg);
      // Partitions: each lane shaded by the side its replica is on.
      data.partitions.forEach(function (p) {
        if (!visible(p[0], p[1])) return;
        var x0 = clampX(x(p[0])), x1 = clampX(x(p[1]));
        p[3].forEach(function (side, s) {
          side.forEach(function (r) {
            if (r >= n) return;
            el('rect', {x: x0, y: laneY(r), width: Math.max(1, x1 - x0),
                        height: LANE_H, fill: SIDE_COLORS[s % 4],
                        'data-tip': p[2] + ' ' + fmtTime(p[0]) + ' \u2013 ' +
                            fmtTime(p[1]) + '\nside ' + s + ': ' +
                            side.map(function (i) { return data.lanes[i] ? data.lanes[i].id : i; }).join(' ')},
               plot);
          });
        });
        el('text', {x: x0 + 3, y: TOP - 20, fill: '#555'}, plot).textContent =
            p[2];
      });
      // Random drops, as a band above the lanes (darker: higher rate).
      data.drops.forEach(function (d) {
        if (!visible(d[0], d[1])) return;
        var x0 = clampX(x(d[0])), x1 = clampX(x(d[1]));
        var rate = d[3] > 0 ? d[2] / d[3] : 0;
        el('rect', {x: x0, y: TOP - 12, width: Math.max(1, x1 - x0), height: 7,
                    fill: '#b00020', 'fill-opacity': Math.min(1, 0.15 + 3 * rate),
                    'data-tip': 'drops ' + fmtTime(d[0]) + ' \u2013 ' + fmtTime(d[1]) +
                        '\n' + d[2] + ' of ' + d[3] + ' copies dropped'}, plot);
      });
      // Faults: a dashed line across every lane.
      data.faults.forEach(function (f) {
        if (!visible(f[0], f[0])) return;
        var fx = x(f[0]);
        el('line', {x1: fx, x2: fx, y1: TOP - 14, y2: TOP + n * LANE_H,
                    stroke: '#7b1fa2', 'stroke-dasharray': '3,3'}, plot);
        el('rect', {x: fx - 4, y: TOP - 30, width: 8, height: 14,
                    fill: '#7b1fa2', 'data-tip': f[1] + ' at ' + fmtTime(f[0]) +
                        (f[2] ? '\n' + f[2] : '')}, plot);
      });

      data.lanes.forEach(function (lane, i) {
        var g = el('g', {'class': 'lane', 'data-replica': lane.id,
                         'data-intervals': lane.roles.length}, plot);
        var y = laneY(i) + 4;
        lane.roles.forEach(function (r) {
          if (!visible(r[0], r[1])) return;
          var x0 = clampX(x(r[0])), x1 = clampX(x(r[1]));
          var role = data.roleNames[r[2]];
          el('rect', {x: x0, y: y, width: Math.max(0.5, x1 - x0),
                      height: ROLE_H, fill: ROLE_COLORS[role] || '#ccc',
                      'data-tip': lane.id + ': ' + role + ', term ' + r[3] + '\n' +
                          fmtTime(r[0]) + ' \u2013 ' + fmtTime(r[1])}, g);
          if (x1 - x0 > 26 && role !== 'down') {
            el('text', {x: x0 + 3, y: y + 12, fill: role === 'dead' ||
                        role === 'leader' ? '#fff' : '#222',
                        'pointer-events': 'none'}, g).textContent =
                role === 'dead' ? 'dead' : 'T' + r[3];
          }
        });
      });
      // Elections: a triangle above the lane of the new leader.
      data.elections.forEach(function (e) {
        if (!visible(e[0], e[0]) || e[1] >= n) return;
        var ex = x(e[0]), y = laneY(e[1]) + 4;
        el('path', {d: 'M' + (ex - 5) + ',' + (y - 4) + 'h10l-5,7z',
                    fill: '#1b5e20', stroke: '#fff', 'stroke-width': 0.5,
                    'data-tip': data.lanes[e[1]].id + ' leader of term ' + e[2] +
                        ' at ' + fmtTime(e[0])}, plot);
      });
      // Kills: a red cross on the lane.
      data.kills.forEach(function (k) {
        if (!visible(k[0], k[0]) || k[1] >= n) return;
        var kx = x(k[0]), ky = laneY(k[1]) + 4 + ROLE_H / 2;
        el('path', {d: 'M' + (kx - 6) + ',' + (ky - 6) + 'l12,12m0,-12l-12,12',
                    stroke: '#d50000', 'stroke-width': 3}, plot);
        el('circle', {cx: kx, cy: ky, r: 8, fill: 'transparent',
                      'data-tip': data.lanes[k[1]].id + ' ' + k[2] + ' at ' +
                          fmtTime(k[0])}, plot);
      });
      // Client requests, on the lane of the replica they were sent to:
      // gets in the upper row, puts in the lower.
      var marks = el('g', {'class': 'marks', 'data-mode': data.marks.mode}, plot);
      if (data.marks.mode === 'each') {
        data.marks.list.forEach(function (m) {
          if (!visible(m[0], m[0]) || m[1] >= n) return;
          var my = laneY(m[1]) + 4 + ROLE_H + 4 + (m[3] ? 0 : 8);
          var mx = x(m[0]);
          el('rect', {x: mx - 1.5, y: my, width: 3, height: 7,
                      fill: OUTCOME_COLORS[m[2]], 'class': 'mark',
                      'data-tip': (m[3] ? 'get ' : 'put ') + m[5] + ' \u2192 ' +
                          data.lanes[m[1]].id + (m[6] ? ' (retry)' : '') + '\nsent ' +
                          fmtTime(m[0]) + '\n' + OUTCOMES[m[2]] +
                          (m[4] >= 0 ? ' after ' + fmtTime(m[4]) : '')}, marks);
        });
      } else {
        var bw = data.marks.width;
        data.marks.list.forEach(function (b) {
          if (!visible(b[0], b[0] + bw) || b[1] >= n) return;
          var worst = b[5] > 0 ? 3 : b[4] > 0 ? 2 : b[3] > 0 ? 1 : 0;
          var x0 = x(b[0]), x1 = x(b[0] + bw);
          el('rect', {x: x0, y: laneY(b[1]) + 4 + ROLE_H + 4,
                      width: Math.max(1, x1 - x0), height: 15,
                      fill: OUTCOME_COLORS[worst], 'class': 'mark',
                      'data-tip': data.lanes[b[1]].id + ' ' + fmtTime(b[0]) +
                          ' \u2013 ' + fmtTime(b[0] + bw) + '\nok ' + b[2] +
                          ', redirect ' + b[3] + ', fail ' + b[4] +
                          ', unanswered ' + b[5] + '\nmax latency ' +
                          fmtTime(b[6])}, marks);
        });
      }
      // Lane labels last, over everything else.
      data.lanes.forEach(function (lane, i) {
        el('text', {x: 6, y: laneY(i) + 16, 'font-weight': 600},
           svg).textContent = lane.id;
        el('line', {x1: 0, x2: W, y1: laneY(i) + LANE_H, y2: laneY(i) + LANE_H,
                    stroke: '#eee'}, svg);
      });
      el('text', {x: 6, y: TOP - 6, fill: '#555'}, svg).textContent = 'hub';
      el('text', {x: W - RIGHT, y: 12, 'text-anchor': 'end', fill: '#777'},
         svg).textContent = fmtTime(view[0]) + ' \u2013 ' + fmtTime(view[1]);
    }

    svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var rect = svg.getBoundingClientRect();
      var frac = Math.max(0, Math.min(1, (ev.clientX - rect.left - LABEL_W) / plotW()));
      var span = view[1] - view[0];
      var at = view[0] + frac * span;
      var next = Math.max(50, Math.min(end, span * Math.exp(ev.deltaY * 0.002)));
      var v0 = Math.max(0, Math.min(end - next, at - frac * next));
      view = [v0, v0 + next];
      render();
    }, {passive: false});
    var drag = null;
    svg.addEventListener('mousedown', function (ev) {
      drag = {x: ev.clientX, v0: view[0]};
      svg.classList.add('dragging');
    });
    window.addEventListener('mouseup', function () {
      drag = null;
      svg.classList.remove('dragging');
    });
    window.addEventListener('mousemove', function (ev) {
      if (drag) {
        var span = view[1] - view[0];
        var v0 = drag.v0 - (ev.clientX - drag.x) / plotW() * span;
        v0 = Math.max(0, Math.min(end - span, v0));
        view = [v0, v0 + span];
        render();
        tip.style.display = 'none';
        return;
      }
      var t = ev.target && ev.target.getAttribute && ev.target.getAttribute('data-tip');
      if (t) {
        tip.textContent = t;
        tip.style.display = 'block';
        tip.style.left = (ev.clientX + 12) + 'px';
        tip.style.top = (ev.clientY + 12) + 'px';
      } else {
        tip.style.display = 'none';
      }
    });
    svg.addEventListener('dblclick', function () { view = [0, end]; render(); });
    window.addEventListener('resize', render);
    render();
  }

  // The violation diagrams are drawn on the server; here they get the
  // same tooltip as the timeline, without depending on it.
  function diagrams() {
    var tip = document.getElementById('tip');
    var list = document.querySelectorAll('svg.violation');
    for (var i = 0; i < list.length; i++) {
      var d = list[i];
      var ops = d.querySelectorAll('.op'), drawn = 0;
      for (var j = 0; j < ops.length; j++) {
        if (ops[j].getBBox().width > 0) drawn++;
      }
      d.setAttribute('data-drawn', drawn);
      d.addEventListener('mousemove', function (ev) {
        var t = ev.target.getAttribute && ev.target.getAttribute('data-tip');
        if (!t) { tip.style.display = 'none'; return; }
        tip.textContent = t;
        tip.style.display = 'block';
        tip.style.left = (ev.clientX + 12) + 'px';
        tip.style.top = (ev.clientY + 12) + 'px';
      });
      d.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
    }
  }

  var errors = [];
  [['The timeline', init], ['The violation diagrams', diagrams]].forEach(function (part) {
    try {
      part[1]();
    } catch (e) {
      errors.push(part[0] + ' could not be drawn: ' + (e && e.message ? e.message : e));
    }
  });
  document.body.dataset.status = errors.length ? 'error: ' + errors.join('; ') : 'ok';
  if (errors.length) {
    var p = document.createElement('p');
    p.className = 'bad';
    p.textContent = errors.join('; ');
    document.body.insertBefore(p, document.body.firstChild);
  }
})();
)JS";

}  // namespace stepwise::analysis

#endif  // STEPWISE_ANALYSIS_HTML_REPORT_ASSETS_H_
