// A real VS Code for end-to-end tests: code-server (from npm, installed and cached by
// scripts/vscode-host.mjs) driven by Debian's Chromium through playwright-core, with every bit of
// state (settings, extensions dir, XDG dirs, TMPDIR) in a temporary folder. Recipe: shared/E2E.md.
//
// Two ways to test:
// - startVscode(): the extension from this checkout (or an installed .vsix) in a workbench page
//   that the test drives like a user (F1 + command title, keys, screenshots). The extension writes
//   what it shows to PYPROF_TEST_REPORT (src/ui/testReport.ts); tests read that file.
// - runInhostSuite(): the same page opened with the smoke-test driver payload
//   (extensionDevelopmentPath + extensionTestsPath), so test/e2e/inhost/index.ts runs inside the
//   extension host with the vscode API and the extension's activate() API; it writes a JSON report
//   and the workbench calls codeAutomationExit(code) when it is done.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Frame, Page } from 'playwright-core';
import type { TestReport } from '../../src/ui/testReport';
import { repoRoot, tmpDir } from '../helpers';
import type { BridgeAnswer, BridgeRequest, InhostReport } from './inhost/framework';

export const CHROMIUM = '/usr/bin/chromium';
export const resultsDir = path.join(repoRoot, 'test-results');
export const EXTENSION_ID = 'pyprof.pyprof';
/** How long a UI step (quick input, an editor tab) may take: up to 7 helpers share 2 cores, and a loaded machine has taken > 15 s. */
const UI_WAIT_MS = 45_000;

interface Host {
  node: string;
  codeServer: string;
}

let hostResult: { host?: Host; skip?: string } | undefined;

/** Errors that mean "this machine cannot download code-server" (skip), not "the install is broken" (fail). */
const NETWORK_ERROR = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|getaddrinfo|network|offline|socket hang up|request to .* failed/i;

/**
 * Installs code-server (cached by lockfile hash; a warm cache costs ≈ 0.1 s). A network failure is
 * a reason to skip; any other install failure throws, so the e2e tests fail instead of hiding it.
 */
function vscodeHost(): { host?: Host; skip?: string } {
  if (hostResult) return hostResult;
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'vscode-host.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20 * 60_000,
  });
  process.stderr.write(r.stderr ?? '');
  if (r.status === 0) {
    hostResult = { host: JSON.parse(r.stdout.trim().split('\n').pop()!) as Host };
  } else if (NETWORK_ERROR.test(`${r.stderr}${r.stdout}`)) {
    const why = `${r.stderr}`.split('\n').filter((l) => NETWORK_ERROR.test(l)).slice(0, 2).join(' / ');
    hostResult = { skip: `code-server cannot be installed (no network?): ${why}` };
  } else {
    throw new Error(`installing code-server failed (status ${r.status}, signal ${r.signal}):\n${r.stderr}${r.stdout}`);
  }
  return hostResult;
}

/** Why e2e cannot run here, or undefined when it can (installs code-server on first use). */
export function e2eUnavailable(): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return 'Debian chromium is not installed (apt-get install chromium)';
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'extension.js'))) return 'the extension is not built (npm run build)';
  if (!fs.existsSync(path.join(repoRoot, 'node_modules', 'playwright-core'))) return 'playwright-core is not installed (npm ci)';
  return vscodeHost().skip;
}

export interface ServerOptions {
  /** Folder copied into the session's temp dir and opened as the workspace. */
  workspaceFrom: string;
  /** Python interpreter for pyprof.pythonPath. */
  python: string;
  keybindings?: unknown[];
  /** Extra user settings (merged over the defaults below). */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
  /**
   * How the extension gets into VS Code: 'checkout' symlinks this repository into the extensions
   * dir; a path to a .vsix installs it with `code-server --install-extension`; 'none' installs
   * nothing (the in-host suite loads the checkout as the extension under development).
   */
  extension?: 'checkout' | 'none' | { vsix: string };
}

interface Server {
  port: string;
  state: string;
  workspace: string;
  extensionsDir: string;
  reportFile: string;
  log(): string;
  kill(): void;
}

