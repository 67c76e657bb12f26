// Hostile profile files (issue 21, point 11): a seeded mutation fuzzer over one real file of every
// import format (speedscope, collapsed, pprof raw and gzipped, cProfile/pstats, austin, a recording
// journal), plus hand-made worst cases (10 MB names, 100k-deep JSON, NaN/negative/huge numbers,
// out-of-range indexes, `</script>`, U+2028). Every input must either import into a profile that
// survives what the editor does next (stats, speedscope export, JSON for the webview) or fail with
// a ProfileFormatError (src/profile/formats/errors.ts): any other exception is a bug, and so is a
// hang (the test's timeout). Deterministic: PYPROF_FUZZ_SEED / PYPROF_FUZZ_CASES override the seed
// and the number of cases per seed file (default 300 each) to search further by hand.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { exportProfile, importProfile, ProfileFormatError } from '../../src/profile/formats';
import { exportSpeedscope } from '../../src/profile/formats/speedscope';
import { functionStats, lineStats, type Profile } from '../../src/profile/model';
import { replayJournal } from '../../src/engine/journalReplay';
import { JournalWriter } from '../../src/engine/journal';
import { repoRoot } from '../helpers';
import { seeded as prng } from '../seeded';
import { appProfile } from './server-scenario';

const SEED = Number(process.env.PYPROF_FUZZ_SEED ?? 20211221);
const CASES = Number(process.env.PYPROF_FUZZ_CASES ?? 300);

const HOSTILE_TEXT = [
  '</script><script>alert(1)</script>', '<img src=x onerror=alert(1)>', '\u2028', '\u2029', '\u0000', '"', '\\', '\n', ';', ':', ' ',
  'NaN', 'Infinity', '-1', '-1e309', '1e309', '99999999999999999999999', '4294967296', '-0', '0x7fffffff', '[]', '{}', 'null', '\ud800',
];

function mutate(seed: Buffer, rnd: () => number): Buffer {
  const pick = (n: number) => Math.floor(rnd() * n);
  let b = Buffer.from(seed);
  const steps = 1 + pick(4);
  for (let s = 0; s < steps; s++) {
    const at = pick(b.length + 1);
    switch (pick(7)) {
      case 0: // flip bits
        if (b.length) for (let i = 0; i < 1 + pick(8); i++) b[pick(b.length)] ^= 1 << pick(8);
        break;
      case 1: // truncate
        b = b.subarray(0, at);
        break;
      case 2: // hostile text
        b = Buffer.concat([b.subarray(0, at), Buffer.from(HOSTILE_TEXT[pick(HOSTILE_TEXT.length)]), b.subarray(at)]);
        break;
      case 3: { // duplicate a slice
        const len = pick(Math.min(256, b.length - at + 1));
        b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
        break;
      }
      case 4: // delete a slice
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + pick(64))]);
        break;
      case 5: { // replace a number with a hostile one (text formats)
        const text = b.toString('latin1');
        const nums = [...text.matchAll(/-?\d+(\.\d+)?/g)];
        if (nums.length) {
          const m = nums[pick(nums.length)];
          const repl = ['NaN', '-1', '-99999999', '1e308', '9007199254740993', '0', '2147483648', '1.5'][pick(8)];
          b = Buffer.from(text.slice(0, m.index) + repl + text.slice(m.index! + m[0].length), 'latin1');
        }
        break;
      }
      case 6: // random bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(16) }, () => pick(256))), b.subarray(at)]);
        break;
    }
  }
  return b;
}

const MAX_LINE = 2 ** 31 - 1; // LSP positions are 32-bit

/** What the editor does with an imported profile; none of it may throw, and its numbers are usable. */
function use(p: Profile): void {
  for (const f of p.frames) assert.ok(Number.isInteger(f.line) && f.line >= 0 && f.line <= MAX_LINE && typeof f.name === 'string' && typeof f.file === 'string', `frame ${JSON.stringify(f).slice(0, 200)}`);
  for (const n of p.nodes) assert.ok(Number.isInteger(n.line) && n.line >= 0 && n.line <= MAX_LINE, `node line ${n.line}`);
  for (const s of p.samples) assert.ok(Number.isFinite(s.weight), `sample weight ${s.weight}`);
  functionStats(p);
  lineStats(p);
  const json = exportSpeedscope(p);
  JSON.parse(json); // what the flame panel posts to its webview
  exportProfile(p, 'collapsed');
}

