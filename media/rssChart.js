// RSS-over-time chart for the flame panel: the extension posts {type:'memory', chart} with data
// from src/ui/flame/rssChart.ts (already downsampled to ≤ 1000 points, labels formatted) or chart: null.
// Drawn in a strip of its own under speedscope (whose height the build patch makes 100vh minus
// --pyprof-strip), with a y axis in bytes from 0 and an x axis in time; collapsible to its header.
// No libraries; runs under the panel's nonce CSP.
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

  /** speedscope's root is patched to 100vh minus --pyprof-strip: the chart gets its own strip. */
  function reserve(px) {
    document.documentElement.style.setProperty('--pyprof-strip', px + 'px');
    window.dispatchEvent(new Event('resize')); // speedscope sizes its canvas on resize
  }

  function render(chart) {
    box.textContent = '';
    if (!chart || !Array.isArray(chart.points) || chart.points.length === 0) {
      box.hidden = true;
      reserve(0);
      return;
    }
    box.hidden = false;
    box.classList.toggle('collapsed', collapsed);
    reserve(collapsed ? 22 : 120);
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
    const yTicks = Array.isArray(chart.yTicks) && chart.yTicks.length > 1 ? chart.yTicks : [{ bytes: 0, label: '0' }, { bytes: chart.maxBytes, label: '' }];
    const top = Math.max(1, yTicks[yTicks.length - 1].bytes); // bytes axis from zero: growth reads true to scale
    const x = (t) => ((t - t0) / span) * W;
    const y = (b) => H - (b / top) * H;
    const plot = document.createElement('div');
    plot.className = 'pyprof-memory-plot';
    // y axis labels, top to bottom, each at its tick's height
    const yAxis = document.createElement('div');
    yAxis.className = 'pyprof-memory-yaxis';
    for (const tk of yTicks) {
      const l = document.createElement('span');
      l.textContent = tk.label;
      l.style.top = (100 - (tk.bytes / top) * 100).toFixed(2) + '%';
      yAxis.appendChild(l);
    }
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', class: 'pyprof-memory-svg', role: 'img' });
    el('title', {}, svg).textContent = chart.title + ' over time, ' + chart.maxLabel;
    for (const tk of yTicks) el('line', { x1: 0, x2: W, y1: y(tk.bytes), y2: y(tk.bytes), class: 'pyprof-memory-grid', 'vector-effect': 'non-scaling-stroke' }, svg);
    const pts = chart.points.map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1));
    el('polygon', { points: `0,${H} ${pts.join(' ')} ${W},${H}`, class: 'pyprof-memory-area' }, svg);
    el('polyline', { points: pts.join(' '), class: 'pyprof-memory-line', 'vector-effect': 'non-scaling-stroke' }, svg);
    el('line', { x1: x(chart.maxT), x2: x(chart.maxT), y1: 0, y2: H, class: 'pyprof-memory-peak', 'vector-effect': 'non-scaling-stroke' }, svg);
    // x axis labels under the plot, each at its tick
    const xAxis = document.createElement('div');
    xAxis.className = 'pyprof-memory-axis';
    const xTicks = Array.isArray(chart.xTicks) && chart.xTicks.length > 0 ? chart.xTicks : [{ ms: 0, label: '0' }, { ms: chart.durationMs, label: fmtTime(chart.durationMs) }];
    for (const tk of xTicks) {
      const l = document.createElement('span');
      l.textContent = tk.label;
      l.style.left = ((tk.ms / Math.max(1, chart.durationMs)) * 100).toFixed(2) + '%';
      xAxis.appendChild(l);
    }
    plot.appendChild(yAxis);
    plot.appendChild(svg);
    plot.appendChild(xAxis);
    box.appendChild(plot);
  }

  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (msg && msg.type === 'memory') render(msg.chart);
  });
})();
