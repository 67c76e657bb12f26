// Memory heat mode: per-line / per-function bytes, their wording, and the RSS chart data.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/profile/model';
import { buildPathTable } from '../../src/profile/pathMap';
import { formatMemory, hasLineMemory, memoryLensTitle, memoryStats, memoryText } from '../../src/profile/memoryStats';
import { HEAT_LEVELS } from '../../src/profile/summary';
import { buildMemoryView, parseMetric } from '../../src/ui/editor/memoryView';
import { MAX_CHART_POINTS, bytesTicks, rssChartData, timeTicks } from '../../src/ui/flame/rssChart';

const MB = 1 << 20;

function profile(withMemory = true) {
  const b = new ProfileBuilder({ source: 'test', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const t = b.internThread(1, 'MainThread');
  const main = { name: '<module>', file: '/srv/app/a.py', firstLine: 1, line: 30 };
  const load = { name: 'load', file: '/srv/app/a.py', firstLine: 10, line: 12 };
  const rec = { name: 'load', file: '/srv/app/a.py', firstLine: 10, line: 14 }; // recursion: same function, other line
  const s1 = b.addSample(t, b.internStack([main, load]), 10);
  const s2 = b.addSample(t, b.internStack([main, rec, load]), 5);
  const s3 = b.addSample(t, b.internStack([main, { name: 'drop', file: '/srv/app/a.py', firstLine: 20, line: 21 }]), 85);
  if (withMemory) {
    s1.allocBytes = 12.3 * MB;
    s2.allocBytes = 4 * MB;
    s2.freedBytes = 1 * MB;
    s3.freedBytes = 4 * MB;
  }
  return b.finish();
}

test('memory stats: self on the leaf line, totals once per stack (recursion), per function', () => {
  const p = profile();
  assert.ok(hasLineMemory(p));
  assert.ok(!hasLineMemory(profile(false)));
  const st = memoryStats(p);
  assert.equal(st.allocated, 16.3 * MB);
  assert.equal(st.freed, 5 * MB);
  const lines = st.lines.get('/srv/app/a.py')!;
  assert.equal(lines.get(12)!.selfAlloc, 16.3 * MB, 'both load stacks end on line 12');
  assert.equal(lines.get(12)!.totalAlloc, 16.3 * MB, 'line 12 counted once in the recursive stack');
  assert.equal(lines.get(14)!.selfAlloc, 0);
  assert.equal(lines.get(14)!.totalAlloc, 4 * MB);
  assert.equal(lines.get(30)!.totalAlloc, 16.3 * MB);
  assert.equal(lines.get(30)!.totalFreed, 5 * MB);
  assert.equal(lines.get(21)!.selfFreed, 4 * MB);
  const load = p.frames.findIndex((f) => f.name === 'load');
  assert.deepEqual(st.functions[load], { selfAlloc: 16.3 * MB, selfFreed: 1 * MB, totalAlloc: 16.3 * MB, totalFreed: 1 * MB });
});

test('memory wording', () => {
  assert.equal(formatMemory(512), '512 B');
  assert.equal(formatMemory(1536), '1.5 KB');
  assert.equal(formatMemory(12.3 * MB), '12.3 MB');
  assert.equal(formatMemory(1.25 * 1024 * MB), '1.25 GB');
  assert.equal(memoryText(12.3 * MB, 4 * MB), '+12.3 MB alloc · \u22124.0 MB freed');
  assert.equal(memoryText(0, 4 * MB), '\u22124.0 MB freed');
  assert.equal(memoryText(0, 0), 'no memory change');
  assert.equal(memoryLensTitle({ selfAlloc: MB, selfFreed: 0, totalAlloc: 12.3 * MB, totalFreed: 4 * MB }), 'pyprof: +12.3 MB alloc · \u22124.0 MB freed (self +1.0 MB)');
  assert.equal(parseMetric('memory'), 'memory');
  assert.equal(parseMetric('bogus'), 'time');
  assert.equal(parseMetric(undefined), 'time');
});

test('memory view: hot lines heat by allocated share, texts, lenses, mapped to local files', () => {
  const p = profile();
  const paths = buildPathTable(['/srv/app/a.py'], { workspaceFiles: ['/home/me/app/a.py'] });
  const v = buildMemoryView(p, paths)!;
  assert.ok(v);
  const lines = v.hotLines.get('/home/me/app/a.py')!;
  assert.deepEqual(lines.map((l) => l.line + 1), [12, 21], 'only lines with own bytes; 0-based in the table');
  assert.equal(lines[0].heat, HEAT_LEVELS, 'all allocation on one line: hottest');
  assert.equal(lines[0].text, '+16.3 MB · \u22121.0 MB', 'short: allocated first, then freed');
  assert.equal(lines[0].detail, '+16.3 MB alloc · \u22121.0 MB freed (100% of alloc)', 'the full wording for the hover');
  assert.equal(lines[1].heat, 0, 'a line that only freed has no heat');
  assert.equal(lines[1].text, '\u22124.0 MB');
  const lenses = v.lenses.get('/srv/app/a.py')!;
  assert.deepEqual(lenses.map((l) => [l.line, l.title]), [
    [1, 'pyprof: +16.3 MB alloc · \u22125.0 MB freed'],
    [10, 'pyprof: +16.3 MB alloc · \u22121.0 MB freed'],
    [20, 'pyprof: \u22124.0 MB freed'],
  ]);
  assert.equal(buildMemoryView(profile(false), paths), undefined, 'no memory data: no memory view');
});

test('RSS chart data: ≤ 1000 points, keeps the peak and the ends, labels the max', () => {
  assert.equal(rssChartData(undefined), undefined);
  assert.equal(rssChartData([]), undefined);
  const small = rssChartData([{ t: 0, rssBytes: 10 * MB }, { t: 500, rssBytes: 30 * MB }, { t: 1000, rssBytes: 20 * MB }])!;
  assert.deepEqual(small.points, [[0, 10 * MB], [500, 30 * MB], [1000, 20 * MB]]);
  assert.equal(small.maxLabel, 'max RSS 30.0 MB at 0.50 s');
  assert.deepEqual(small.yTicks.map((t) => t.label), ['0 MB', '10 MB', '20 MB', '30 MB'], 'y axis from 0 to a round top');
  assert.deepEqual(small.xTicks.map((t) => t.label), ['0 ms', '200 ms', '400 ms', '600 ms', '800 ms', '1000 ms']);
  assert.deepEqual(bytesTicks(212.4 * MB).map((t) => t.label), ['0 MB', '100 MB', '200 MB', '300 MB']);
  assert.deepEqual(bytesTicks(1.5 * 1024 * MB).map((t) => t.label), ['0 GB', '0.5 GB', '1 GB', '1.5 GB']);
  assert.deepEqual(timeTicks(95_000).map((t) => t.label), ['0 s', '20 s', '40 s', '60 s', '80 s']);
  // 100k points with one narrow spike in the middle
  const mem = Array.from({ length: 100_000 }, (_, i) => ({ t: i, rssBytes: (50 + (i % 7)) * MB }));
  mem[61_234].rssBytes = 900 * MB;
  const big = rssChartData(mem)!;
  assert.ok(big.points.length <= MAX_CHART_POINTS && big.points.length >= MAX_CHART_POINTS * 0.9, `${big.points.length} points`);
  assert.equal(big.maxBytes, 900 * MB);
  assert.equal(big.maxT, 61_234);
  assert.ok(big.points.some(([t, b]) => t === 61_234 && b === 900 * MB), 'the spike survives downsampling');
  assert.equal(big.minBytes, 50 * MB);
  assert.ok(big.points.every(([, b]) => b >= 50 * MB && b <= 900 * MB));
  for (let i = 1; i < big.points.length; i++) assert.ok(big.points[i][0] >= big.points[i - 1][0], 'time order');
  assert.equal(big.points[0][0], 0);
  assert.equal(big.durationMs, 99_999);
  assert.equal(rssChartData(mem, 10)!.points.length <= 10, true);
  // unsorted and non-finite input
  const odd = rssChartData([{ t: 5, rssBytes: 2 }, { t: NaN, rssBytes: 1 }, { t: 1, rssBytes: 3 }])!;
  assert.deepEqual(odd.points, [[1, 3], [5, 2]]);
});

test('pyprof.memory setting → record arguments (old boolean true still means rss)', async () => {
  const { recordArgs } = await import('../../src/recording/recordingProcess');
  const { recordMemoryMode } = await import('../../src/ui/editor/memoryView');
  const args = (memory: unknown, attaching = false) => {
    const m = recordMemoryMode(memory, attaching);
    const target = attaching ? { kind: 'attach' as const, pid: 42 } : { kind: 'launch' as const, python: 'python3', program: 'x.py', args: [], cwd: '/' };
    return recordArgs({ target: target as any, output: 'o.json', memory: m }).filter((a) => a.startsWith('--memory'));
  };
  assert.deepEqual(args(true), ['--memory']);
  assert.deepEqual(args('rss'), ['--memory']);
  assert.deepEqual(args('tracemalloc'), ['--memory=tracemalloc']);
  assert.deepEqual(args('tracemalloc', true), ['--memory'], 'attaching cannot start tracemalloc: rss instead');
  assert.deepEqual(args(false), []);
  assert.deepEqual(args('off'), []);
  assert.deepEqual(args(undefined), []);
});

test('flame panel HTML: the chart script and its box come with the nonce, only when asked for', async () => {
  const { flameHtml, contentSecurityPolicy } = await import('../../src/ui/flame/flameHtml');
  const code = { speedscopeCss: '', bridgeCss: '', bridgeJs: 'void 0;' };
  const base = { cspSource: 'vscode-resource:', nonce: 'N0NCE', speedscopeScript: 's.js', code, colorScheme: 'DARK' as const, view: 'left-heavy' as const };
  const withChart = flameHtml({ ...base, code: { ...code, chartJs: 'drawChart();' } });
  assert.match(withChart, /<div id="pyprof-memory" hidden><\/div>\n<script nonce="N0NCE" data-pyprof="rssChart.js">\ndrawChart\(\);\n<\/script>/);
  for (const tag of withChart.match(/<script[^>]*>/g)!) assert.match(tag, /nonce="N0NCE"/);
  assert.ok(!flameHtml(base).includes('pyprof-memory'));
  assert.ok(!contentSecurityPolicy('x', 'N0NCE').includes(" 'unsafe-eval'"), 'no eval for the chart');
});