/** Imports `data`; returns 'ok' / 'error', throws on anything but a ProfileFormatError. */
function tryImport(data: Buffer, name: string, label: string): 'ok' | 'error' {
  try {
    const p = name.endsWith('.journal') ? replayJournal(data.toString('utf8'), name).profile : importProfile(data, name);
    use(p);
    return 'ok';
  } catch (e) {
    if (e instanceof ProfileFormatError) return 'error';
    const err = e as Error;
    assert.fail(`${label}: ${err.name}: ${err.message}\n${err.stack?.split('\n').slice(1, 6).join('\n')}\ninput (first 300 bytes): ${JSON.stringify(data.subarray(0, 300).toString('latin1'))}`);
  }
}

function journalSeed(): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyprof-fuzz-'));
  try {
    const start = 1_700_000_000_000;
    const j = JournalWriter.create(path.join(dir, 'p.json'), { pid: 10, command: 'python3 app.py', pythonVersion: '3.12.1', startTime: start, rateHz: 100, processRoots: true, threadRoots: false, output: path.join(dir, 'p.json'), format: 'speedscope' });
    j.process(10, 'python3 app.py');
    for (let i = 0; i < 20; i++) {
      j.snapshot(10, { time: start + i * 10, threads: [{ pid: 10, tid: 10, threadId: 1, name: 'MainThread', holdsGil: true, active: true, frames: [{ name: 'leaf', file: '/app/a.py', line: 12 + (i % 3), firstLine: 10 }, { name: '<module>', file: '/app/a.py', line: 20, firstLine: 1 }] }] });
    }
    j.close();
    return fs.readFileSync(j.file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function seeds(): Array<{ name: string; data: Buffer }> {
  const p = appProfile('/app/hostile.py');
  const pprofGz = exportProfile(p, 'pprof');
  return [
    { name: 'seed.speedscope.json', data: exportProfile(p, 'speedscope') },
    { name: 'seed.collapsed.txt', data: exportProfile(p, 'collapsed') },
    { name: 'seed.pb.gz', data: pprofGz },
    { name: 'seed.pb', data: zlib.gunzipSync(pprofGz) },
    { name: 'workload-3.12.prof', data: fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'formats', 'workload-3.12.prof')) },
    { name: 'seed.austin', data: Buffer.from('# austin: 3.6.0\n# mode: wall\n# interval: 100\nP42;T0:42;/app/a.py:main:5;/app/a.py:leaf:12 300\nP42;T0:42;/app/a.py:main:5 100\nP42;T0:43;/app/b.py:<module>:1;/app/b.py:work:3 200\n') },
    { name: 'seed.journal', data: journalSeed() },
  ];
}

test('every seed imports cleanly before mutation (the fuzzer starts from valid files)', () => {
  for (const s of seeds()) assert.equal(tryImport(s.data, s.name, s.name), 'ok', s.name);
});

