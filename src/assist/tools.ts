// Runs one assistant tool call: validates the input (inputs.ts), asks the host to record or dump
// when the tool does that, and answers in citable text (profileText.ts). The two hosts supply what
// differs between them: VS Code (src/ui/assist/lmTools.ts: the Profile Current File command's
// interpreter and workspace-trust rules, the editor's loaded profile) and `pyprof mcp`
// (src/cli/mcp.ts: --root, --python, the profiles it recorded itself).

import * as fs from 'fs';
import * as path from 'path';
import type { Profile } from '../profile/model';
import { importProfile } from '../profile/formats';
import { AssistRunError } from './errors';
import { AssistInputError, asObject, commandIn, durationOf, fileInRoots, limitOf, optionalString, rateOf, readablePid, requiredString, stringList } from './inputs';
import { callersText, citePath, compareText, hotLinesText, topFunctionsText } from './profileText';
import { ToolDefinition, toolNamed } from './toolDefinitions';

export type RecordWish =
  /** file: validated absolute path, or undefined = the host's choice (VS Code: the active editor). */
  /** durationS: what was asked, else the cap (untilExit: the program may end it sooner, as it normally would). */
  | { kind: 'launch'; file?: string; args: string[]; command?: string[]; durationS: number; untilExit: boolean; rate?: number }
  | { kind: 'attach'; pid: number; durationS: number; rate?: number };

export interface LoadedProfile {
  profile: Profile;
  label: string;
  /** The profile's file, when it has one. */
  file?: string;
}

export interface AssistHost {
  /** Workspace roots: files are read and run only under these. */
  roots(): readonly string[];
  /** Longest recording a call may ask for, in seconds. */
  readonly maxDurationS: number;
  /** Records and loads the profile (it becomes current()); rejects with a message the model can show. */
  record(wish: RecordWish): Promise<LoadedProfile & { file: string; programOutput?: string }>;
  /** `pyprof dump --pid` text. */
  dumpStacks(pid: number): Promise<string>;
  /** The profile loaded now (the last recorded or opened one). */
  current(): LoadedProfile | undefined;
  /** Profile files this host wrote (temporary folders outside the roots may be read back). */
  ownFiles(): ReadonlySet<string>;
}


function loadProfileRef(ref: string | undefined, host: AssistHost): LoadedProfile {
  if (ref === undefined) {
    const cur = host.current();
    if (!cur) throw new AssistInputError('no profile is loaded: record one with pyprof_profile or pyprof_attach, or name a profile file');
    return cur;
  }
  const own = new Set([...host.ownFiles()].map((f) => safeReal(f)));
  const file = fileInRoots(ref, host.roots(), 'profile', own);
  try {
    return { profile: importProfile(fs.readFileSync(file), file), label: citePath(file, host.roots()), file };
  } catch (e) {
    throw new AssistInputError(`cannot read the profile ${ref}: ${(e as Error).message}`);
  }
}

function safeReal(f: string): string {
  try {
    return fs.realpathSync(f);
  } catch {
    return f;
  }
}

/** The validated launch/attach request of a consent-needing tool (checked before the user is asked). */
function wishOf(def: ToolDefinition, input: Record<string, unknown>, host: AssistHost): RecordWish | { kind: 'dump'; pid: number } {
  const roots = host.roots();
  if (def.name === 'pyprof_dump_stacks') return { kind: 'dump', pid: readablePid(input) };
  if (def.name === 'pyprof_attach') {
    const durationS = durationOf(input, host.maxDurationS, true)!; // the cap is checked before the process is looked at
    return { kind: 'attach', pid: readablePid(input), durationS, rate: rateOf(input) };
  }
  const command = commandIn(input, roots);
  const fileArg = optionalString(input, 'file');
  if (command && fileArg) throw new AssistInputError("give either 'file' or 'command', not both");
  const file = fileArg !== undefined ? fileInRoots(fileArg, roots, 'file') : undefined;
  if (file && !/\.pyw?$/i.test(file)) throw new AssistInputError(`'${fileArg}' is not a Python file (.py); to run something else give 'command'`);
  const durationS = durationOf(input, host.maxDurationS, false);
  return { kind: 'launch', file, command, args: stringList(input, 'args') ?? [], durationS: durationS ?? host.maxDurationS, untilExit: durationS === undefined, rate: rateOf(input) };
}

