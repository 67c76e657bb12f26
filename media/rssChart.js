// RSS-over-time chart for the flame panel: the extension posts {type:'memory', chart} with data
// from src/ui/flame/rssChart.ts (already downsampled to ≤ 1000 points, labels formatted) or chart: null.
// Drawn as inline SVG in a small box over the bottom-right corner of speedscope (which sizes itself
// to the whole window), collapsible to a button. No libraries; runs under the panel's nonce CSP.
(function () {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const W = 1000;
  const H = 100;
  const box = document.getElementById('pyprof-memory');
  if (!box) return;
  let collapsed = false;

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
  }

  function fmtTime(ms) {
    return ms < 1000 ? Math.round(ms) + ' ms' : (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  }

  function render(chart) {
    box.textContent = '';
    if (!chart || !Array.isArray(chart.points) || chart.points.length === 0) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.classList.toggle('collapsed', collapsed);
    const head = document.createElement('div');
    head.className = 'pyprof-memory-head';
    const label = document.createElement('span');
    label.className = 'pyprof-memory-max';
    label.textContent = chart.maxLabel;
    const toggle = document.createElement('button');
    toggle.className = 'pyprof-memory-toggle';
    toggle.textContent = collapsed ? chart.title : '\u00d7';
    toggle.title = collapsed ? 'Show the ' + chart.title + ' chart' : 'Hide the chart';
    toggle.addEventListener('click', () => {
      collapsed = !collapsed;
      render(chart);
    });
    head.appendChild(label);
    head.appendChild(toggle);
    box.appendChild(head);
    if (collapsed) return;

    const t0 = chart.points[0][0];
    const span = Math.max(1, chart.points[chart.points.length - 1][0] - t0);
    const lo = 0; // bytes axis from zero: growth reads true to scale
    const hi = Math.max(1, chart.maxBytes);
    const x = (t) => ((t - t0) / span) * W;
    const y = (b) => H - ((b - lo) / (hi - lo)) * (H - 6);
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', class: 'pyprof-memory-svg', role: 'img' });
    el('title', {}, svg).textContent = chart.title + ' over time, ' + chart.maxLabel;
    const pts = chart.points.map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1));
    el('polygon', { points: `0,${H} ${pts.join(' ')} ${W},${H}`, class: 'pyprof-memory-area' }, svg);
    el('polyline', { points: pts.join(' '), class: 'pyprof-memory-line', 'vector-effect': 'non-scaling-stroke' }, svg);
    el('line', { x1: x(chart.maxT), x2: x(chart.maxT), y1: 0, y2: H, class: 'pyprof-memory-peak', 'vector-effect': 'non-scaling-stroke' }, svg);
    box.appendChild(svg);
    const axis = document.createElement('div');
    axis.className = 'pyprof-memory-axis';
    const a = document.createElement('span');
    a.textContent = '0';
    const b = document.createElement('span');
    b.textContent = fmtTime(chart.durationMs);
    axis.appendChild(a);
    axis.appendChild(b);
    box.appendChild(axis);
  }

  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (msg && msg.type === 'memory') render(msg.chart);
  });
})();
