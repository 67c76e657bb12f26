// Native frames (--native) in the pure parts: merging a native stack with Python frames (eval
// frames replaced, 3.11+ runs of frames per eval call, interpreter machinery dropped between
// Python frames, a truncated unwind), and what a profile with native frames shows: hot lines stay
// on the Python line calling C, whose hover names the C functions, and the flame feed tags them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mergeStacks } from '../../src/engine/nativeframes/merge';
import type { NativeSymbol } from '../../src/engine/nativeframes/symbols';
import { findSymbol } from '../../src/engine/nativeframes/symbols';
import type { PyFrame } from '../../src/engine/types';
import { ProfileBuilder } from '../../src/profile/model';
import { isNativeFile, nativeFile, nativeLeavesUnderLine, nativeModuleName, parseNativeFile } from '../../src/profile/nativeFrames';
import { formatDump } from '../../src/cli/dumpFormat';
import type { ProcessInfo, Snapshot } from '../../src/engine/types';
import { computeStats } from '../../src/profile/summary';
import { buildPathTable } from '../../src/profile/pathMap';
import { buildFileTables } from '../../src/server/fileTables';
import { lineHover } from '../../src/server/hoverText';
import { buildProfileIndex } from '../../src/server/profileIndex';
import { buildFlameFeed, DEFAULT_FLAME_FEED } from '../../src/ui/flame/flameFeed';

const LIBPY = '/usr/lib/libpython3.11.so.1.0';
const sym = (name: string, module = LIBPY): NativeSymbol => ({ name, module, evalLoop: /EvalFrame/.test(name), interpreter: module === LIBPY });
const py = (name: string, line: number): PyFrame => ({ name, file: '/app/a.py', line, firstLine: 1 });
const frameOf = (s: NativeSymbol): PyFrame => ({ name: s.name, file: nativeFile(s.module), line: 0, firstLine: 0 });
const names = (fs: PyFrame[]) => fs.map((f) => f.name);

test('≤3.10: each eval frame stands for one Python frame; interpreter frames between Python frames and below the outermost are dropped', () => {
  const native = [
    sym('spin_inner', '/x/spinmod.so'), sym('spin', '/x/spinmod.so'), sym('cfunction_call'),
    sym('_PyEval_EvalFrameDefault'), sym('_PyFunction_Vectorcall'), sym('_PyEval_EvalFrameDefault'),
    sym('map_next'), sym('callback_trampoline', '/x/ext.so'), sym('_PyEval_EvalFrameDefault'),
    sym('Py_RunMain'), sym('__libc_start_main', '/lib/libc.so.6'),
  ];
  const merged = mergeStacks([py('inner', 5), py('middle', 9), py('outer', 20)], undefined, native, frameOf);
  assert.deepEqual(names(merged), ['spin_inner', 'spin', 'cfunction_call', 'inner', 'middle', 'callback_trampoline', 'outer']);
});

test('3.11+: one eval call runs Python frames up to its entry frame', () => {
  const native = [sym('deflate', '/lib/libz.so.1'), sym('_PyEval_EvalFrameDefault'), sym('gen_send_ex'), sym('_PyEval_EvalFrameDefault')];
  const merged = mergeStacks([py('a', 1), py('b', 2), py('c', 3), py('d', 4)], [false, true, false, true], native, frameOf);
  assert.deepEqual(names(merged), ['deflate', 'a', 'b', 'c', 'd']);
});

test('an unwind that stops early keeps every Python frame; a thread without Python keeps its whole native stack', () => {
  const cut = mergeStacks([py('matmul', 29), py('<module>', 38)], undefined, [sym('dgemm_kernel', '/x/libopenblas.so'), sym('inner_thread', '/x/libopenblas.so')], frameOf);
  assert.deepEqual(names(cut), ['dgemm_kernel', 'inner_thread', 'matmul', '<module>']);
  const worker = mergeStacks([], undefined, [sym('blas_thread_server', '/x/libopenblas.so'), sym('start_thread', '/lib/libc.so.6')], frameOf);
  assert.deepEqual(names(worker), ['blas_thread_server', 'start_thread']);
});

test('symbol lookup: the covering symbol, aliases at one address, nothing past a sized symbol', () => {
  const syms = [{ addr: 0x1000, size: 0x100, name: 'f' }, { addr: 0x2000, size: 0x40, name: 'g_big' }, { addr: 0x2000, size: 0x10, name: 'g' }];
  assert.equal(findSymbol(syms, 0x10ff)?.name, 'f');
  assert.equal(findSymbol(syms, 0x1100), undefined);
  assert.equal(findSymbol(syms, 0x2020)?.name, 'g_big');
  assert.equal(findSymbol(syms, 0xfff), undefined);
});

function nativeProfile() {
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const t = b.internThread(1, 'MainThread');
  const main = { name: '<module>', file: '/srv/app.py', firstLine: 0, line: 9 };
  const call = { name: 'work', file: '/srv/app.py', firstLine: 3, line: 4 };
  const blas = (fn: string) => ({ name: fn, file: nativeFile('/usr/lib/x86_64-linux-gnu/blas/libblas.so.3'), firstLine: 0, line: 0 });
  b.addSample(t, b.internStack([main, call, blas('cblas_dgemm'), blas('dgemm_')]), 63);
  b.addSample(t, b.internStack([main, call, blas('cblas_dgemm')]), 17);
  b.addSample(t, b.internStack([main, call]), 20);
  return b.profile;
}