/** Starts code-server on 127.0.0.1:<free port> in its own process group, with isolated state. */
async function startServer(opts: ServerOptions): Promise<Server> {
  const host = vscodeHost().host;
  if (!host) throw new Error(`code-server is not available: ${vscodeHost().skip}`);
  const state = tmpDir('pyprof-e2e-');
  const workspace = path.join(state, 'ws');
  fs.cpSync(opts.workspaceFrom, workspace, { recursive: true });
  const ud = path.join(state, 'ud');
  const ext = path.join(state, 'ext');
  const tmp = path.join(state, 'tmp');
  for (const d of [path.join(ud, 'User'), ext, tmp]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(
    path.join(ud, 'User', 'settings.json'),
    JSON.stringify({
      'chat.disableAIFeatures': true,
      'workbench.startupEditor': 'none',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'security.workspace.trust.enabled': false,
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'pyprof.pythonPath': opts.python,
      ...opts.settings,
    }),
  );
  // code-server is a remote setup: machine-scoped settings (pyprof.pythonPath) are read from the
  // Machine settings, and ignored with a warning in User settings.
  fs.mkdirSync(path.join(ud, 'Machine'), { recursive: true });
  fs.writeFileSync(path.join(ud, 'Machine', 'settings.json'), JSON.stringify({ 'pyprof.pythonPath': opts.python }));
  fs.writeFileSync(path.join(ud, 'User', 'keybindings.json'), JSON.stringify(opts.keybindings ?? []));
  const reportFile = path.join(state, 'report.json');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(host.node)}:${process.env.PATH}`,
    XDG_CONFIG_HOME: path.join(state, 'cfg'),
    XDG_DATA_HOME: path.join(state, 'data'),
    XDG_CACHE_HOME: path.join(state, 'cache'),
    TMPDIR: tmp,
    EXTENSIONS_GALLERY: '{}',
    PYPROF_TEST_REPORT: reportFile,
    ...opts.env,
  };
  delete env.NODE_OPTIONS; // node --test's own options must not reach code-server's Node 24
  const common = ['--config', path.join(state, 'config.yaml'), '--user-data-dir', ud, '--extensions-dir', ext];

  const extension = opts.extension ?? 'checkout';
  if (extension === 'checkout') {
    fs.symlinkSync(repoRoot, path.join(ext, `${EXTENSION_ID}-${packageVersion()}`));
  } else if (typeof extension === 'object') {
    const r = spawnSync(host.node, [host.codeServer, ...common, '--install-extension', extension.vsix], { env, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`--install-extension ${extension.vsix} failed (${r.status}): ${r.stderr}${r.stdout}`);
  }

  const server: ChildProcess = spawn(
    host.node,
    [host.codeServer, ...common, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', '--vscode-option', 'enable-smoke-test-driver', workspace],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let serverLog = '';
  const kill = () => {
    try {
      process.kill(-server.pid!, 'SIGKILL'); // the whole group: extension host, language server, samplers
    } catch {
      /* already gone */
    }
  };
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`code-server did not start in 60 s: ${serverLog}`)), 60_000);
      const on = (d: Buffer) => {
        serverLog += d;
        const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(serverLog);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      server.stdout!.on('data', on);
      server.stderr!.on('data', on);
      server.once('exit', (c) => (clearTimeout(timer), reject(new Error(`code-server exited (${c}): ${serverLog}`))));
    });
    return { port, state, workspace, extensionsDir: ext, reportFile, log: () => serverLog, kill };
  } catch (e) {
    kill();
    throw e;
  }
}

function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Writes the page into test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Presses `key` (F1, Control+P) and waits until the quick input has the keyboard focus. Right after
 * a command run from the palette, VS Code gives the focus back to the editor that had it; for a
 * webview (the flame panel) that happens a moment later, through the webview's own frame, and a
 * quick input opened in between loses the focus to it and closes (reproduced under load: the
 * palette opened, then the focus on the panel's iframe and no palette). The key is pressed again
 * whenever no quick input is open.
 */
async function openQuickInput(page: Page, key: string): Promise<void> {
  const end = Date.now() + UI_WAIT_MS;
  const state = `(() => { if (${QUICK_INPUT_FOCUSED}) return 'focused'; const w = document.querySelector('.quick-input-widget'); return w && getComputedStyle(w).display !== 'none' ? 'open' : 'closed'; })()`;
  await page.keyboard.press(key);
  let pressedAt = Date.now();
  for (let presses = 1; Date.now() < end; ) {
    await page.waitForTimeout(100);
    const now = (await page.evaluate(state)) as string;
    if (now === 'focused') break;
    // a second press while the first is still on its way would act inside the quick input it opens
    if (now === 'closed' && Date.now() - pressedAt >= 1_000) {
      pressedAt = Date.now();
      console.log(`# ${key} pressed again (${++presses}): no quick input open, the focus on ${await page.evaluate('document.activeElement ? document.activeElement.tagName : "nothing"')}`);
      await page.keyboard.press(key);
    }
  }
  await waitQuickInputFocus(page, Math.max(1_000, end - Date.now()));
}

