// `pyprof` (dist/cli.js): loads the CLI bundle (dist/cliMain.js) through V8's code cache.
//
// Node compiles a script's functions as they are first called; for `pyprof record` that is the
// argument parser, the engine, the walker and the recorder, tens of ms before the first sample on
// every run. V8 can save what it compiled (cachedData) and take it back on the next run, skipping
// the compile. Node 20 has no built-in compile cache for CommonJS, so this loader does it: one
// cache file per command and bundle, written once at exit when missing or rejected, in the user's
// own cache directory (~/.cache/pyprof, mode 700): cached bytecode is code, so it is never read
// from a place another user could write, nor through a symlink. Everything about the cache is
// best effort: any failure means the bundle is compiled as it would be without it.
// (measured in `npm run bench -- --only=cost`, part 5). PYPROF_NO_CODE_CACHE=1 turns it off.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import { setFlagsFromString } from 'v8';
import Module = require('module');
import { writeFileAtomic } from './files/safeFiles';
import { shareOneMallocArena } from './engine/native/mallocArenas';

const bundle = path.join(__dirname, 'cliMain.js');
const COMMANDS = new Set(['record', 'top', 'dump', 'convert', 'diff', 'mcp']);

/** The cache file for this bundle (inode, size, mtime: a rebuild gets a new one), command and node. */
function cacheFile(st: fs.Stats): string | undefined {
  if (process.env.PYPROF_NO_CODE_CACHE === '1' || typeof process.getuid !== 'function') return undefined;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(base, 'pyprof', 'code-cache');
  const command = COMMANDS.has(process.argv[2]) ? process.argv[2] : 'other';
  // the bundle's place first: checkouts and installs side by side keep their own caches
  return path.join(dir, `${command}-${fnv1a(bundle)}-${process.version}-${process.arch}-${st.ino}-${st.size}-${Math.round(st.mtimeMs)}.v8cache`);
}

/** 32-bit FNV-1a of a string, in hex (a name, not a security measure). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

/** The cache's bytes if it is a regular file of ours in a directory of ours, else undefined. */
function readCache(file: string): Buffer | undefined {
  const uid = process.getuid!();
  try {
    const dir = fs.lstatSync(path.dirname(file));
    if (!dir.isDirectory() || dir.uid !== uid || (dir.mode & 0o022) !== 0) return undefined;
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.uid !== uid) return undefined;
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Writes the cache atomically (safeFiles), in a directory of ours; removes older ones of the command. */
function writeCache(file: string, data: Buffer): void {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== process.getuid!()) return;
    const prefix = path.basename(file).split('-').slice(0, 2).join('-') + '-'; // this command of this bundle
    for (const old of fs.readdirSync(dir)) {
      if (old.startsWith(prefix) && old !== path.basename(file)) fs.rmSync(path.join(dir, old), { force: true });
    }
    writeFileAtomic(file, data); // random exclusive temp name beside it, no symlink followed, renamed into place
  } catch {
    /* best effort: the next run compiles as usual */
  }
}

/**
 * V8 flags for a sampling command, set here, before the bundle is compiled: V8 rejects a code
 * cache made under other flags, and these are the same on every run.
 *
 * - A sampler's garbage lives for one sample (the recorder keeps ids and packed runs), yet under a
 *   steady allocation rate V8 doubles the young generation (semi-spaces 8 → 16 MB after about a
 *   minute at 1 kHz), and those pages stay resident: RSS grew in 8 MB steps unrelated to anything
 *   kept. Its starting size holds far more than a sample's garbage. (--max-semi-space-size is read
 *   only at start-up; the growth factor is read at each resize, so it works from here.)
 * - The walker runs a few hundred bytecodes a sample, so at 100 Hz V8's default budget (67,584
 *   bytecodes' worth before a function is looked at for optimising) kept it in baseline code for
 *   the first ~20 s, 3-5x slower, with the compiler threads busy all that time. An eighth of that
 *   budget optimises it within seconds: sampler CPU at 100 Hz (1 thread, 3.12, 4-10 s after the
 *   start, main thread + V8's threads) 3.7-5.4 % against 4.6-8.4 % (interleaved runs); over 2-52
 *   s the same (2.8-3.0 % against 2.7-3.1 %): it helps short recordings. A lower budget (2,048)
 *   optimised before the type feedback settled and deoptimised again: no better.
 */
function tuneV8ForSampling(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--interrupt-budget=8192');
}

function load(): void {
  if (process.argv[2] === 'record' || process.argv[2] === 'top') {
    tuneV8ForSampling();
    shareOneMallocArena(); // before the bundle is compiled: engine/native/mallocArenas.ts
  }
  const st = fs.statSync(bundle);
  const cache = cacheFile(st);
  const source = fs.readFileSync(bundle, 'utf8');
  const cachedData = cache ? readCache(cache) : undefined;
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const help = process.argv.includes('--help') || process.argv.includes('-h');
  if (cache && !help && (!cachedData || script.cachedDataRejected)) {
    // at exit: the functions this command compiled while it ran are in the cache too, so only a
    // run that did the command's work (not its help, not a usage error) leaves one
    process.once('exit', (code) => {
      if (code === 0) writeCache(cache, script.createCachedData());
    });
  }
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  const req = ((id: string) => mod.require(id)) as NodeJS.Require;
  req.resolve = ((request: string) => (Module as unknown as { _resolveFilename(r: string, m: Module): string })._resolveFilename(request, mod)) as NodeJS.RequireResolve;
  req.main = require.main;
  req.cache = require.cache;
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  fn.call(mod.exports, mod.exports, req, mod, bundle, __dirname);
}

load();
