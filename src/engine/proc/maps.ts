// /proc/PID/maps: which files are mapped where. We need the mappings of the executable and of
// libpython to find the interpreter's symbols and their load bias.
import * as fs from 'fs';
import { EngineError } from '../types';
import { permissionDenied } from './permission';

export interface Mapping {
  start: number;
  end: number;
  perms: string;
  offset: number;
  inode: number;
  path: string;
}

export function readMaps(pid: number): Mapping[] {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch (e) {
    throw procError(pid, e);
  }
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ (\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({ start: parseInt(m[1], 16), end: parseInt(m[2], 16), perms: m[3], offset: parseInt(m[4], 16), inode: Number(m[5]), path: m[6] });
  }
  return out;
}

/** Turns an fs error on /proc/PID/... into the engine error a user can act on. */
export function procError(pid: number, e: unknown): EngineError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ESRCH') return new EngineError('NO_SUCH_PROCESS', `no process with pid ${pid}`);
  if (code === 'EACCES' || code === 'EPERM') return permissionDenied(pid, `reading ${(e as NodeJS.ErrnoException).path ?? `/proc/${pid}`}`, code);
  return new EngineError('READ_FAILED', `cannot read /proc/${pid}: ${(e as Error)?.message ?? e}`);
}
