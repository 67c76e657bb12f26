// Bridge between speedscope (media/speedscope/, patched at build time) and the pyprof extension.
// - Posts {type:'ready'} as soon as it runs, before the speedscope bundle is parsed, so the
//   extension's answer (the profile) travels while the bundle starts instead of after it.
// - On {type:'load', name, base64} hands the profile to speedscope as soon as speedscope has defined
//   window.speedscope.loadFileFromBase64 (it does so because the page hash is
//   #localProfilePath=inline, set before the bundle runs), and posts {type:'loaded', ms} once the
//   first frame with the new flame in it has been drawn (the patched bundle calls
//   window.__pyprofFlameDrawn from the main flame chart; the sandwich view, which opens on a table,
//   counts once the profile is in).
// - Until speedscope has drawn, media/flameFirstFrame.js shows the same frame painted on a 2D canvas;
//   it is hidden in the animation frame in which speedscope's flame chart first draws the profile.
//   The profile may come with the page (window.__pyprofProfile, no round trip) or as a message.
// - Loads speedscope's bundle (the bridge script's data-speedscope) after the page's load event and
//   once the first frame was presented, so parsing the bundle holds back neither that frame nor
//   VS Code showing the page. The bridge runs inline (flameHtml.ts): document.currentScript is its
//   own script element, which carries the nonce and the URL of the bundle.
// - window.__pyprofFrameClick is called by the patched bundle with the clicked frame
//   ({name, file, line}) and the mouse event; we post {type:'open'} so the extension opens the source.
(function () {
  'use strict';
  const self = document.currentScript;
  const vscode = acquireVsCodeApi();
  const status = document.getElementById('pyprof-status');
  const setStatus = (text) => {
    if (!status) return;
    status.textContent = text || '';
    status.style.display = text ? 'block' : 'none';
  };

  // Modifier keys as seen by a capturing listener, in case the event speedscope passes lacks them.
  let lastModifiers = { alt: false, ctrl: false, meta: false };
  window.addEventListener(
    'mousedown',
    (e) => (lastModifiers = { alt: e.altKey, ctrl: e.ctrlKey, meta: e.metaKey }),
    true,
  );

  window.__pyprofFrameClick = function (frame, ev) {
    if (!frame || typeof frame.file !== 'string' || !frame.file) return;
    const alt = ev && typeof ev.altKey === 'boolean' ? ev.altKey : lastModifiers.alt;
    vscode.postMessage({
      type: 'open',
      file: frame.file,
      line: typeof frame.line === 'number' ? frame.line : 0,
      name: String(frame.name || ''),
      toSide: !!alt,
    });
  };

  // The detail pane's stack (patched bundle) shows frame files through this: relative to the
  // workspace folder they are in (prefixed with the folder's name when there are several), the
  // absolute path outside every folder; the element's title keeps the absolute path.
  const folders = (Array.isArray(window.__pyprofWorkspaceFolders) ? window.__pyprofWorkspaceFolders : [])
    .filter((f) => f && typeof f.path === 'string' && f.path)
    .map((f) => ({ name: String(f.name || ''), prefix: f.path.replace(/[\\/]+$/, '') }))
    .sort((a, b) => b.prefix.length - a.prefix.length); // the innermost folder wins
  window.__pyprofShortPath = function (file) {
    if (typeof file !== 'string') return file;
    for (const f of folders) {
      const sep = file.charAt(f.prefix.length);
      if (file.startsWith(f.prefix) && (sep === '/' || sep === '\\')) {
        const rel = file.slice(f.prefix.length + 1);
        return folders.length > 1 ? f.name + '/' + rel : rel;
      }
    }
    return file;
  };

  window.addEventListener('error', (e) => {
    vscode.postMessage({ type: 'error', message: String((e && e.message) || e) });
  });

  // performance marks for the benchmark (bench/firstPaint.mjs) and the developer tools' timeline
  const mark = (name) => performance.mark && performance.mark('pyprof: ' + name);

  // speedscope assigns window.speedscope when its app mounts: an accessor sees the moment (no polling).
  let speedscopeApi;
  const readyWaiters = [];
  Object.defineProperty(window, 'speedscope', {
    configurable: true,
    get: () => speedscopeApi,
    set(v) {
      speedscopeApi = v;
      if (!v || typeof v.loadFileFromBase64 !== 'function') return;
      mark('speedscope ready');
      for (const cb of readyWaiters.splice(0)) cb();
    },
  });
  function whenSpeedscopeReady(cb) {
    if (speedscopeApi && typeof speedscopeApi.loadFileFromBase64 === 'function') cb();
    else readyWaiters.push(cb);
  }
  setTimeout(() => {
    if (speedscopeApi) return;
    setStatus('speedscope did not start (see the developer tools console).');
    vscode.postMessage({ type: 'error', message: 'speedscope did not start' });
  }, 30000);

  // speedscope sets document.title ("<name> - speedscope") once a profile is imported, just before
  // it lays the profile out; the flame is on screen after the main chart's next draw.
  const LOADING_TITLE = 'pyprof: loading';
  const sandwich = /[#&]view=sandwich(&|$)/.test(location.hash);
  let lastFlamechart = null;
  let onFlameDrawn = null;
  let abandonRender = null; // the wait for a profile that a newer one replaced
  window.__pyprofFlameDrawn = function (flamechart) {
    lastFlamechart = flamechart;
    if (onFlameDrawn) onFlameDrawn(flamechart);
  };
  /** Calls cb(ms since started) after the first frame that shows the new profile; cb(-1) after 60 s. */
  function whenRendered(started, cb) {
    if (abandonRender) abandonRender();
    const before = lastFlamechart; // a redraw of the previous profile does not count
    let done = false;
    const stop = () => {
      done = true;
      onFlameDrawn = null;
      abandonRender = null;
      clearTimeout(timer);
    };
    const finish = (ms) => {
      if (done) return;
      stop();
      cb(ms);
    };
    abandonRender = stop;
    // the draw happened in this animation frame; the next one starts once it was presented
    const afterFrame = () => requestAnimationFrame(() => finish(Date.now() - started));
    const timer = setTimeout(() => finish(-1), 60000);
    if (sandwich) {
      (function poll() {
        if (document.title !== LOADING_TITLE) afterFrame();
        else if (!done) setTimeout(poll, 25);
      })();
    } else {
      onFlameDrawn = (flamechart) => {
        if (flamechart === before || document.title === LOADING_TITLE) return;
        onFlameDrawn = null;
        // speedscope draws the profile in this animation frame: the first frame we painted goes
        // in the same one, so the next presented frame is speedscope's with nothing in between
        if (window.__pyprofFirstFrame) window.__pyprofFirstFrame.hide();
        mark('flame drawn');
        afterFrame();
      };
    }
  }

  let pending = null; // the latest profile that arrived before speedscope was ready
  function load(msg, started) {
    setStatus('Loading ' + msg.name + '…');
    // until speedscope has drawn once, a new profile is painted at once by our first frame
    const first = window.__pyprofFirstFrame;
    if (first && first.shown && msg !== window.__pyprofProfile) first.load(msg.base64);
    const waiting = pending !== null;
    pending = msg; // a newer profile replaces one still waiting for speedscope
    if (waiting) return;
    whenSpeedscopeReady(() => {
      const m = pending;
      pending = null;
      document.title = LOADING_TITLE;
      mark('profile handed over');
      window.speedscope.loadFileFromBase64(m.name, m.base64);
      whenRendered(started, (ms) => {
        setStatus(ms < 0 ? 'The flame graph did not render.' : '');
        vscode.postMessage({ type: 'loaded', ms });
      });
    });
  }
  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (msg && msg.type === 'load') load(msg, Date.now());
  });

  vscode.postMessage({ type: 'ready' });
  // the profile the page was rendered with (no round trip through the extension): timed from navigation start
  const embedded = window.__pyprofProfile;
  if (embedded && typeof embedded.base64 === 'string') load(embedded, Math.round(performance.timeOrigin || Date.now() - performance.now()));

  // speedscope's bundle (parsing it holds the main thread for a few hundred ms): after the page's
  // load event (VS Code's webview host shows the frame on 'load'; a script inserted before it would
  // hold 'load' back until the bundle ran) and after the first frame has been presented, so that
  // frame is on screen while the bundle is parsed
  function loadBundle() {
    const src = self && self.getAttribute('data-speedscope');
    if (!src) return;
    mark('bundle requested');
    const script = document.createElement('script');
    script.nonce = self.nonce;
    script.src = src;
    document.body.appendChild(script);
  }
  function afterLoad(cb) {
    if (document.readyState === 'complete') cb();
    else window.addEventListener('load', () => setTimeout(cb, 0), { once: true });
  }
  if (window.__pyprofFirstFrame && window.__pyprofFirstFrame.shown) {
    afterLoad(() => {
      let started = false;
      const once = () => started || ((started = true), loadBundle());
      requestAnimationFrame(() => setTimeout(once, 0));
      setTimeout(once, 100); // no animation frames while the panel is hidden
    });
  } else afterLoad(loadBundle);
})();
