// What the user reads when profiling fails: one sentence saying what happened and what to do, from
// the engine's error code (src/engine/types.ts EngineErrorCode, carried by the CLI's `error` event).
// Pure (no vscode import): the extension shows `message` and offers `actions`.

export interface UserError {
  message: string;
  /** Buttons: label → what the extension does (open a URL / run a command / copy text). */
  actions: ErrorAction[];
}

export type ErrorAction =
  | { label: string; kind: 'copy'; text: string }
  | { label: string; kind: 'command'; command: string; args?: unknown[] }
  | { label: string; kind: 'showOutput' };

export const PTRACE_FIX_COMMAND = 'echo 0 | sudo tee /proc/sys/kernel/yama/ptrace_scope';

/**
 * `code`/`message` come from the CLI's error event; `target` names what we tried to profile
 * ("process 1234" / "script.py") for the sentence.
 */
export function describeEngineError(code: string, message: string, target: string, nodePath = 'node'): UserError {
  const detail = message ? ` (${message.replace(/\s+$/, '')})` : '';
  // The engine's messages are whole sentences naming the process; lead with them when present.
  const lead = (fallback: string) => (message ? sentence(message) : fallback);
  switch (code) {
    case 'PERMISSION_DENIED': {
      // The engine's message says what failed and the advice that fits this machine (it mentions
      // Yama only when the kernel has it, sudo only when not already root): show it as it is, and
      // offer the ptrace_scope command only when that is the advice.
      const yamaFix = !message || /ptrace_scope (is )?1\b/.test(message);
      const launch = { label: 'Profile Current File', kind: 'command', command: 'pyprof.profileFile' } as const;
      if (message) {
        return {
          message: `pyprof is not allowed to read ${target}'s memory: ${sentence(message)}`,
          actions: yamaFix ? [{ label: 'Copy Fix Command', kind: 'copy', text: PTRACE_FIX_COMMAND }, launch] : [launch],
        };
      }
      return {
        message:
          `pyprof is not allowed to read ${target}'s memory. ` +
          `Linux restricts reading other processes (ptrace). Fix: allow it for this session with ` +
          `\`${PTRACE_FIX_COMMAND}\`, or grant the capability with \`sudo setcap cap_sys_ptrace+ep ${nodePath}\`, ` +
          `or start the program from VS Code with "pyprof: Profile Current File" (a child process can always be read).`,
        actions: [{ label: 'Copy Fix Command', kind: 'copy', text: PTRACE_FIX_COMMAND }, launch],
      };
    }
    case 'UNSUPPORTED_VERSION':
      return {
        message: `${lead(`${cap(target)} runs a Python version pyprof cannot read.`)} pyprof reads CPython 2.7 and 3.6 to 3.14.`,
        actions: [{ label: 'Select Interpreter', kind: 'command', command: 'python.setInterpreter' }],
      };
    case 'NOT_PYTHON':
      return {
        message: `${lead(`${cap(target)} is not a CPython interpreter.`)} Pick a process from the list (it shows the Python processes pyprof recognises) or enter the PID of a python process.`,
        actions: [{ label: 'Attach to Process…', kind: 'command', command: 'pyprof.attach' }],
      };
    case 'NO_SUCH_PROCESS':
      return {
        message: `${cap(target)} does not exist (it may have exited)${detail}.`,
        actions: [{ label: 'Attach to Process…', kind: 'command', command: 'pyprof.attach' }],
      };
    case 'PROCESS_EXITED':
      return { message: `${cap(target)} exited before pyprof could sample it${detail}.`, actions: [{ label: 'Show Output', kind: 'showOutput' }] };
    case 'INTERPRETER_NOT_FOUND':
      return {
        message: `No Python interpreter found${detail}. Select one with the Python extension, or set "pyprof.pythonPath".`,
        actions: [
          { label: 'Open Settings', kind: 'command', command: 'workbench.action.openSettings', args: ['pyprof.pythonPath'] },
        ],
      };
    case 'LAUNCH_FAILED':
      return { message: `Could not start ${target}${detail}.`, actions: [{ label: 'Show Output', kind: 'showOutput' }] };
    case 'READ_FAILED':
      return {
        message: `pyprof could not read ${target}'s interpreter state${detail}. The process may be a build pyprof does not understand yet.`,
        actions: [{ label: 'Show Output', kind: 'showOutput' }],
      };
    default:
      return { message: `Profiling ${target} failed${detail || (code ? ` (${code})` : '')}.`, actions: [{ label: 'Show Output', kind: 'showOutput' }] };
  }
}

function sentence(s: string): string {
  const t = cap(s.trim());
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

function cap(s: string): string {
  return s.length > 0 ? s[0].toUpperCase() + s.slice(1) : s;
}

/** Why profiling commands refuse in an untrusted workspace. */
export const UNTRUSTED_MESSAGE =
  "Profiling a file needs a trusted workspace: it runs the workspace's Python interpreter and code. " +
  'Trust the workspace to profile it. Opening a saved profile and attaching to a running process work without trust.';