/**
 * What the user is asked before a launching/attaching call runs (undefined for queries). Validates
 * first, so the user is never asked about a call that would be refused.
 */
export function consentFor(name: string, rawInput: unknown, host: AssistHost, defaultFile?: string): { title: string; message: string } | undefined {
  const def = toolNamed(name);
  if (!def?.needsConsent) return undefined;
  const w = wishOf(def, asObject(rawInput), host);
  const roots = host.roots();
  switch (w.kind) {
    case 'dump':
      return { title: 'Read the stacks of a process?', message: `pyprof will read the Python stacks of process ${w.pid} (${commandLine(w.pid)}) from outside, once. It does not stop or change it.` };
    case 'attach':
      return { title: 'Profile a running process?', message: `pyprof will sample process ${w.pid} (${commandLine(w.pid)}) from outside for ${w.durationS} s. It does not stop or change it.` };
    default: {
      const what = w.command ? w.command.join(' ') : `${citePath(w.file ?? defaultFile ?? '(the active editor\'s file)', roots)}${w.args.length ? ` ${w.args.join(' ')}` : ''}`;
      return { title: 'Run and profile a program?', message: `pyprof will run \`${what}\` in ${roots[0] ?? 'its folder'} and sample it ${w.untilExit ? `until it exits (at most ${w.durationS} s)` : `for ${w.durationS} s`}. The program runs with your permissions and can do anything it normally does.` };
    }
  }
}

function commandLine(pid: number): string {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return cmd.length > 100 ? `${cmd.slice(0, 99)}…` : cmd || 'no command line';
  } catch {
    return 'command line unreadable';
  }
}

/** Runs a tool call; resolves with the answer text, rejects with AssistInputError/AssistRunError. */
export async function runTool(name: string, rawInput: unknown, host: AssistHost): Promise<string> {
  const def = toolNamed(name);
  if (!def) throw new AssistInputError(`unknown tool '${name}'`);
  const input = asObject(rawInput);
  const roots = host.roots();
  switch (def.name) {
    case 'pyprof_profile':
    case 'pyprof_attach': {
      const wish = wishOf(def, input, host) as RecordWish;
      const rec = await host.record(wish);
      const out = [`Recorded. Profile file: ${rec.file}`, topFunctionsText(rec.profile, rec.label, 10, roots)];
      const tail = rec.programOutput?.trimEnd().split('\n').slice(-5).join('\n');
      if (tail) out.push(`Last lines of the program's output:\n${tail}`);
      out.push('Ask pyprof_hot_lines for a file\'s lines, pyprof_callers for who calls a function.');
      return out.join('\n');
    }
    case 'pyprof_dump_stacks':
      return host.dumpStacks(readablePid(input));
    case 'pyprof_top_functions': {
      const p = loadProfileRef(optionalString(input, 'profile'), host);
      return topFunctionsText(p.profile, p.label, limitOf(input), roots);
    }
    case 'pyprof_hot_lines': {
      const file = requiredString(input, 'file');
      const p = loadProfileRef(optionalString(input, 'profile'), host);
      return hotLinesText(p.profile, p.label, file, limitOf(input), roots);
    }
    case 'pyprof_callers': {
      const p = loadProfileRef(optionalString(input, 'profile'), host);
      return callersText(p.profile, p.label, requiredString(input, 'function'), optionalString(input, 'file'), limitOf(input), roots);
    }
    case 'pyprof_compare': {
      const base = loadProfileRef(requiredString(input, 'base'), host);
      const next = loadProfileRef(optionalString(input, 'new'), host);
      return compareText(base.profile, base.label, next.profile, next.label, limitOf(input));
    }
  }
}

/** Where a launched file runs: its workspace root, else its own folder. */
export function launchFolder(file: string, roots: readonly string[]): string {
  return roots.find((r) => !path.relative(r, file).startsWith('..')) ?? path.dirname(file);
}
