// A real VS Code for end-to-end tests: code-server (from npm, installed and cached by
// scripts/vscode-host.mjs) driven by Debian's Chromium through playwright-core, with the
// extension loaded from this repository and every bit of state in a temporary folder.
// The extension writes what it shows to PYPROF_TEST_REPORT (src/ui/testReport.ts); tests read it.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import type { TestReport } from '../../src/ui/testReport';
import { repoRoot, tmpDir } from '../helpers';

export const CHROMIUM = '/usr/bin/chromium';
export const resultsDir = path.join(repoRoot, 'test-results');

/** Why e2e cannot run here, or undefined when it can. */
export function e2eUnavailable(): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return 'Debian chromium is not installed (apt-get install chromium)';
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'extension.js'))) return 'the extension is not built (npm run build)';
  return undefined;
}

export interface VscodeSession {
  page: Page;
  workspace: string;
  reportFile: string;
  report(): TestReport | undefined;
  waitForReport(pred: (r: TestReport) => boolean, what: string, timeoutMs?: number): Promise<TestReport>;
  runCommand(title: string): Promise<void>;
  openFile(name: string): Promise<void>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startVscode(opts: { workspaceFrom: string; python: string; keybindings?: unknown[] }): Promise<VscodeSession> {
  const hostScript = path.join(repoRoot, 'scripts', 'vscode-host.mjs');
  const installed = spawnSync(process.execPath, [hostScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  if (installed.status !== 0) throw new Error(`cannot install code-server: ${installed.stderr ?? ''}`);
  const host = JSON.parse(installed.stdout.trim().split('\n').pop()!) as { node: string; codeServer: string };

  const state = tmpDir('pyprof-e2e-');
  const workspace = path.join(state, 'ws');
  fs.cpSync(opts.workspaceFrom, workspace, { recursive: true });
  const ud = path.join(state, 'ud');
  const ext = path.join(state, 'ext');
  fs.mkdirSync(path.join(ud, 'User'), { recursive: true });
  fs.mkdirSync(ext, { recursive: true });
  // The extension straight from this checkout (built dist/, media/, node_modules/koffi…).
  fs.symlinkSync(repoRoot, path.join(ext, 'pyprof.pyprof-0.1.0'));
  fs.writeFileSync(path.join(ud, 'User', 'settings.json'), JSON.stringify({
    'chat.disableAIFeatures': true,
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    'workbench.tips.enabled': false,
    'pyprof.pythonPath': opts.python,
  }));
  fs.writeFileSync(path.join(ud, 'User', 'keybindings.json'), JSON.stringify(opts.keybindings ?? []));
  const reportFile = path.join(state, 'report.json');
  const nodeBin = path.dirname(host.node);
  const env = {
    ...process.env,
    PATH: `${nodeBin}:${process.env.PATH}`,
    XDG_CONFIG_HOME: path.join(state, 'cfg'),
    XDG_DATA_HOME: path.join(state, 'data'),
    XDG_CACHE_HOME: path.join(state, 'cache'),
    EXTENSIONS_GALLERY: '{}',
    PYPROF_TEST_REPORT: reportFile,
  };
  const server: ChildProcess = spawn(host.node, [host.codeServer, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--user-data-dir', ud, '--extensions-dir', ext, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', workspace], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let serverLog = '';
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start: ${serverLog}`)), 60_000);
    const on = (d: Buffer) => {
      serverLog += d;
      const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(serverLog);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    server.stdout!.on('data', on);
    server.stderr!.on('data', on);
    server.once('exit', (c) => reject(new Error(`code-server exited (${c}): ${serverLog}`)));
  });
  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  await page.waitForTimeout(2000);

  const report = (): TestReport | undefined => {
    try {
      return JSON.parse(fs.readFileSync(reportFile, 'utf8')) as TestReport;
    } catch {
      return undefined;
    }
  };
  const session: VscodeSession = {
    page,
    workspace,
    reportFile,
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
    async runCommand(title) {
      await page.keyboard.press('F1');
      await page.waitForSelector('.quick-input-widget:not([style*="display: none"]) input', { timeout: 10_000 });
      await page.keyboard.type(`>${title}`);
      await page.waitForTimeout(700);
      await page.keyboard.press('Enter');
    },
    async openFile(name) {
      await page.keyboard.press('Control+P');
      await page.waitForTimeout(500);
      await page.keyboard.type(name);
      await page.waitForTimeout(1000);
      await page.keyboard.press('Enter');
      await page.waitForSelector('.monaco-editor .view-lines', { timeout: 15_000 });
      await page.waitForTimeout(500);
    },
    async screenshot(name) {
      fs.mkdirSync(resultsDir, { recursive: true });
      const file = path.join(resultsDir, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      await browser.close().catch(() => undefined);
      try { process.kill(-server.pid!, 'SIGKILL'); } catch { /* already gone */ }
      fs.rmSync(state, { recursive: true, force: true });
    },
  };
  return session;
}
