// Command-line parsing shared by every `pyprof` subcommand, plus the small registry contract
// (`CliCommand`) that src/cli.ts dispatches on. Hand-written rather than a dependency: the option
// set is small and we want py-spy-like behaviour (`--` or the first positional starts the command).

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionKind = 'flag' | 'int' | 'number' | 'string';

export interface OptionSpec {
  /** Long name without dashes: `rate` for `--rate`. */
  name: string;
  /** One-letter alias without the dash: `r` for `-r`. */
  alias?: string;
  kind: OptionKind;
  /** Placeholder shown in help, e.g. `HZ`. */
  arg?: string;
  help: string;
  /** Options that are switched off by this one (`--blocking` clears `--nonblocking`). */
  negates?: string;
  /** Lower bound for numbers (inclusive unless exclusiveMin). */
  min?: number;
  exclusiveMin?: boolean;
  /** Allowed values for strings. */
  choices?: readonly string[];
  /** A flag that may also be given a value from this set as `--name=value` (`--memory=tracemalloc`). */
  flagValues?: readonly string[];
  /** A string option that may be given several times (`--tag a=1 --tag b=2`); read with `list()`. */
  repeatable?: boolean;
}

export type ParsedValue = boolean | number | string | string[];

export interface ParsedArgs {
  /** Values by long name, only for options that were given. */
  values: Map<string, ParsedValue>;
  /** Everything after `--`, or from the first positional argument on when `commandTail` is allowed. */
  command: string[];
}

/**
 * Parses argv against `specs`. `--name value`, `--name=value`, `-r value`, `-r=value` are accepted;
 * flags take no value. When `commandTail` is true, `--` or the first non-option starts the command
 * (the rest is passed to it untouched); otherwise positionals are a usage error. `--help`/`-h`
 * before the command sets the `help` value for every command.
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], commandTail: boolean): ParsedArgs {
  const byName = new Map<string, OptionSpec>();
  for (const s of specs) {
    byName.set(`--${s.name}`, s);
    if (s.alias) byName.set(`-${s.alias}`, s);
  }
  const values = new Map<string, ParsedValue>();
  let command: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      if (!commandTail) throw new UsageError(`unexpected '--'`);
      command = argv.slice(i + 1);
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      if (!commandTail) throw new UsageError(`unexpected argument '${a}'`);
      command = argv.slice(i);
      break;
    }
    if (a === '--help' || a === '-h') {
      values.set('help', true);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    const spec = byName.get(key);
    if (!spec) throw new UsageError(`unknown option '${key}'`);
    if (spec.kind === 'flag') {
      if (eq > 0 && spec.flagValues) {
        const raw = a.slice(eq + 1);
        if (!spec.flagValues.includes(raw)) throw new UsageError(`option '${key}' must be one of ${spec.flagValues.join(', ')} (got '${raw}')`);
        values.set(spec.name, raw);
        continue;
      }
      if (eq > 0) throw new UsageError(`option '${key}' takes no value`);
      values.set(spec.name, true);
      if (spec.negates) values.delete(spec.negates);
      continue;
    }
    let raw: string;
    if (eq > 0) raw = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`option '${key}' needs a value (${spec.arg ?? spec.kind})`);
      raw = argv[++i];
    }
    const value = convert(spec, key, raw);
    if (spec.repeatable) {
      const before = values.get(spec.name);
      values.set(spec.name, [...(Array.isArray(before) ? before : []), String(value)]);
    } else values.set(spec.name, value);
  }
  return { values, command };
}

function convert(spec: OptionSpec, key: string, raw: string): ParsedValue {
  if (spec.kind === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UsageError(`option '${key}' must be one of ${spec.choices.join(', ')} (got '${raw}')`);
    }
    return raw;
  }
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (spec.kind === 'int' && !Number.isInteger(n))) {
    throw new UsageError(`option '${key}' needs ${spec.kind === 'int' ? 'an integer' : 'a number'} (got '${raw}')`);
  }
  if (spec.min !== undefined && (spec.exclusiveMin ? n <= spec.min : n < spec.min)) {
    throw new UsageError(`option '${key}' must be ${spec.exclusiveMin ? '>' : '≥'} ${spec.min} (got ${raw})`);
  }
  return n;
}

/** The input file(s) among the arguments: everything that is neither an option nor its value. */
export function splitPositional(argv: readonly string[], specs: readonly OptionSpec[]): { positional: string[]; rest: string[] } {
  const positional: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    rest.push(a);
    const spec = specs.find((o) => a === `--${o.name}` || a === `-${o.alias}`);
    if (spec && spec.kind !== 'flag' && i + 1 < argv.length) rest.push(argv[++i]);
  }
  return { positional, rest };
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values.get(name) === true;
}

