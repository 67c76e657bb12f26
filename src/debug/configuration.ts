// The `pyprof` launch.json configuration: its fields, their validation (every message names the bad
// field, so a user can fix launch.json without guessing) and the `pyprof record` arguments it
// becomes. Pure: no vscode import, used by the debug adapter (any DAP client, e.g. nvim-dap) and by
// the extension's configuration provider alike.

import * as fs from 'fs';
import * as path from 'path';
import { EXPORT_FORMATS } from '../profile/formats';
import type { RecordRequest, RecordTarget } from '../recording/recordingProcess';

export type ConsoleKind = 'integratedTerminal' | 'internalConsole';
export type MemoryMode = 'off' | 'rss' | 'tracemalloc';

/** Sampling options shared by launch and attach. */
export interface SamplingConfig {
  rate?: number;
  subprocesses?: boolean;
  gil?: boolean;
  idle?: boolean;
  blocking?: boolean;
  /** Native (C/C++) frames interleaved with the Python frames (`pyprof record --native`). */
  native?: boolean;
  /** Seconds; stop recording after this long. */
  duration?: number;
  /** Where the profile is written (default: a temporary file). */
  output?: string;
  /** An export format id (speedscope, collapsed, pprof, chrome). */
  format?: string;
  /** 'trace' runs the program under cProfile (launch only): exact call counts. */
  mode?: 'sample' | 'trace';
  /** RSS per line (true / 'rss') or exact Python allocations ('tracemalloc', launch only). */
  memory?: boolean | MemoryMode;
  /** With memory "tracemalloc": frames kept per allocation stack (1 = just the allocating line). */
  memoryFrames?: number;
}

export interface LaunchConfig extends SamplingConfig {
  request: 'launch';
  name?: string;
  program?: string;
  module?: string;
  args?: string[] | string;
  cwd?: string;
  env?: Record<string, string | null>;
  envFile?: string;
  python?: string;
  console?: ConsoleKind;
}

export interface AttachConfig extends SamplingConfig {
  request: 'attach';
  name?: string;
  processId: number | string;
}

export type PyprofConfig = LaunchConfig | AttachConfig;

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`launch.json (type "pyprof"): '${field}' ${message}`);
  }
}

/** A validated configuration, normalised to what the recorder needs. */
export interface ResolvedConfig {
  request: 'launch' | 'attach';
  /** [python, script-or--m, ...args] in launch mode. */
  command?: string[];
  pid?: number;
  cwd?: string;
  /** Variables to set (string) or remove (null) on top of the adapter's environment. */
  env: Record<string, string | null>;
  console: ConsoleKind;
  rate: number;
  subprocesses: boolean;
  gil: boolean;
  idle: boolean;
  blocking: boolean;
  native: boolean;
  duration?: number;
  output?: string;
  format: string;
  mode: 'sample' | 'trace';
  memory: MemoryMode;
  memoryFrames?: number;
  /** Shown as the profile's label: the script, module or pid. */
  label: string;
}

type Raw = Record<string, unknown>;

function optionalBoolean(c: Raw, field: string): boolean {
  const v = c[field];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new ConfigError(field, `must be true or false (got ${JSON.stringify(v)})`);
  return v;
}

function optionalNumber(c: Raw, field: string, min: number, max: number): number | undefined {
  const v = c[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ConfigError(field, `must be a number from ${min} to ${max} (got ${JSON.stringify(v)})`);
  }
  return v;
}

function optionalString(c: Raw, field: string): string | undefined {
  const v = c[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !v.trim()) throw new ConfigError(field, `must be a non-empty string (got ${JSON.stringify(v)})`);
  return v;
}

/**
 * Splits a command-line string the way a POSIX shell splits words (quotes and backslashes; no
 * expansion), for `"args": "--n 3 'two words'"`.
 */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length && '"\\$`'.includes(s[i + 1])) cur += s[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new ConfigError('args', `has an unterminated ${quote} quote`);
  if (inWord) out.push(cur);
  return out;
}

/**
 * Reads a dotenv file: KEY=VALUE lines, `export ` prefixes, # comments, single/double quotes
 * (double quotes understand \n), ${VAR} references to earlier entries or the base environment.
 */