/** Page expression: a quick input (palette, a command's quick pick) has the keyboard focus. */
const QUICK_INPUT_FOCUSED = `(() => { const a = document.activeElement; return !!a && a.tagName === 'INPUT' && !!a.closest('.quick-input-widget'); })()`;

/** Waits until a quick input (palette, a command's quick pick) has the keyboard focus. */
async function waitQuickInputFocus(page: Page, timeoutMs = UI_WAIT_MS): Promise<void> {
  await page
    .waitForFunction(QUICK_INPUT_FOCUSED, undefined, { timeout: timeoutMs })
    .catch(async (e: Error) => {
      const state = await page
        .evaluate(
          `(() => { const a = document.activeElement; const w = document.querySelector('.quick-input-widget'); return 'focus on ' + (a ? a.tagName + '.' + String(a.className).slice(0, 80) : 'nothing') + ', document has focus: ' + document.hasFocus() + ', quick input ' + (w ? getComputedStyle(w).display + ' "' + ((w.querySelector('input') || {}).value || '') + '"' : 'absent'); })()`,
        )
        .catch(() => '?');
      await screenshot(page, 'quick-input-no-focus').catch(() => undefined);
      throw new Error(`the quick input did not get the keyboard focus (${state}; test-results/quick-input-no-focus.png): ${e.message}`);
    });
}

/** Types into the focused quick input and waits until its first row mentions `wanted`; then Enter. */
async function pickFirstRow(page: Page, text: string, wanted: string): Promise<void> {
  await page.keyboard.type(text);
  const w = JSON.stringify(wanted.toLowerCase());
  await page
    .waitForFunction(
      `[...document.querySelectorAll('.quick-input-widget .monaco-list-row')].slice(0, 1).some((r) => (r.textContent || '').toLowerCase().includes(${w}))`,
      undefined,
      { timeout: UI_WAIT_MS },
    )
    .catch(() => undefined); // Enter below still picks whatever matched; the caller's wait reports the miss
  await page.waitForTimeout(150);
  await page.keyboard.press('Enter');
}

/** Presses F1, types `>title`, waits for the palette to list it, and runs it with Enter. */
export async function runCommandByTitle(page: Page, title: string): Promise<void> {
  await openQuickInput(page, 'F1');
  await pickFirstRow(page, `>${title}`, title.replace(/^[^:]*:\s*/, ''));
}

/**
 * Quick Open (Ctrl+P) `name`, pick the row for exactly that file name, and wait until its editor
 * tab is active. Other open editors can mention the name too (a "Stacks of Profile hot.py" dump is
 * listed first, as recently opened), so rows and tabs are matched on the file name exactly.
 */
export async function openFileByName(page: Page, name: string): Promise<void> {
  await openQuickInput(page, 'Control+P');
  await page.keyboard.type(name);
  // VS Code marks a file's icon label with the class `<name>-name-file-icon` (rows and tabs alike)
  const fileClass = JSON.stringify(`${name.toLowerCase()}-name-file-icon`);
  const rowIndex = await page
    .waitForFunction(
      `(() => { const i = [...document.querySelectorAll('.quick-input-widget .monaco-list-row')].findIndex((r) => !!r.querySelector('.monaco-icon-label')?.classList.contains(${fileClass})); return i >= 0 ? i + 1 : 0; })()`,
      undefined,
      { timeout: UI_WAIT_MS },
    )
    .then(async (h) => ((await h.jsonValue()) as number) - 1)
    .catch(() => 0);
  for (let i = 0; i < rowIndex; i++) await page.keyboard.press('ArrowDown');
  await page.waitForTimeout(150);
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    `[...document.querySelectorAll('.tabs-container .tab.active')].some((t) => !!t.querySelector('.monaco-icon-label')?.classList.contains(${fileClass}))`,
    undefined,
    { timeout: UI_WAIT_MS },
  );
  await page.waitForSelector('.monaco-editor .view-lines', { timeout: UI_WAIT_MS });
  await page.waitForTimeout(300);
}

