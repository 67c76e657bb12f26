// Which file a process runs and which Python version a file's path names: plain /proc and string
// work with no memory reads and no koffi, shared by locate (attaching) and the process list.
import * as fs from 'fs';
import { procError } from './maps';

export const LIBPYTHON = /\/libpython(\d)\.(\d+)[a-z]*\.so/;
const PYTHON_NAME = /(?:^|\/)python(\d)(?:\.(\d+))?[a-z]*$/;

export function executableOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch (e) {
    throw procError(pid, e);
  }
}

/** Version named by a file path (`libpython3.12.so.1.0`, `python3.11`), if any. */
export function versionFromPath(p: string): [number, number] | undefined {
  const m = LIBPYTHON.exec(p) ?? PYTHON_NAME.exec(p);
  return m && m[2] !== undefined ? [Number(m[1]), Number(m[2])] : undefined;
}