test(`mutation fuzz: ${CASES} cases per format, seed ${SEED}: a profile or a ProfileFormatError, never anything else`, { timeout: 240_000 }, () => {
  const tally: string[] = [];
  for (const s of seeds()) {
    const rnd = prng(SEED ^ [...s.name].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
    let ok = 0;
    for (let i = 0; i < CASES; i++) {
      if (tryImport(mutate(s.data, rnd), s.name, `${s.name} case ${i} (seed ${SEED})`) === 'ok') ok++;
    }
    tally.push(`${s.name}: ${ok} imported, ${CASES - ok} rejected`);
  }
  console.log(`# fuzz (seed ${SEED}): ${tally.join('; ')}`);
});

test('hand-made worst cases: huge names, deep nesting, bad numbers, out-of-range indexes', { timeout: 120_000 }, () => {
  const huge = 'x'.repeat(10 * 1024 * 1024);
  const ss = (body: object) => Buffer.from(JSON.stringify({ $schema: 'https://www.speedscope.app/file-format-schema.json', ...body }));
  const frames = (names: string[]) => ({ frames: names.map((name) => ({ name, file: '/a.py', line: 1 })) });
  const sampled = (samples: unknown, weights: unknown, extra: object = {}) => ({ type: 'sampled', name: 't', unit: 'none', startValue: 0, endValue: 10, samples, weights, ...extra });
  const cases: Array<[string, Buffer]> = [
    ['speedscope: 10 MB function name', ss({ shared: frames([huge]), profiles: [sampled([[0]], [1])] })],
    ['speedscope: script and U+2028 in names', ss({ shared: frames(['</script><script>alert(1)</script>', 'a\u2028b\u2029c', '<img src=x onerror=alert(1)>']), profiles: [sampled([[0, 1, 2]], [1])] })],
    ['speedscope: frame index out of range', ss({ shared: frames(['a']), profiles: [sampled([[0, 5]], [1])] })],
    ['speedscope: negative frame index', ss({ shared: frames(['a']), profiles: [sampled([[-1]], [1])] })],
    ['speedscope: NaN weights (as null)', Buffer.from('{"shared":{"frames":[{"name":"a"}]},"profiles":[{"type":"sampled","name":"t","unit":"none","startValue":0,"endValue":1,"samples":[[0]],"weights":[null]}]}')],
    ['speedscope: negative and huge weights', ss({ shared: frames(['a', 'b']), profiles: [sampled([[0], [1]], [-5, 1e308])] })],
    ['speedscope: weights not matching samples', ss({ shared: frames(['a']), profiles: [sampled([[0], [0]], [1])] })],
    ['speedscope: samples not arrays', ss({ shared: frames(['a']), profiles: [sampled(['x', 3], [1, 1])] })],
    ['speedscope: a frame that is a string', ss({ shared: { frames: ['a'] }, profiles: [sampled([[0]], [1])] })],
    ['speedscope: evented, unbalanced and backwards', ss({ shared: frames(['a', 'b']), profiles: [{ type: 'evented', name: 't', unit: 'none', startValue: 0, endValue: 10, events: [{ type: 'O', frame: 0, at: 5 }, { type: 'C', frame: 1, at: 2 }, { type: 'O', frame: 9, at: -1 }] }] })],
    ['speedscope: 100k-deep stack', ss({ shared: frames(['a']), profiles: [sampled([new Array(100_000).fill(0)], [1])] })],
    ['speedscope: 100k-deep JSON nesting', Buffer.from('{"shared":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}')],
    ['speedscope: line numbers NaN-ish and negative', ss({ shared: { frames: [{ name: 'a', file: '/a.py', line: -7 }, { name: 'b', file: '/a.py', line: 1e300 }, { name: 'c', file: 7, line: 'x' }] }, profiles: [sampled([[0, 1, 2]], [1])] })],
    ['collapsed: 10 MB name', Buffer.from(`main;${huge} 3\n`)],
    ['collapsed: negative, huge and NaN counts', Buffer.from('a;b -3\na;c 1e400\na;d NaN\na;e 99999999999999999999999\n')],
    ['collapsed: 100k-deep stack', Buffer.from(new Array(100_000).fill('f (/a.py:1)').join(';') + ' 1\n')],
    ['collapsed: script and U+2028', Buffer.from('</script><script>alert(1)</script> (/a.py:1);a\u2028b (x\u2029.py:2) 4\n')],
    ['austin: NaN and negative metrics', Buffer.from('# mode: wall\nP1;T0:1;/a.py:f:1 NaN\nP1;T0:1;/a.py:f:1 -5\n')],
    ['austin: 10 MB function name', Buffer.from(`# mode: wall\nP1;T0:1;/a.py:${huge}:1 5\n`)],
    ['pprof: gzip of garbage', zlib.gzipSync(Buffer.from('\x0a\xff\xff\xff\xff\x0f garbage'))],
    ['pprof: 16 MB of zeros behind 16 KB of gzip', zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024))],
    ['pprof: truncated varint', Buffer.from([0x0a, 0xff, 0xff, 0xff])],
    ['pstats: marshal header only', Buffer.from([0x7b])],
    ['journal: header only', Buffer.from('{"pyprofJournal":1,"pid":1,"startTime":0,"rateHz":100}\n')],
  ];
  for (const [label, data] of cases) {
    const name = label.startsWith('pprof') ? 'x.pb.gz' : label.startsWith('pstats') ? 'x.prof' : label.startsWith('journal') ? 'x.journal' : label.startsWith('collapsed') ? 'x.txt' : label.startsWith('austin') ? 'x.austin' : 'x.json';
    tryImport(data, name, label);
  }
});