/** Waits until an editor shows extension decorations (gutter icons or overlay classes). */
export async function waitForDecorations(page: Page, timeoutMs = 30_000): Promise<number> {
  const h = await page.waitForFunction(
    `document.querySelectorAll('.monaco-editor .margin-view-overlays .cgmr, .monaco-editor .view-overlays [class*="ced-"], .monaco-editor .view-lines [class*="ced-"]').length || false`,
    undefined,
    { timeout: timeoutMs },
  );
  return (await h.jsonValue()) as number;
}

/** Waits until a webview (an iframe hosted by the workbench) is on the page. */
export async function waitForWebview(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForSelector('iframe.webview', { state: 'attached', timeout: timeoutMs });
}

/** The frame (webview iframe) that runs speedscope. */
async function speedscopeFrame(page: Page, timeoutMs = 30_000): Promise<Frame> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (await f.evaluate('typeof window.speedscope === "object" && !!document.querySelector("canvas")').catch(() => false)) return f;
    }
    if (Date.now() > end) throw new Error('no webview runs speedscope');
    await page.waitForTimeout(250);
  }
}

/**
 * Sweeps the real mouse down the middle of the flame graph until speedscope's hover tip (the last
 * two lines of the page text: "1.51s (100%) hot", "/path/hot.py:6") names `name`, then clicks there.
 * Returns the hover tip's lines.
 */
