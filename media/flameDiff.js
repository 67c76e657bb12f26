// The differential flame graph (src/ui/flame/diffFlamePanel.ts): draws the boxes it is sent as an
// icicle of absolutely positioned elements (root on top), shows a box's detail (both profiles'
// widths, the change) on hover or focus, and asks the extension to open the source on click.
// After drawing it reports each drawn box's name and computed colour, so tests see what is shown.
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const graph = document.getElementById('graph');
  const detail = document.getElementById('detail');
  const title = document.getElementById('title');
  const ROW = 20;

  function draw(data) {
    graph.textContent = '';
    title.textContent = data.title;
    let depth = 0;
    const drawn = [];
    data.nodes.forEach((n) => {
      const el = document.createElement('div');
      el.className = 'box' + (n.significant ? ' significant' : '');
      el.style.left = (n.x * 100).toFixed(4) + '%';
      el.style.width = (n.w * 100).toFixed(4) + '%';
      el.style.top = n.depth * ROW + 'px';
      el.style.background = n.color;
      el.textContent = n.name;
      el.title = n.detail.join('\n');
      el.tabIndex = 0;
      const show = () => (detail.textContent = n.detail.join('\n'));
      el.addEventListener('mouseenter', show);
      el.addEventListener('focus', show);
      el.addEventListener('click', (ev) => {
        show();
        if (n.file) vscode.postMessage({ type: 'open', file: n.file, line: n.line, name: n.name, toSide: !!ev.altKey });
      });
      graph.appendChild(el);
      depth = Math.max(depth, n.depth + 1);
      drawn.push({ el, n });
    });
    graph.style.height = depth * ROW + 'px';
    requestAnimationFrame(() => {
      vscode.postMessage({
        type: 'rendered',
        boxes: drawn.map(({ el, n }) => ({ name: n.name, status: n.status, significant: n.significant, color: getComputedStyle(el).backgroundColor, width: el.getBoundingClientRect().width })),
      });
    });
  }

  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (msg && msg.type === 'diff') draw(msg.data);
  });
  window.addEventListener('error', (e) => vscode.postMessage({ type: 'error', message: String((e && e.message) || e) }));
  vscode.postMessage({ type: 'ready' });
})();
