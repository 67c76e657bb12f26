// What the native-frame tests share: whether libunwind and a C compiler are here (a reason string
// to skip with when not), the test C extension built for one interpreter, and counting samples
// in which a native function sits above a given Python frame.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { fixture, tmpDir, Interpreter } from '../helpers';
import { parseCollapsed } from './cli-support';

const LIBUNWIND = ['/usr/lib/x86_64-linux-gnu/libunwind-ptrace.so.0', '/usr/lib/x86_64-linux-gnu/libunwind-x86_64.so.8'];
export const noLibunwind = LIBUNWIND.some((p) => !fs.existsSync(p)) ? 'libunwind8 is not installed (scripts/setup.mjs installs it as root)' : undefined;
export const noCc = spawnSync('cc', ['--version']).status === 0 ? undefined : 'no C compiler (cc) to build the test extension';

/**
 * Builds test/fixtures/native/spinmod.c for `interp` into a fresh directory; a reason string when it
 * cannot. `debugInfo`: with -g (DWARF line info, so its frames carry spinmod.c:line).
 */
export function buildExtension(interp: Interpreter, opts: { debugInfo?: boolean } = {}): { dir: string } | string {
  const q = spawnSync(interp.path, ['-c', "import sysconfig; print(sysconfig.get_paths()['include']); print(sysconfig.get_config_var('EXT_SUFFIX') or '.so')"], { encoding: 'utf8' });
  if (q.status !== 0) return `cannot ask ${interp.label} for its include directory`;
  const [include, suffix] = q.stdout.trim().split('\n');
  if (!fs.existsSync(path.join(include, 'Python.h'))) return `${interp.label} has no Python.h (${include}): install its -dev package`;
  const dir = tmpDir('pyprof-native-');
  const r = spawnSync('cc', ['-O1', ...(opts.debugInfo ? ['-g'] : []), '-shared', '-fPIC', `-I${include}`, fixture('native/spinmod.c'), '-o', path.join(dir, `spinmod${suffix}`)], { encoding: 'utf8' });
  if (r.status !== 0) return `cc failed: ${r.stderr}`;
  return { dir };
}

export function hasNumpy(interp: Interpreter): boolean {
  return spawnSync(interp.path, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
}

/** Samples (collapsed text) in which frame `python` (text prefix) has a frame matching `native` somewhere above it. */
export function samplesUnder(text: string, python: string, native: RegExp): number {
  let n = 0;
  for (const s of parseCollapsed(text)) {
    const at = s.frames.findIndex((f) => f.startsWith(python));
    if (at >= 0 && s.frames.slice(at + 1).some((f) => native.test(f))) n += s.count;
  }
  return n;
}