test('hot lines stay on the Python line calling native code; its hover names the C functions', () => {
  const profile = nativeProfile();
  const stats = computeStats(profile);
  const hot = [...stats.lines].flatMap(([file, lines]) => [...lines].filter(([, s]) => s.self > 0).map(([line, s]) => [file, line, s.self]));
  assert.deepEqual(hot, [['/srv/app.py', 4, 100]]);
  assert.deepEqual(nativeLeavesUnderLine(profile, new Set(['/srv/app.py']), 4).map((r) => [r.name, r.module, r.fraction]), [
    ['dgemm_', 'libblas.so.3', 0.63], ['cblas_dgemm', 'libblas.so.3', 0.17],
  ]);
  const ix = buildProfileIndex(profile);
  const paths = buildPathTable(['/srv/app.py'], { mappings: [], exists: () => true });
  const table = buildFileTables(ix, paths).get('/srv/app.py')!;
  const md = lineHover({ index: ix, localPathOf: (p) => paths.toLocal.get(p) }, table, table.lines.find((l) => l.line === 4)!, 3);
  assert.match(md, /\*\*Native code under this line\*\*\n\n- 63\.0% in `dgemm_` \(libblas\.so\.3\)\n- 17\.0% in `cblas_dgemm` \(libblas\.so\.3\)/);
});

test('the flame feed tags native frames and gives them no file to open', () => {
  const feed = buildFlameFeed(nativeProfile(), 'p');
  const frames = (JSON.parse(feed.json) as { shared: { frames: Array<{ name: string; file?: string }> } }).shared.frames;
  const native = frames.filter((f) => f.name.startsWith('[native] '));
  assert.deepEqual(native.map((f) => [f.name, f.file]).sort(), [['[native] cblas_dgemm (libblas.so.3)', undefined], ['[native] dgemm_ (libblas.so.3)', undefined]]);
});

test('a native frame with a DWARF source line: its file names the source and the module, the hover and flame feed show the line', () => {
  const file = nativeFile('/tmp/x/spinmod.so', '/src/spinmod.c');
  assert.equal(file, '/src/spinmod.c [native /tmp/x/spinmod.so]');
  assert.ok(isNativeFile(file) && isNativeFile(nativeFile('/lib/libz.so.1')) && !isNativeFile('/srv/app.py') && !isNativeFile('/srv/[x] [y].py'));
  assert.deepEqual(parseNativeFile(file), { module: '/tmp/x/spinmod.so', source: '/src/spinmod.c' });
  assert.deepEqual(parseNativeFile(nativeFile('/lib/libz.so.1')), { module: '/lib/libz.so.1' });
  assert.equal(nativeModuleName(file), 'spinmod.so');

  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const t = b.internThread(1, 'MainThread');
  const main = { name: '<module>', file: '/srv/app.py', firstLine: 0, line: 9 };
  const call = { name: 'work', file: '/srv/app.py', firstLine: 3, line: 4 };
  const spin = (line: number, source = '/src/spinmod.c') => ({ name: 'spin_inner', file: nativeFile('/tmp/x/spinmod.so', source), firstLine: 7, line });
  b.addSample(t, b.internStack([main, call, spin(9)]), 70);
  b.addSample(t, b.internStack([main, call, spin(8)]), 10);
  b.addSample(t, b.internStack([main, call, spin(3, '/src/util.h')]), 20); // inlined header code: the same function
  const profile = b.profile;
  assert.deepEqual(nativeLeavesUnderLine(profile, new Set(['/srv/app.py']), 4).map((r) => [r.name, r.module, r.source, r.fraction]), [['spin_inner', 'spinmod.so', 'spinmod.c:9', 1]]);
  const ix = buildProfileIndex(profile);
  const paths = buildPathTable(['/srv/app.py'], { mappings: [], exists: () => true });
  const table = buildFileTables(ix, paths).get('/srv/app.py')!;
  const md = lineHover({ index: ix, localPathOf: (p) => paths.toLocal.get(p) }, table, table.lines.find((l) => l.line === 4)!, 3);
  assert.match(md, /- 100(\.0)?% in `spin_inner` \(spinmod\.c:9, spinmod\.so\)/);
  assert.match(md, /`spin_inner` — spinmod\.c:7 \\\[native spinmod\.so\\\]/, 'the callee list names the C function.s first line');
  const frames = (JSON.parse(buildFlameFeed(profile, 'p').json) as { shared: { frames: Array<{ name: string; file?: string; line?: number }> } }).shared.frames;
  assert.deepEqual(frames.filter((f) => f.name.startsWith('[native] ')).map((f) => [f.name, f.file, f.line]).sort(), [
    ['[native] spin_inner (spinmod.so)', '/src/spinmod.c', 7], ['[native] spin_inner (spinmod.so)', '/src/util.h', 7],
  ]);
  const byLine = (JSON.parse(buildFlameFeed(profile, 'p', { ...DEFAULT_FLAME_FEED, frames: 'line' }).json) as { shared: { frames: Array<{ name: string; file?: string; line?: number }> } }).shared.frames;
  assert.ok(byLine.some((f) => f.name === '[native] spin_inner:9 (spinmod.so)' && f.file === '/src/spinmod.c' && f.line === 9), JSON.stringify(byLine));
  const dump = formatDump({
    info: { pid: 1, version: '3.12.1', executable: '/usr/bin/python3' } as ProcessInfo,
    snapshot: { threads: [{ pid: 1, tid: 1, threadId: 1, name: '', holdsGil: true, active: true, frames: [spin(9), { name: 'f', file: nativeFile('/lib/libz.so.1'), line: 0, firstLine: 0 }] }] } as unknown as Snapshot,
  });
  assert.match(dump, /\n {4}spin_inner \(\/src\/spinmod\.c:9 in \/tmp\/x\/spinmod\.so\) \[native\]\n {4}f \(\/lib\/libz\.so\.1\) \[native\]\n/);
});
