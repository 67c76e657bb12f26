// Recording and stack dumps for the assistant tools, run as `pyprof record` / `pyprof dump` child
// processes (dist/cli.js), as the editor's commands do: sampling never runs inside the VS Code
// extension host, and in `pyprof mcp` the program's output can never reach the MCP stdout channel.

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importProfile } from '../profile/formats';
import { RecordingProcess, RecordTarget } from '../recording/recordingProcess';
import type { RecordEvent } from '../recording/events';
import { AssistRunError } from './errors';
import { LoadedProfile, RecordWish, launchFolder } from './tools';

export interface CliPaths {
  /** The Node binary (process.execPath; Electron in desktop VS Code runs as Node with ELECTRON_RUN_AS_NODE). */
  node: string;
  /** dist/cli.js */
  cli: string;
}

export interface CliRecording extends LoadedProfile {
  file: string;
  /** The last few KB the program printed (launch only). */
  programOutput: string;
  /** The folder holding `file`; the caller removes it when the profile is no longer needed. */
  dir: string;
}

/** Records `wish` with the CLI; `python` runs a launched file. Resolves once the profile is read. */
export async function recordWithCli(paths: CliPaths, wish: RecordWish, python: string | undefined, roots: readonly string[], onEvent?: (e: RecordEvent) => void): Promise<CliRecording> {
  let target: RecordTarget;
  let label: string;
  if (wish.kind === 'attach') {
    target = { kind: 'attach', pid: wish.pid };
    label = `process ${wish.pid}`;
  } else if (wish.command) {
    target = { kind: 'command', argv: wish.command, cwd: roots[0] ?? process.cwd() };
    label = wish.command.map((a) => path.basename(a)).join(' ').slice(0, 60);
  } else {
    if (!wish.file) throw new AssistRunError("which program? give 'file' (a Python file under the workspace root) or 'command'");
    if (!python) throw new AssistRunError('no Python interpreter found: set one (pyprof mcp --python PATH, or the pyprof.pythonPath setting), or put python3 on PATH');
    target = { kind: 'launch', python, program: wish.file, args: wish.args, cwd: launchFolder(wish.file, roots) };
    label = path.basename(wish.file);
  }
  // A private folder (mkdtemp: unpredictable name, mode 0700) for the profile and its journal.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-assist-'));
  const output = path.join(dir, `${label.replace(/[^\w.-]+/g, '_')}.speedscope.json`);
  let programOutput = '';
  const proc = new RecordingProcess(paths.node, paths.cli, {
    target,
    output,
    format: 'speedscope',
    rate: wish.rate,
    extra: ['--duration', String(wish.durationS)],
  }, {
    onEvent,
    onOutput: (text) => (programOutput = (programOutput + text).slice(-4096)),
  });
  proc.start();
  const o = await proc.outcome;
  try {
    if (o.error) throw new AssistRunError(`${o.error.code}: ${o.error.message}`);
    if (!o.done || !fs.existsSync(o.done.output)) {
      const why = o.signal ? `was killed (${o.signal})` : `exited with code ${o.exitCode}`;
      throw new AssistRunError(`the pyprof recorder ${why} without writing a profile: ${o.stderrTail.trim().split('\n').slice(-3).join(' ')}`);
    }
    if (o.done.samples === 0) throw new AssistRunError(`no samples were taken from ${label}${o.done.notes.length ? ` (${o.done.notes.join('; ')})` : ''}`);
    const profile = importProfile(fs.readFileSync(o.done.output), o.done.output);
    return { profile, label: `${label} (recorded)`, file: o.done.output, programOutput, dir };
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** `pyprof dump --pid PID` as text; its one-line error (permission diagnosis included) on failure. */
export function dumpWithCli(paths: CliPaths, pid: number, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(paths.node, [paths.cli, 'dump', '--pid', String(pid)], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new AssistRunError(`cannot run ${paths.node}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trimEnd());
      else reject(new AssistRunError(err.trim().replace(/^pyprof: error: /, '') || `pyprof dump ${signal ? `was killed (${signal})` : `exited with code ${code}`}`));
    });
  });
}
