// `--memory[=rss|tracemalloc]` parsing and the tracemalloc statistics reader.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { OptionSpec, UsageError, formatHelp, parseArgs } from '../../src/cli/args';
import { memoryModeOf } from '../../src/cli/recordTracemalloc';
import { readTracemallocStats } from '../../src/engine/tracemalloc';

const SPECS: OptionSpec[] = [{ name: 'memory', kind: 'flag', flagValues: ['rss', 'tracemalloc'], help: 'memory' }];
const mode = (argv: string[]) => memoryModeOf(parseArgs(argv, SPECS, true).values.get('memory') as boolean | string | undefined);

test('--memory alone is rss, =rss and =tracemalloc select, anything else is a usage error', () => {
  assert.equal(mode(['--', 'python', 'x.py']), 'off');
  assert.equal(mode(['--memory', 'python', 'x.py']), 'rss');
  assert.equal(mode(['--memory=rss', 'python']), 'rss');
  assert.equal(mode(['--memory=tracemalloc', 'python']), 'tracemalloc');
  assert.throws(() => mode(['--memory=heap']), (e: Error) => e instanceof UsageError && /one of rss, tracemalloc/.test(e.message));
  // a bare flag never swallows the command's first word
  assert.deepEqual(parseArgs(['--memory', 'tracemalloc.py'], SPECS, true).command, ['tracemalloc.py']);
  assert.match(formatHelp('u', 'd', SPECS), /--memory\[=rss\|tracemalloc\]/);
});

test('tracemalloc statistics: per-traceback growth is allocated, shrinkage freed; bad lines skipped', () => {
  const lines = [
    { k: 'start', t: 1000, python: '3.12.1', nframes: 17 },
    { k: 'tb', id: 0, f: [['/a.py', 30], ['/a.py', 12]] },
    { k: 'snap', t: 1100, traced: 10, peak: 10, s: [[0, 100, 1]] },
    { k: 'snap', t: 1200, traced: 10, peak: 300, s: [[0, 300, 3]] },
    { k: 'snap', t: 1300, traced: 10, peak: 300, s: [[0, 50, 1]] },
    { k: 'snap', t: 1400, traced: 10, peak: 300, s: [[0, 0, 0], [7, 5, 5]] },
  ].map((o) => JSON.stringify(o));
  const run = readTracemallocStats(lines.join('\n') + '\n{"k":"snap","t":15');
  assert.equal(run.startTime, 1000);
  assert.equal(run.python, '3.12.1');
  assert.equal(run.snapshots, 4);
  assert.equal(run.peak, 300);
  assert.equal(run.badLines, 1);
  const tb = run.tracebacks.get(0)!;
  assert.deepEqual(tb.frames, [['/a.py', 30], ['/a.py', 12]]);
  assert.equal(tb.allocated, 300);
  assert.equal(tb.freed, 300);
  assert.equal(tb.live, 0);
});
