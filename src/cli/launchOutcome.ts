// How a launched command ended, as record reports it: pyprof's exit status is the command's own
// (as `time` and `strace` do), and a command that failed before any of its code ran (a mistyped
// script name, a missing module) is said to have done so instead of showing a table of the
// interpreter's start-up.

import * as os from 'os';
import type { ChildExit } from '../engine/launch';
import type { Profile } from '../profile/model';

/** The shell's convention: the exit code, or 128 + the signal number when killed by a signal. */
export function exitStatusOf(exit: ChildExit): number {
  if (exit.signal) return 128 + (os.constants.signals[exit.signal] ?? 0);
  return exit.code ?? 1;
}

/**
 * Frames that belong to starting the interpreter, not to the program: frozen importlib and site
 * (2.7's too: its site.py imports sysconfig before the script is opened, and a sample taken there
 * showed a table of start-up for a mistyped script name).
 */
const STARTUP_FILE = /^<frozen |\/lib\/python(?:2\.7|3\.\d+t?)\/(site|_sitebuiltins|sitecustomize|codecs|io|abc|os|stat|posixpath|genericpath|_collections_abc|_distutils_hack\/__init__)\.py$|\/lib\/python(?:2\.7|3\.\d+t?)\/encodings\/|\/(sitecustomize|usercustomize)\.py$/;

/**
 * True when some sampled stack started in the program's own code (its script, `-c` code, or runpy
 * running `-m`) rather than in interpreter start-up. Synthetic roots (`process PID: …`, thread
 * roots; no file) are looked through.
 */
export function ranProgramCode(profile: Profile): boolean {
  const isSynthetic = (node: number) => profile.frames[profile.nodes[node].frame].file === '';
  for (let n = 0; n < profile.nodes.length; n++) {
    const node = profile.nodes[n];
    const outermost = node.parent < 0 ? !isSynthetic(n) : isSynthetic(node.parent) && !isSynthetic(n);
    if (outermost && !STARTUP_FILE.test(profile.frames[node.frame].file)) return true;
  }
  return false;
}
