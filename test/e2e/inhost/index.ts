// Entry point VS Code loads as `extensionTestsPath` (smoke-test driver payload, see
// test/e2e/harness.ts runInhostSuite). Loads every *.inhost.js next to this file, runs the tests
// they register one by one (each with a timeout), and writes an InhostReport after every test to
// $PYPROF_INHOST_REPORT (else <workspace>/../inhost-report.json). Extension-host console output
// only reaches the browser console, so the report file is how results get out. run() rejects when
// a test failed: VS Code then passes exit code 1 to the driver's codeAutomationExit.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { InhostReport, InhostTestResult, registry, setCurrentModule, Skip, TestContext } from './framework';

function reportPath(): string {
  if (process.env.PYPROF_INHOST_REPORT) return process.env.PYPROF_INHOST_REPORT;
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return path.join(ws ? path.dirname(ws) : require('os').tmpdir(), 'inhost-report.json');
}

function write(file: string, report: InhostReport): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(report, null, 2));
  fs.renameSync(tmp, file);
}

const describe = (e: unknown) => (e instanceof Error ? `${e.message}\n${(e.stack ?? '').split('\n').slice(1, 8).join('\n')}` : String(e));

export async function run(): Promise<void> {
  const file = reportPath();
  const report: InhostReport = { started: new Date().toISOString(), finished: null, vscodeVersion: vscode.version, tests: [], passed: 0, failed: 0, skipped: 0 };
  write(file, report);
  const filter = process.env.PYPROF_INHOST_FILTER ? new RegExp(process.env.PYPROF_INHOST_FILTER) : undefined;
  try {
    for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.inhost.js')).sort()) {
      setCurrentModule(f.replace(/\.inhost\.js$/, ''));
      require(path.join(__dirname, f));
    }
  } catch (e) {
    report.runnerError = `loading test modules: ${describe(e)}`;
  }
  for (const t of registry) {
    const name = `${t.module}: ${t.name}`;
    if (filter && !filter.test(name)) continue;
    const result: InhostTestResult = { name, ok: false, ms: 0, messages: [] };
    const ctx: TestContext = {
      log: (m) => result.messages.push(m),
      skip: (reason) => {
        throw new Skip(reason);
      },
    };
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => t.fn(ctx)),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs))),
      ]);
      result.ok = true;
    } catch (e) {
      if (e instanceof Skip) {
        result.ok = true;
        result.skipped = e.message;
      } else {
        result.error = describe(e);
      }
    } finally {
      clearTimeout(timer);
    }
    result.ms = Date.now() - started;
    report.tests.push(result);
    if (result.skipped) report.skipped++;
    else if (result.ok) report.passed++;
    else report.failed++;
    write(file, report);
  }
  report.finished = new Date().toISOString();
  write(file, report);
  console.log(`pyprof in-host: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`);
  if (report.failed > 0 || report.runnerError) throw new Error(`${report.failed} in-host test(s) failed${report.runnerError ? `; ${report.runnerError}` : ''}`);
}
