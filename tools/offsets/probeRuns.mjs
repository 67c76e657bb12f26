// What both offset generators share (generate.mjs: offsets.json, generateObjects.mjs:
// objectOffsets.json): the interpreters to measure, and compiling one probe against one
// interpreter's own headers and reading the JSON it prints.
import { execFileSync } from 'child_process';
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';

/** The Python roots named on the command line, or every pyenv version installed here. */
export function pythonRoots(argv) {
  const roots = [...argv];
  if (roots.length === 0 && existsSync('/root/.pyenv/versions')) {
    for (const v of readdirSync('/root/.pyenv/versions')) roots.push(join('/root/.pyenv/versions', v));
  }
  return roots;
}

/** Compiles `probe` (a .c file beside this one) against `inc` and returns the JSON it prints. */
export function runProbe(here, probe, inc, exe) {
  execFileSync('cc', ['-I', inc, '-I', join(inc, 'internal'), join(here, probe), '-o', exe], { stdio: 'inherit' });
  return JSON.parse(execFileSync(exe, { encoding: 'utf8' }));
}
