// The in-extension-host test framework (no mocha): `*.inhost.ts` modules call test() when loaded;
// index.ts runs them one after another and writes an InhostReport. Helpers here work inside the
// extension host only (they may use the vscode API); the report types are shared with the driver
// (test/e2e/harness.ts), which must not import anything else from this file at run time.
import * as fs from 'fs';
import * as path from 'path';

export interface InhostTestResult {
  /** "<module>: <test name>" */
  name: string;
  ok: boolean;
  skipped?: string;
  ms: number;
  /** Failure message with stack, when !ok. */
  error?: string;
  /** What the test logged (log()). */
  messages: string[];
}

export interface InhostReport {
  started: string;
  finished: string | null;
  vscodeVersion: string;
  tests: InhostTestResult[];
  passed: number;
  failed: number;
  skipped: number;
  /** Set when the runner itself failed (e.g. a module did not load). */
  runnerError?: string;
}

export interface InhostTest {
  module: string;
  name: string;
  fn: (ctx: TestContext) => Promise<void> | void;
  timeoutMs: number;
}

export interface TestContext {
  log(message: string): void;
  skip(reason: string): void;
}

export class Skip extends Error {}

export const registry: InhostTest[] = [];
let currentModule = '';

/** Set by the runner while a module is being loaded, so test() knows where a test comes from. */
export function setCurrentModule(name: string): void {
  currentModule = name;
}

/** Registers a test; tests run in registration order, each with its own timeout (default 90 s). */
export function test(name: string, fn: InhostTest['fn'], opts: { timeoutMs?: number } = {}): void {
  registry.push({ module: currentModule, name, fn, timeoutMs: opts.timeoutMs ?? 90_000 });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value; the error names `what` and the last value seen. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await sleep(everyMs);
  }
}

let requestSeq = 0;

/** What the driver answers to a bridge request. */
export interface BridgeAnswer {
  ok: boolean;
  error?: string;
  /** screenshot: the file written. */
  file?: string;
  /** texts: textContent of every element matching the selector, in document order;
   *  clickFlameFrame: the hover tip of the frame that was clicked. */
  texts?: string[];
}

export type BridgeRequest =
  | { kind: 'screenshot'; name: string }
  | { kind: 'texts'; selector: string }
  | { kind: 'clickFlameFrame'; name: string };

/**
 * Asks the driver (test/e2e/harness.ts) to do what only the browser side can: take a page
 * screenshot, or read what the workbench shows (DOM text). Files in $PYPROF_INHOST_BRIDGE:
 * <seq>.req (JSON request) → <seq>.done (JSON answer). Undefined when no driver answers.
 */
async function ask(req: BridgeRequest, timeoutMs = 20_000): Promise<BridgeAnswer | undefined> {
  const bridge = process.env.PYPROF_INHOST_BRIDGE;
  if (!bridge) return undefined;
  const id = String(++requestSeq).padStart(4, '0');
  const tmp = path.join(bridge, `${id}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(req));
  fs.renameSync(tmp, path.join(bridge, `${id}.req`)); // the driver never sees half a request
  const done = path.join(bridge, `${id}.done`);
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (fs.existsSync(done)) {
      const answer = JSON.parse(fs.readFileSync(done, 'utf8')) as BridgeAnswer;
      if (!answer.ok) throw new Error(`driver could not do ${JSON.stringify(req)}: ${answer.error}`);
      return answer;
    }
    await sleep(100);
  }
  return undefined;
}

/** A page screenshot into test-results/<name>.png; resolves with the file (undefined without a driver). */
export async function screenshot(name: string): Promise<string | undefined> {
  return (await ask({ kind: 'screenshot', name }))?.file;
}

/** textContent of the workbench elements matching `selector` (undefined without a driver). */
export async function visibleTexts(selector: string): Promise<string[] | undefined> {
  return (await ask({ kind: 'texts', selector }))?.texts;
}

/**
 * Moves the real mouse over the flame graph until speedscope's hover tip names the function `name`,
 * and clicks there (what a user does to jump to a frame's source). Resolves with the hover tip's
 * lines, or undefined without a driver.
 */
export async function clickFlameFrame(name: string): Promise<string[] | undefined> {
  return (await ask({ kind: 'clickFlameFrame', name }, 60_000))?.texts;
}
