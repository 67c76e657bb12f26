// Bridge between speedscope (media/speedscope/, patched at build time) and the pyprof extension.
// - Posts {type:'ready'} once speedscope has defined window.speedscope.loadFileFromBase64 (it does
//   so because the page hash is #localProfilePath=inline, set before the bundle runs).
// - On {type:'load', name, base64} hands the profile to speedscope and posts {type:'loaded', ms}
//   when its canvas appears.
// - window.__pyprofFrameClick is called by the patched bundle with the clicked frame
//   ({name, file, line}) and the mouse event; we post {type:'open'} so the extension opens the source.
(function () {
  'use strict';
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

  function whenSpeedscopeReady(cb) {
    const started = Date.now();
    (function poll() {
      if (window.speedscope && typeof window.speedscope.loadFileFromBase64 === 'function') cb();
      else if (Date.now() - started > 30000) {
        setStatus('speedscope did not start (see the developer tools console).');
        vscode.postMessage({ type: 'error', message: 'speedscope did not start' });
      } else setTimeout(poll, 20);
    })();
  }

  // speedscope sets document.title ("<name> - speedscope") once a profile is imported and laid out;
  // the canvas exists before that, so it is no sign of a rendered profile.
  const LOADING_TITLE = 'pyprof: loading';
  function whenRendered(started, cb) {
    (function poll() {
      if (document.title !== LOADING_TITLE) cb(Date.now() - started);
      else if (Date.now() - started > 60000) cb(-1);
      else setTimeout(poll, 25);
    })();
  }

  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (!msg || msg.type !== 'load') return;
    const started = Date.now();
    setStatus('Loading ' + msg.name + '…');
    whenSpeedscopeReady(() => {
      document.title = LOADING_TITLE;
      window.speedscope.loadFileFromBase64(msg.name, msg.base64);
      whenRendered(started, (ms) => {
        setStatus(ms < 0 ? 'The flame graph did not render.' : '');
        vscode.postMessage({ type: 'loaded', ms });
      });
    });
  });

  whenSpeedscopeReady(() => vscode.postMessage({ type: 'ready' }));
})();
