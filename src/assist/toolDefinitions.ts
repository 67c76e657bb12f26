// The tools pyprof offers an AI assistant, defined once for both hosts: VS Code's language-model
// tools (package.json contributes.languageModelTools must match these; a unit test checks it) and
// the MCP server (`pyprof mcp`). Annotations follow MCP's ToolAnnotations: tools that launch or
// attach say so (readOnlyHint false / openWorldHint true), so a client asks the user first.

export type ToolName =
  | 'pyprof_profile'
  | 'pyprof_attach'
  | 'pyprof_dump_stacks'
  | 'pyprof_top_functions'
  | 'pyprof_hot_lines'
  | 'pyprof_callers'
  | 'pyprof_compare';

export interface ToolAnnotations {
  title: string;
  /** Changes nothing outside pyprof's own temporary files. */
  readOnlyHint: boolean;
  /** May do things that cannot be undone (running a program does whatever that program does). */
  destructiveHint: boolean;
  idempotentHint: boolean;
  /** Reaches outside the loaded profile: starts a program, reads another process. */
  openWorldHint: boolean;
}

export interface ToolDefinition {
  name: ToolName;
  /** Short user-facing name (VS Code displayName, MCP title). */
  title: string;
  /** What the model reads to decide when and how to call it. */
  description: string;
  inputSchema: { type: 'object'; properties: Record<string, object>; required?: string[] };
  annotations: ToolAnnotations;
  /** Launches a program or reads another process: the user confirms each call. */
  needsConsent: boolean;
}

const profileRef = {
  type: 'string',
  description: "A profile file (speedscope, collapsed, pprof, pstats, …) under the workspace root, or one a pyprof tool recorded. Omit for the current profile (the last one recorded or opened).",
};
const limit = { type: 'integer', minimum: 1, maximum: 200, description: 'How many rows to return (default 15).' };
const rate = { type: 'number', minimum: 1, maximum: 10000, description: 'Samples per second (default 100).' };

const query = (title: string): ToolAnnotations => ({ title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });

export const TOOLS: readonly ToolDefinition[] = [
  {
    name: 'pyprof_profile',
    title: 'Profile a Python program',
    description:
      'Runs a Python file (or a command) under the pyprof sampling profiler until it exits or durationSeconds pass, loads the profile, and returns its top functions with their hottest lines (file:line, share of samples, sample counts). Use it to find out why a program is slow. The program really runs: it can read and write files.',
    inputSchema: {
      type: 'object',
      properties: {
        file: { type: 'string', description: 'The Python file to run, relative to the workspace root (in VS Code: default the active editor\'s file).' },
        args: { type: 'array', items: { type: 'string' }, description: "Arguments passed to the file's program." },
        command: { type: 'array', items: { type: 'string' }, description: 'Instead of file: a whole command to run, e.g. ["python3", "-m", "mypkg", "--fast"] (its first Python process is sampled).' },
        durationSeconds: { type: 'number', exclusiveMinimum: 0, description: 'Stop after this many seconds (default: when the program exits, at most the cap, 300 s unless configured).' },
        rate,
      },
    },
    annotations: { title: 'Profile a Python program', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    needsConsent: true,
  },
  {
    name: 'pyprof_attach',
    title: 'Profile a running Python process',
    description:
      'Samples a running Python process (by PID) from outside for durationSeconds without changing or stopping it, loads the profile, and returns its top functions with their hottest lines. Needs permission to read that process (same user, or root).',
    inputSchema: {
      type: 'object',
      properties: {
        pid: { type: 'integer', minimum: 1, description: 'Process ID of the running Python program.' },
        durationSeconds: { type: 'number', exclusiveMinimum: 0, description: 'How long to sample (at most the cap, 300 s unless configured).' },
        rate,
      },
      required: ['pid', 'durationSeconds'],
    },
    annotations: { title: 'Profile a running Python process', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    needsConsent: true,
  },
  {
    name: 'pyprof_dump_stacks',
    title: 'Dump Python stacks',
    description:
      "Reads every thread's current Python stack of a running process once (innermost call first, function (file:line), thread name, whether it holds the GIL or is idle), like py-spy dump. Use it to see where a hung or busy program is right now.",
    inputSchema: {
      type: 'object',
      properties: { pid: { type: 'integer', minimum: 1, description: 'Process ID of the running Python program.' } },
      required: ['pid'],
    },
    annotations: { title: 'Dump Python stacks', readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    needsConsent: true,
  },
  {
    name: 'pyprof_top_functions',
    title: 'Top functions of the profile',
    description: 'Functions of a profile by own time (self) with total time and the hottest line of each (file:line, shares of all samples, sample counts or time).',
    inputSchema: { type: 'object', properties: { profile: profileRef, limit } },
    annotations: query('Top functions of the profile'),
    needsConsent: false,
  },
  {
    name: 'pyprof_hot_lines',
    title: 'Hot lines of a file',
    description: "The lines of one source file with the most samples in a profile (file:line, own and total share, sample counts, the line's source text).",
    inputSchema: {
      type: 'object',
      properties: { file: { type: 'string', description: 'The source file (relative to the workspace root, absolute, or its name as the profile has it).' }, profile: profileRef, limit },
      required: ['file'],
    },
    annotations: query('Hot lines of a file'),
    needsConsent: false,
  },
  {
    name: 'pyprof_callers',
    title: 'Callers of a function',
    description: 'Who calls a function in a profile, by call site (caller function, file:line of the call), with the share of samples spent in the function through each.',
    inputSchema: {
      type: 'object',
      properties: {
        function: { type: 'string', description: 'Function name, plain (`render`) or qualified (`Report.render`).' },
        file: { type: 'string', description: 'Only the function defined in this file (when several share the name).' },
        profile: profileRef,
        limit,
      },
      required: ['function'],
    },
    annotations: query('Callers of a function'),
    needsConsent: false,
  },
  {
    name: 'pyprof_compare',
    title: 'Compare two profiles',
    description:
      'Compares two profiles (base = before, new = after a change): functions and lines that got significantly slower or faster, by share of samples with a confidence interval, like `pyprof diff`.',
    inputSchema: {
      type: 'object',
      properties: {
        base: { ...profileRef, description: 'The "before" profile file.' },
        new: { ...profileRef, description: 'The "after" profile file; omit for the current profile.' },
        limit,
      },
      required: ['base'],
    },
    annotations: query('Compare two profiles'),
    needsConsent: false,
  },
];

export function toolNamed(name: string): ToolDefinition | undefined {
  return TOOLS.find((t) => t.name === name);
}