export function parseEnvFile(text: string, file: string, base: NodeJS.ProcessEnv = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new ConfigError('envFile', `${file}:${i + 1}: expected KEY=VALUE, found ${JSON.stringify(raw.slice(0, 60))}`);
    let value = m[2];
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else {
      value = value.replace(/\s+#.*$/, ''); // trailing comment after an unquoted value
    }
    if (q !== "'") value = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, k: string) => out[k] ?? base[k] ?? '');
    out[m[1]] = value;
  });
  return out;
}

function memoryMode(c: Raw): MemoryMode {
  const v = c.memory;
  if (v === undefined || v === null || v === false || v === 'off') return 'off';
  if (v === true || v === 'rss') return 'rss';
  if (v === 'tracemalloc') return 'tracemalloc';
  throw new ConfigError('memory', `must be false, true, "rss" or "tracemalloc" (got ${JSON.stringify(v)})`);
}

/**
 * Checks a configuration as VS Code (after variable substitution) or another DAP client sends it
 * and resolves relative paths against `cwd`. `base` is the environment the recorder starts from
 * (for ${VAR} in env files). Throws ConfigError naming the first bad field.
 */
export function resolveConfig(raw: unknown, base: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  if (!raw || typeof raw !== 'object') throw new ConfigError('request', 'configuration is missing');
  const c = raw as Raw;
  const request = c.request;
  if (request !== 'launch' && request !== 'attach') throw new ConfigError('request', `must be "launch" or "attach" (got ${JSON.stringify(request)})`);

  const rate = optionalNumber(c, 'rate', 1, 10000) ?? 100;
  const duration = optionalNumber(c, 'duration', 0.001, 7 * 24 * 3600);
  const format = optionalString(c, 'format') ?? 'speedscope';
  if (!EXPORT_FORMATS.some((f) => f.id === format)) {
    throw new ConfigError('format', `must be one of ${EXPORT_FORMATS.map((f) => `"${f.id}"`).join(', ')} (got ${JSON.stringify(format)})`);
  }
  const mode = c.mode === undefined || c.mode === null ? 'sample' : c.mode;
  if (mode !== 'sample' && mode !== 'trace') throw new ConfigError('mode', `must be "sample" or "trace" (got ${JSON.stringify(mode)})`);
  const memory = memoryMode(c);
  const memoryFrames = optionalNumber(c, 'memoryFrames', 1, 1000);
  if (memoryFrames !== undefined && !Number.isInteger(memoryFrames)) throw new ConfigError('memoryFrames', `must be a whole number (got ${memoryFrames})`);
  const common = {
    rate,
    duration,
    format,
    mode: mode as 'sample' | 'trace',
    memory,
    memoryFrames,
    subprocesses: optionalBoolean(c, 'subprocesses'),
    gil: optionalBoolean(c, 'gil'),
    idle: optionalBoolean(c, 'idle'),
    blocking: optionalBoolean(c, 'blocking'),
    native: optionalBoolean(c, 'native'),
  };

  if (request === 'attach') {
    const p = c.processId;
    const pid = typeof p === 'number' ? p : typeof p === 'string' && /^\s*\d+\s*$/.test(p) ? Number(p) : NaN;
    if (!Number.isInteger(pid) || pid <= 0) {
      throw new ConfigError('processId', `must be a process id (a positive integer, or "\${command:pyprof.pickProcess}" to pick one) (got ${JSON.stringify(p)})`);
    }
    if (mode === 'trace') throw new ConfigError('mode', '"trace" runs the program under cProfile, which needs "request": "launch"; attach samples');
    if (memory === 'tracemalloc') throw new ConfigError('memory', '"tracemalloc" must start with the program ("request": "launch"); use "rss" when attaching');
    const output = optionalString(c, 'output');
    return { request, pid, env: {}, console: 'internalConsole', output: output && path.resolve(output), label: `process ${pid}`, ...common };
  }

  const program = optionalString(c, 'program');
  const module = optionalString(c, 'module');
  if (program && module) throw new ConfigError('program', 'and \'module\' are both set: give one of them');
  if (!program && !module) throw new ConfigError('program', 'is missing: set "program" to a Python file (e.g. "${file}") or "module" to a module name');
  const cwdRaw = optionalString(c, 'cwd');
  const cwd = cwdRaw ? path.resolve(cwdRaw) : program ? path.dirname(path.resolve(program)) : process.cwd();
  if (!fs.existsSync(cwd) || !fs.statSync(cwd).isDirectory()) throw new ConfigError('cwd', `is not a folder: ${cwd}`);
  let programPath: string | undefined;
  if (program) {
    programPath = path.resolve(cwd, program);
    if (!fs.existsSync(programPath)) throw new ConfigError('program', `does not exist: ${programPath}`);
    if (fs.statSync(programPath).isDirectory() && !fs.existsSync(path.join(programPath, '__main__.py'))) {
      throw new ConfigError('program', `is a folder without __main__.py: ${programPath}`);
    }
  }
  if (module !== undefined && !/^[A-Za-z_][\w.]*$/.test(module)) throw new ConfigError('module', `is not a module name: ${JSON.stringify(module)}`);

  let args: string[];
  const a = c.args;
  if (a === undefined || a === null) args = [];
  else if (typeof a === 'string') args = splitArgs(a);
  else if (Array.isArray(a) && a.every((x) => typeof x === 'string')) args = a as string[];
  else throw new ConfigError('args', `must be a list of strings or one string (got ${JSON.stringify(a)})`);

  const env: Record<string, string | null> = {};
  const envFile = optionalString(c, 'envFile');
  if (envFile) {
    const file = path.resolve(cwd, envFile);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError('envFile', `cannot be read: ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    Object.assign(env, parseEnvFile(text, file, base));
  }
  if (c.env !== undefined && c.env !== null) {
    if (typeof c.env !== 'object' || Array.isArray(c.env)) throw new ConfigError('env', `must be an object of NAME: "value" pairs (got ${JSON.stringify(c.env)})`);
    for (const [k, v] of Object.entries(c.env as Raw)) {
      if (v !== null && typeof v !== 'string') throw new ConfigError(`env.${k}`, `must be a string, or null to unset it (got ${JSON.stringify(v)})`);
      env[k] = v as string | null;
    }
  }

  const consoleRaw = c.console ?? 'integratedTerminal';
  if (consoleRaw !== 'integratedTerminal' && consoleRaw !== 'internalConsole') {
    throw new ConfigError('console', `must be "integratedTerminal" or "internalConsole" (got ${JSON.stringify(consoleRaw)})`);
  }
  const python = optionalString(c, 'python') ?? 'python3';
  const target = programPath ? [programPath] : ['-m', module!];
  const output = optionalString(c, 'output');
  return {
    request,
    command: [python, ...target, ...args],
    cwd,
    env,
    console: consoleRaw,
    output: output && path.resolve(cwd, output),
    label: programPath ? path.basename(programPath) : `-m ${module}`,
    ...common,
  };
}

/** A profile's file name for a configuration without "output": the script or module, the format's extension. */
export function defaultProfileName(c: ResolvedConfig): string {
  const ext = EXPORT_FORMATS.find((f) => f.id === c.format)?.extension ?? `.${c.format}`;
  const base = c.label.replace(/^-m /, '').replace(/\.pyw?$/, '').replace(/[^\w.-]+/g, '_') || 'profile';
  return `${base}${ext}`;
}

/** Applies `env` (null = unset) on top of `base`. */
export function mergeEnv(base: NodeJS.ProcessEnv, env: Record<string, string | null>): NodeJS.ProcessEnv {
  const out = { ...base };
  for (const [k, v] of Object.entries(env)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/**
 * The recording request for a resolved configuration (src/recording/recordingProcess.ts turns it into
 * `pyprof record` arguments, the same way "Profile Current File" does).
 */
export function toRecordRequest(c: ResolvedConfig, output: string, eventsFile?: string): RecordRequest {
  const extra: string[] = [];
  if (c.duration !== undefined) extra.push('--duration', String(c.duration));
  const target: RecordTarget =
    c.request === 'attach'
      ? { kind: 'attach', pid: c.pid! }
      : { kind: 'launch', python: c.command![0], program: c.command![1], args: c.command!.slice(2), cwd: c.cwd! };
  return {
    target,
    output,
    format: c.format,
    rate: c.rate,
    subprocesses: c.subprocesses,
    gil: c.gil,
    idle: c.idle,
    blocking: c.blocking,
    native: c.native,
    mode: c.mode,
    memory: c.memory,
    memoryFrames: c.memoryFrames,
    extra,
    eventsFile,
  };
}
