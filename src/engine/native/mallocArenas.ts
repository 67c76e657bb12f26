// A long recording's malloc memory (issue 18: sampler RSS after an hour at 100 Hz). Besides V8's
// heap, a Node process mallocs from several threads: V8's compiler and GC threads (TurboFan zones,
// marking work lists), libuv's pool (the journal's fsync), koffi. glibc gives each thread that
// meets a locked arena one of its own (up to 8 per core) and keeps what is freed there for reuse.
// In `pyprof record` at 100 Hz that was 6-7 MB of anonymous memory beyond the V8 heap (~10 MB,
// unchanged): RSS 66.2 -> 59.9 MB after 60 s with this (medians of 3 side-by-side runs, bench cost
// part 4; MALLOC_ARENA_MAX=1 in the environment gives the same).
//
// The environment variable only works when set before the process starts, so the CLI's loader asks
// glibc itself before the bundle is compiled (mallopt M_ARENA_MAX: threads that have not yet taken
// an arena share the main one; node's own threads that already have one keep it), and record/top
// give freed memory back every TRIM_EVERY_MS (malloc_trim walks every arena: ~0.15 ms, about 50 ms
// of CPU an hour). Only in processes that are ours alone (pyprof record / top), never in an
// editor's. Without glibc or koffi: nothing changes.

import type * as Koffi from 'koffi';
import { loadLibc } from './libc';

const M_ARENA_MAX = -8;
const TRIM_EVERY_MS = 10_000;

/**
 * Makes threads that have not malloc'd yet share the main arena (mallopt M_ARENA_MAX 1). Call it
 * first thing: V8's compiler and GC threads take their arena at their first malloc, which comes
 * with the first compiles. Best effort: without glibc or koffi, malloc stays as it was.
 */
export function shareOneMallocArena(): void {
  try {
    // this one function only: the CLI's loader calls it before the engine (and loadLibc) is loaded
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const koffi = require('koffi') as typeof Koffi;
    koffi.load('libc.so.6').func('int mallopt(int param, int value)')(M_ARENA_MAX, 1);
  } catch {
    /* no libc binding, or a libc without mallopt: the default arenas */
  }
}

/** Gives freed malloc memory back to the kernel every 10 s until the returned function is called. */
export function trimMallocPeriodically(): () => void {
  let trim: (pad: number) => number;
  try {
    trim = loadLibc().malloc_trim;
  } catch {
    return () => undefined;
  }
  const timer = setInterval(() => {
    try {
      trim(0);
    } catch {
      clearInterval(timer);
    }
  }, TRIM_EVERY_MS);
  timer.unref(); // never what keeps the process alive
  return () => clearInterval(timer);
}
