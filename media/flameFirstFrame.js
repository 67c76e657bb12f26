// The flame graph's first frame (issue 12: no blank panel, a first paint under 500 ms). speedscope
// needs its 490 KB bundle parsed and WebGL started (software GL without a GPU) before it draws
// anything; meanwhile this script paints, with a 2D canvas, the very frame speedscope's flame chart
// view will show for the same profile: its toolbar strip, minimap and main chart, the same boxes
// (same layout code: speedscope 1.25's left-heavy / time-ordered flamechart, ported below), the
// same colours (its bucket order and its GLSL colour function as patched by
// scripts/build-speedscope.mjs), the same labels and time axis, from the theme that
// media/flameTheme.js hands speedscope. media/flame.js hides it in the animation frame in which
// speedscope's main chart first draws the profile, so the swap shows no jump.
//
// Reads window.__pyprofProfile ({name, base64}: the speedscope JSON the page was rendered with,
// src/ui/flame/flameHtml.ts) or a later load(). Exposes window.__pyprofFirstFrame for the bridge and
// the tests: {load(base64), hide(), show(), shown, boxes, paintedAt}.
(function () {
  'use strict';
  const view = /[#&]view=([\w-]+)/.exec(location.hash)?.[1] || 'left-heavy';
  const dark = document.body && document.body.getAttribute('data-color-scheme') === 'DARK';

  // speedscope's sizes (src/views/style.ts): toolbar, minimap (+ its 2 px bottom border), frame row
  const TOOLBAR = 20;
  const MINIMAP = 100;
  const SEPARATOR = 2;
  const FRAME = 20;
  const LABEL_FONT = 10;
  // the colour function's constants as the GLSL source has them: `${C_0.toFixed(1)}`…
  const LCH = dark ? { C0: Number((0.2).toFixed(1)), Cd: Number((0.1).toFixed(1)), L0: Number((0.2).toFixed(1)), Ld: Number((0.1).toFixed(1)) } : { C0: Number((0.25).toFixed(1)), Cd: Number((0.2).toFixed(1)), L0: Number((0.8).toFixed(1)), Ld: Number((0.15).toFixed(1)) };
  // speedscope's own theme colours, passed through the same window.__pyprofTheme as its bundle does
  const base = dark
    ? { fgPrimaryColor: '#D0D0D0', fgSecondaryColor: '#666666', bgPrimaryColor: '#060606', altBgPrimaryColor: '#000000' }
    : { fgPrimaryColor: '#000000', fgSecondaryColor: '#BDBDBD', bgPrimaryColor: '#FFFFFF', altBgPrimaryColor: '#000000' };
  const theme = typeof window.__pyprofTheme === 'function' ? window.__pyprofTheme(base) : base;
  const font = window.__pyprofFont || '"Source Code Pro", Courier, monospace';

  /** speedscope's Profile for the file's shown profile (importSampledProfile + StackListProfileBuilder). */
  function importProfile(file) {
    const p = file && file.profiles && file.profiles[file.activeProfileIndex || 0];
    if (!p || p.type !== 'sampled' || !file.shared || !Array.isArray(file.shared.frames)) return null;
    const infos = file.shared.frames;
    const frames = new Map(); // index → frame, in the order speedscope's KeyedSet inserts them
    const node = (frame, parent) => ({ frame, parent, children: [], total: 0, frozen: false });
    const grouped = node(null, null);
    const chrono = node(null, null);
    const samples = [];
    const weights = [];
    for (let i = 0; i < p.samples.length; i++) {
      const w = p.weights[i];
      if (w === 0) continue;
      const stack = p.samples[i].map((ix) => {
        let f = frames.get(ix);
        if (!f) frames.set(ix, (f = { key: ix, name: infos[ix].name, file: infos[ix].file }));
        return f;
      });
      let n = chrono; // append order: a run of equal stacks is one call
      for (const f of stack) {
        const last = n.children[n.children.length - 1];
        if (last && !last.frozen && last.frame === f) n = last;
        else n.children.push((n = node(f, n)));
        n.total += w;
      }
      for (const c of n.children) c.frozen = true;
      if (n === samples[samples.length - 1]) weights[weights.length - 1] += w;
      else samples.push(n), weights.push(w);
      n = grouped;
      for (const f of stack) {
        const found = n.children.find((c) => c.frame === f);
        if (found) n = found;
        else n.children.push((n = node(f, n)));
        n.total += w;
      }
    }
    (function sort(n) {
      n.children.sort((a, b) => -(a.total - b.total));
      n.children.forEach(sort);
    })(grouped);
    const sum = weights.reduce((a, b) => a + b, 0);
    return { frames: [...frames.values()], grouped, chrono, samples, weights, unit: p.unit, totalWeight: Math.max(p.endValue - p.startValue, sum) };
  }

  /** Flamechart boxes {start, end, depth, frame} as speedscope's Flamechart lays them out. */
  function flamechart(prof, leftHeavy) {
    const boxes = [];
    const stack = [];
    const open = (n, at) => stack.push({ n, start: at });
    const close = (n, at) => {
      const s = stack.pop();
      if (at - s.start === 0) return;
      boxes.push({ start: s.start, end: at, depth: stack.length, frame: n.frame });
    };
    if (leftHeavy) {
      (function visit(n, start) {
        if (n.frame) open(n, start);
        let t = 0;
        for (const c of n.children) visit(c, start + t), (t += c.total);
        if (n.frame) close(n, start + n.total);
      })(prof.grouped, 0);
      return { boxes, total: prof.grouped.children.reduce((a, c) => a + c.total, 0) };
    }
    let prev = [];
    let value = 0;
    prof.samples.forEach((top, i) => {
      let lca = top;
      while (lca && lca.frame && prev.indexOf(lca) === -1) lca = lca.parent;
      while (prev.length > 0 && prev[prev.length - 1] !== lca) close(prev.pop(), value);
      const toOpen = [];
      for (let n = top; n && n.frame && n !== lca; n = n.parent) toOpen.push(n);
      toOpen.reverse();
      for (const n of toOpen) open(n, value);
      prev = prev.concat(toOpen);
      value += prof.weights[i];
    });
    for (let i = prev.length - 1; i >= 0; i--) close(prev[i], value);
    return { boxes, total: prof.totalWeight };
  }

  /** speedscope's getFrameToColorBucket: frames sorted by file + name, spread over 0…255. */
  function colorBuckets(frames) {
    const key = (f) => (f.file || '') + f.name;
    const sorted = frames.slice().sort((a, b) => (key(a) > key(b) ? 1 : -1));
    const out = new Map();
    sorted.forEach((f, i) => out.set(f, Math.floor((255 * i) / sorted.length)));
    return out;
  }

  /** The box colour speedscope's colour pass draws: bucket → 8-bit texel → colorForBucket (GLSL) → rgb. */
  function bucketColor(bucket) {
    const t = Math.round(((1 + bucket) / 256) * 255) / 255;
    const fract = (v) => v - Math.floor(v);
    const x = 2 * Math.abs(fract(30 * t) - 0.5) - 1;
    const H = 15 + 55 * t;
    const C = LCH.C0 + LCH.Cd * x;
    const L = LCH.L0 - LCH.Ld * x;
    const h = H / 60;
    const X = C * (1 - Math.abs((h % 2) - 1));
    const rgb = h < 1 ? [C, X, 0] : h < 2 ? [X, C, 0] : h < 3 ? [0, C, X] : h < 4 ? [0, X, C] : h < 5 ? [X, 0, C] : [C, 0, X];
    const m = L - (0.3 * rgb[0] + 0.59 * rgb[1] + 0.11 * rgb[2]);
    return 'rgb(' + rgb.map((v) => Math.round(Math.min(1, Math.max(0, v + m)) * 255)).join(',') + ')';
  }

  /** speedscope's value formatters (TimeFormatter, ByteFormatter, RawValueFormatter). */
  function formatter(unit) {
    const mult = { nanoseconds: 1e-9, microseconds: 1e-6, milliseconds: 1e-3, seconds: 1 }[unit];
    if (mult !== undefined) {
      return (v) => {
        const s = Math.abs(v) * mult;
        let out;
        if (s / 60 >= 1) {
          const min = Math.floor(s / 60);
          out = `${min}:${String(Math.floor(s - min * 60)).padStart(2, '0')}`;
        } else if (s >= 1) out = `${s.toFixed(2)}s`;
        else if (s / 1e-3 >= 1) out = `${(s / 1e-3).toFixed(2)}ms`;
        else if (s / 1e-6 >= 1) out = `${(s / 1e-6).toFixed(2)}µs`;
        else out = `${(s / 1e-9).toFixed(2)}ns`;
        return (v < 0 ? '-' : '') + out;
      };
    }
    if (unit === 'bytes') {
      return (v) => {
        if (v < 1024) return `${v.toFixed(0)} B`;
        v /= 1024;
        if (v < 1024) return `${v.toFixed(2)} KB`;
        v /= 1024;
        if (v < 1024) return `${v.toFixed(2)} MB`;
        return `${(v / 1024).toFixed(2)} GB`;
      };
    }
    return (v) => v.toLocaleString();
  }

  /** speedscope's trimTextMid: an ellipsis in the middle, bisecting on the measured width. */
  function trimTextMid(ctx, text, maxWidth) {
    const trimmed = (n) => {
      if (text.length <= n) return text;
      const pre = Math.floor(n / 2);
      const suf = n - pre - 1;
      return text.substring(0, pre) + '\u2026' + text.substring(text.length - suf, text.length);
    };
    if (ctx.measureText(text).width <= maxWidth) return text;
    let lo = 0;
    let hi = text.length;
    while (hi - lo > 1) {
      const mid = (hi + lo) / 2;
      if (ctx.measureText(trimmed(Math.floor(mid))).width < maxWidth) lo = mid;
      else hi = mid;
    }
    return trimmed(Math.floor(lo));
  }

  /** Pixels whose centres a GL rasteriser covers for [a, b): [first, end). */
  const px = (a, b) => [Math.ceil(a - 0.5), Math.ceil(b - 0.5)];

  /** The time axis both speedscope views draw over their top row: ~200 px gridlines, labels left of them. */
  function timeAxis(ctx, x0, total, width, dpr, top, height, format, ceilWidth) {
    const frame = FRAME * dpr;
    const pad = (frame - LABEL_FONT * dpr) / 2;
    const target = (200 * dpr * total) / width;
    let interval = Math.pow(10, Math.floor(Math.log10(target)));
    if (target / interval > 5) interval *= 5;
    else if (target / interval > 2) interval *= 2;
    ctx.globalAlpha = 0.8;
    ctx.fillStyle = theme.bgPrimaryColor;
    ctx.fillRect(0, top, width, frame);
    ctx.globalAlpha = 1;
    ctx.textBaseline = 'top';
    for (let x = Math.ceil(x0 / interval) * interval; x < x0 + total; x += interval) {
      const pos = Math.round(((x - x0) / total) * width);
      const text = format(x);
      const w = ceilWidth ? Math.ceil(ctx.measureText(text).width) : ctx.measureText(text).width;
      ctx.fillStyle = theme.fgPrimaryColor;
      ctx.fillText(text, pos - w - pad, top + pad);
      ctx.fillStyle = theme.fgSecondaryColor;
      ctx.fillRect(pos, top, 1, height);
    }
  }

  let layout = null; // {boxes, total, color: Map frame → css, format}
  let canvas = null;
  let paintedFor = null; // {layout, W, H} of what the canvas holds
  const api = { shown: false, boxes: [], paintedAt: -1, load, hide, show, paint };
  window.__pyprofFirstFrame = api;

  function load(base64) {
    layout = null;
    if (view !== 'left-heavy' && view !== 'time-ordered') return false; // sandwich opens on a table
    try {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const prof = importProfile(JSON.parse(new TextDecoder().decode(bytes)));
      if (!prof || prof.frames.length === 0) return false;
      const chart = flamechart(prof, view === 'left-heavy');
      if (!(chart.total > 0)) return false;
      const buckets = colorBuckets(prof.frames);
      const colors = new Map(prof.frames.map((f) => [f, bucketColor(buckets.get(f))]));
      layout = { boxes: chart.boxes, total: chart.total, colors, format: formatter(prof.unit) };
    } catch (e) {
      return false; // speedscope will show the profile (or say why not) on its own
    }
    show();
    return true;
  }

  function paint() {
    if (!layout || !canvas || !api.shown) return;
    const dpr = window.devicePixelRatio || 1;
    const rect = canvas.getBoundingClientRect();
    const W = Math.floor(rect.width) * dpr;
    const H = Math.floor(rect.height) * dpr;
    if (W < 2 || H < 2) return;
    // the ResizeObserver's first call comes in the first frame's rendering step: the frame just
    // painted is still right, and painting it again would hold that frame back
    if (paintedFor && paintedFor.layout === layout && paintedFor.W === W && paintedFor.H === H) return;
    paintedFor = { layout, W, H };
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext('2d');
    const { boxes, total, colors, format } = layout;
    const sx = W / total;
    ctx.fillStyle = theme.bgPrimaryColor;
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = theme.altBgPrimaryColor; // the toolbar's strip; its tabs are speedscope's DOM
    ctx.fillRect(0, 0, W, TOOLBAR * dpr);
    ctx.font = `${LABEL_FONT * dpr}px/${FRAME * dpr}px ${font}`;

    // the minimap: every row, no outlines, squeezed under its time axis
    const mmTop = TOOLBAR * dpr;
    const layers = boxes.reduce((n, b) => Math.max(n, b.depth + 1), 0);
    const rowH = ((MINIMAP - FRAME) * dpr) / layers;
    for (const b of boxes) {
      const [x0, x1] = px(b.start * sx, b.end * sx);
      const [y0, y1] = px(mmTop + FRAME * dpr + b.depth * rowH, mmTop + FRAME * dpr + (b.depth + 1) * rowH);
      if (x1 <= x0 || y1 <= y0) continue;
      ctx.fillStyle = colors.get(b.frame);
      ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    }
    // the minimap's view rectangle (speedscope's ViewportRectangleRenderer): a 2 px border inside
    // the main chart's view (the whole width, the rows that fit), shading outside it
    const chartTop = (TOOLBAR + MINIMAP + SEPARATOR) * dpr;
    const viewRows = (H - chartTop) / (FRAME * dpr); // config rows -1 … viewRows - 1
    const inner = { x0: 2, x1: W - 2, y0: mmTop + FRAME * dpr - rowH + 2, y1: mmTop + FRAME * dpr + (viewRows - 1) * rowH - 2 };
    const ring = (d) => [inner.x0 - d, inner.y0 - d, inner.x1 - inner.x0 + 2 * d, inner.y1 - inner.y0 + 2 * d];
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, mmTop, W, MINIMAP * dpr);
    ctx.clip();
    ctx.fillStyle = theme.fgSecondaryColor;
    ctx.globalAlpha = 0.5;
    ctx.beginPath();
    ctx.rect(0, mmTop, W, MINIMAP * dpr);
    ctx.rect(...ring(2));
    ctx.fill('evenodd');
    ctx.globalAlpha = 0.8;
    ctx.beginPath();
    ctx.rect(...ring(2));
    ctx.rect(...ring(0));
    ctx.fill('evenodd');
    ctx.restore();
    timeAxis(ctx, 0, total, W, dpr, mmTop, MINIMAP * dpr, format, true);
    ctx.fillStyle = theme.fgSecondaryColor;
    ctx.fillRect(0, mmTop + MINIMAP * dpr, W, SEPARATOR * dpr);

    // the main chart: its first row is the time axis (config row -1), then depth 0, 1, …; the
    // colour pass leaves each box's outermost pixels transparent (the gaps between boxes)
    const frame = FRAME * dpr;
    const painted = [];
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, chartTop, W, H - chartTop);
    ctx.clip();
    for (const b of boxes) {
      const top = chartTop + (b.depth + 1) * frame;
      if (top >= H) continue;
      const [x0, x1] = px(b.start * sx, b.end * sx);
      const w = x1 - x0;
      if (w <= 0 || w === 2) continue; // two pixels are both edges
      ctx.fillStyle = colors.get(b.frame);
      if (w === 1) ctx.fillRect(x0, top + 1, 1, frame - 2);
      else ctx.fillRect(x0 + 1, top + 1, w - 2, frame - 2);
      painted.push({ x: x0 / dpr, width: w / dpr, y: top / dpr, depth: b.depth, name: b.frame.name });
    }
    // labels: speedscope's renderFrameLabelAndChildren
    const minWidth = ctx.measureText('M\u2026M').width;
    const pad = 5 * dpr;
    ctx.fillStyle = theme.fgPrimaryColor;
    ctx.textBaseline = 'alphabetic';
    for (const b of boxes) {
      const top = chartTop + (b.depth + 1) * frame;
      if (top >= H) continue;
      const left = Math.max(0, b.start * sx);
      const width = Math.min(W, b.end * sx) - left;
      if (width <= minWidth) continue;
      const text = trimTextMid(ctx, b.frame.name, width - 2 * pad);
      ctx.fillText(text, left + pad, Math.round(top + frame - (frame - LABEL_FONT * dpr) / 2));
    }
    timeAxis(ctx, 0, total, W, dpr, chartTop, H - chartTop, format, false);
    ctx.restore();
    api.boxes = painted;
    api.paintedAt = performance.now();
  }

  function show() {
    if (!canvas) {
      canvas = document.createElement('canvas');
      canvas.id = 'pyprof-first-frame';
      canvas.setAttribute('aria-hidden', 'true');
      document.body.appendChild(canvas);
      new ResizeObserver(() => paint()).observe(canvas);
    }
    canvas.hidden = false;
    api.shown = true;
    paint();
    if (performance.mark) performance.mark('pyprof: first frame painted');
  }

  function hide() {
    if (!canvas || !api.shown) return;
    canvas.hidden = true;
    api.shown = false;
  }

  const embedded = window.__pyprofProfile;
  if (embedded && typeof embedded.base64 === 'string') load(embedded.base64);
})();