export async function clickFlameFrame(page: Page, name: string): Promise<string[]> {
  const frame = await speedscopeFrame(page);
  const box = (await (await frame.frameElement()).boundingBox())!;
  const text = () => frame.evaluate('document.body.innerText') as Promise<string>;
  await page.mouse.move(box.x + 2, box.y + 2);
  const base = await text();
  const x = box.x + box.width / 2;
  const wanted = new RegExp(`\\)\\s+${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  for (let y = box.y + 4; y < box.y + box.height - 4; y += 6) {
    await page.mouse.move(x, y);
    const now = await text();
    const tip = now !== base && now.startsWith(base) ? now.slice(base.length).trim().split('\n') : [];
    if (tip.length >= 2 && wanted.test(tip[tip.length - 2].trim())) {
      await page.mouse.click(x, y);
      return tip;
    }
  }
  throw new Error(`no flame-graph frame named ${name} under the mouse (swept x=${Math.round(x)}, y=${Math.round(box.y)}..${Math.round(box.y + box.height)})`);
}

export interface VscodeSession {
  page: Page;
  workspace: string;
  reportFile: string;
  extensionsDir: string;
  report(): TestReport | undefined;
  waitForReport(pred: (r: TestReport) => boolean, what: string, timeoutMs?: number): Promise<TestReport>;
  runCommand(title: string): Promise<void>;
  /** In a quick pick a command opened: type `text`, wait for a first row mentioning `wanted`, Enter. */
  pickFromQuickInput(text: string, wanted?: string): Promise<void>;
  openFile(name: string): Promise<void>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** code-server + Chromium with the workspace open, for tests that drive the UI. */
/** Runs `body` with a started VS Code, and closes it (server, browser, temp folders) whatever happens. */
export async function withVscode(opts: ServerOptions, body: (session: VscodeSession) => Promise<void>): Promise<void> {
  const session = await startVscode(opts);
  try {
    await body(session);
  } finally {
    await session.close();
  }
}

export async function startVscode(opts: ServerOptions): Promise<VscodeSession> {
  const server = await startServer(opts);
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    server.kill();
    fs.rmSync(server.state, { recursive: true, force: true });
  };
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(server.workspace)}`, { timeout: 120_000 }); // a shared, loaded machine can take long
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    await page.waitForTimeout(2000);

    const reportFile = server.reportFile;
    const report = (): TestReport | undefined => {
      try {
        return JSON.parse(fs.readFileSync(reportFile, 'utf8')) as TestReport;
      } catch {
        return undefined;
      }
    };
    return {
      page,
      workspace: server.workspace,
      reportFile,
      extensionsDir: server.extensionsDir,
      report,
      async waitForReport(pred, what, timeoutMs = 60_000) {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const r = report();
          if (r && pred(r)) return r;
          if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last report: ${JSON.stringify(r)?.slice(0, 2000)}`);
          await page.waitForTimeout(250);
        }
      },
      runCommand: (title) => runCommandByTitle(page, title),
      pickFromQuickInput: async (text, wanted) => {
        await waitQuickInputFocus(page);
        await pickFirstRow(page, text, wanted ?? text);
      },
      openFile: (name) => openFileByName(page, name),
      screenshot: (name) => screenshot(page, name),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

export interface InhostRun {
  /** What the workbench passed to codeAutomationExit (0 = every in-host test passed). */
  exitCode: number;
  report: InhostReport;
  screenshots: string[];
  /** Browser console lines (the extension host's console.log ends up there). */
  console: string[];
  seconds: number;
}

/**
 * Runs test/e2e/inhost (compiled: out/test/e2e/inhost/index.js) inside the extension host of a
 * code-server session with this checkout as the extension under development. `filter` (a regexp
 * source) selects tests by "file: name". In-host tests can ask for screenshots through a folder
 * both sides watch (PYPROF_INHOST_BRIDGE); the driver answers with page.screenshot().
 */
export async function runInhostSuite(opts: ServerOptions & { filter?: string; timeoutMs?: number }): Promise<InhostRun> {
  const started = Date.now();
  const bridge = tmpDir('pyprof-inhost-bridge-');
  const reportPath = path.join(bridge, 'report.json');
  const server = await startServer({
    ...opts,
    extension: 'none',
    env: {
      ...opts.env,
      PYPROF_INHOST_REPORT: reportPath,
      PYPROF_INHOST_BRIDGE: bridge,
      PYPROF_INHOST_FILTER: opts.filter ?? '',
      PYPROF_E2E_PYTHON: opts.python,
      PYPROF_E2E_RESULTS: resultsDir,
    },
  });
  let browser: Browser | undefined;
  let poller: NodeJS.Timeout | undefined;
  const consoleLines: string[] = [];
  const screenshots: string[] = [];
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => consoleLines.push(m.text()));
    const exited = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    // Requests from in-host tests (framework.ts ask()): <seq>.req (JSON) → <seq>.done (JSON).
    let busy = false;
    poller = setInterval(() => {
      if (busy) return;
      const pending = fs.readdirSync(bridge).filter((f) => f.endsWith('.req') && !fs.existsSync(path.join(bridge, f.replace(/\.req$/, '.done'))));
      if (pending.length === 0) return;
      busy = true;
      const req = pending.sort()[0];
      const answer = (a: BridgeAnswer) => {
        // written whole, then renamed: the in-host test polls for .done and must never read half of it
        const done = path.join(bridge, req.replace(/\.req$/, '.done'));
        fs.writeFileSync(`${done}.tmp`, JSON.stringify(a));
        fs.renameSync(`${done}.tmp`, done);
      };
      void (async () => {
        const r = JSON.parse(fs.readFileSync(path.join(bridge, req), 'utf8')) as BridgeRequest;
        if (r.kind === 'screenshot') {
          const file = await screenshot(page, r.name.replace(/[^\w.-]+/g, '_'));
          screenshots.push(file);
          return { ok: true, file };
        }
        if (r.kind === 'texts') return { ok: true, texts: await page.$$eval(r.selector, (els) => els.map((e) => e.textContent ?? '')) };
        if (r.kind === 'clickFlameFrame') return { ok: true, texts: await clickFlameFrame(page, r.name) };
        return { ok: false, error: `unknown request ${JSON.stringify(r)}` };
      })()
        .then(answer, (e) => answer({ ok: false, error: String(e) }))
        .finally(() => (busy = false));
    }, 100);

    const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(repoRoot)],
      ['extensionTestsPath', remote(path.join(repoRoot, 'out', 'test', 'e2e', 'inhost', 'index.js'))],
      ['skipWelcome', 'true'],
    ];
    await page.goto(`http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(server.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
    let timer: NodeJS.Timeout | undefined;
    const exitCode = await Promise.race([
      exited,
      new Promise<number>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`the in-host suite did not finish in ${timeoutMs / 1000} s; report so far: ${readIfAny(reportPath)}\nbrowser console (tail):\n${consoleLines.slice(-30).join('\n')}`));
        }, timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const text = readIfAny(reportPath);
    if (!text) throw new Error(`the in-host suite exited (${exitCode}) without a report; browser console (tail):\n${consoleLines.slice(-40).join('\n')}\ncode-server:\n${server.log().slice(-3000)}`);
    return { exitCode, report: JSON.parse(text) as InhostReport, screenshots, console: consoleLines, seconds: (Date.now() - started) / 1000 };
  } finally {
    if (poller) clearInterval(poller);
    await browser?.close().catch(() => undefined);
    server.kill();
    fs.rmSync(server.state, { recursive: true, force: true });
    fs.rmSync(bridge, { recursive: true, force: true });
  }
}

function readIfAny(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