export function num(args: ParsedArgs, name: string): number | undefined {
  const v = args.values.get(name);
  return typeof v === 'number' ? v : undefined;
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable option, in the order given (empty when absent). */
export function list(args: ParsedArgs, name: string): string[] {
  const v = args.values.get(name);
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** Help text for a command: usage line, description, aligned option list. */
export function formatHelp(usage: string, description: string, specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const names = `${s.alias ? `-${s.alias}, ` : '    '}--${s.name}${s.kind === 'flag' ? (s.flagValues ? `[=${s.flagValues.join('|')}]` : '') : ` ${s.arg ?? s.kind.toUpperCase()}`}`;
    return [names, s.help] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length), 10) + 2;
  const lines = [`usage: ${usage}`, '', description, '', 'options:'];
  for (const [n, h] of rows) lines.push(`  ${n.padEnd(width)}${h}`);
  lines.push(`      --help${' '.repeat(Math.max(2, width - 10))}show this help`);
  return lines.join('\n') + '\n';
}

/** What a subcommand module exports as `command`; src/cli.ts lists one loader line per command. */
export interface CliCommand {
  name: string;
  /** One line for `pyprof --help`. */
  summary: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** Shared option specs so record/top/dump spell them the same way. */
export const PID_OPTION: OptionSpec = { name: 'pid', alias: 'p', kind: 'int', arg: 'PID', min: 1, help: 'attach to a running Python process' };
export const RATE_OPTION: OptionSpec = { name: 'rate', alias: 'r', kind: 'number', arg: 'HZ', min: 0, exclusiveMin: true, help: 'samples per second (default 100)' };
export const GIL_OPTION: OptionSpec = { name: 'gil', alias: 'g', kind: 'flag', help: 'only sample the thread holding the GIL' };
export const IDLE_OPTION: OptionSpec = { name: 'idle', alias: 'i', kind: 'flag', help: 'include idle (sleeping/waiting) threads; dropped by default' };
export const SUBPROCESSES_OPTION: OptionSpec = { name: 'subprocesses', alias: 's', kind: 'flag', help: 'follow Python child and grandchild processes as they appear' };
export const BLOCKING_OPTION: OptionSpec = { name: 'blocking', kind: 'flag', negates: 'nonblocking', help: 'pause the target (ptrace) while reading each sample: exact stacks, slower target' };
export const NATIVE_OPTION: OptionSpec = { name: 'native', alias: 'n', kind: 'flag', help: 'also C/C++ frames (extensions, libraries, the interpreter) interleaved with the Python frames; pauses the target for each read (libunwind)' };
export const NONBLOCKING_OPTION: OptionSpec = { name: 'nonblocking', kind: 'flag', negates: 'blocking', help: 'read while the target runs, never pausing it: a sample whose every read tore is dropped (by default it is read once more with the target paused for that read)' };
export const EVENTS_FILE_OPTION: OptionSpec = {
  name: 'events-file',
  kind: 'string',
  arg: 'PATH',
  help: 'append the same JSON-lines events to PATH (for a recorder started in a terminal, where no extra fd can be passed)',
};
export const EVENTS_FD_OPTION: OptionSpec = { name: 'events-fd', kind: 'int', arg: 'N', min: 0, help: 'write JSON-lines progress events to file descriptor N' };
