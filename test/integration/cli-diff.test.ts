// `pyprof diff` on two real recordings of a program before and after an edit that makes fast() 2x
// faster and moves steady() down 10 lines: fast is named as significantly faster, steady as
// unchanged (matched across the move, line for line), in the table, the JSON, the CI gate and
// across formats (py-spy-style collapsed vs our speedscope).
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { runCli } from './cli-support';
import { compareLine, comparePython, recordCompareRuns, CompareRuns, trueNormalisedChange } from './compare-runs';

const python = comparePython();
let runs: CompareRuns | undefined;
const getRuns = () => (runs ??= recordCompareRuns(python!));
after(() => runs && fs.rmSync(runs.dir, { recursive: true, force: true }));
const skip = python ? false : 'no supported CPython installed';

interface JsonChange { status: string; significant: boolean; relative: number; delta: number; interval: { lo: number; hi: number }; relativeInterval: { lo: number; hi: number }; designEffect: number[] }
interface JsonReport {
  normalisation?: { by: 'unchanged' | 'all'; scale: number; scaleInterval?: { lo: number; hi: number }; functions: string[]; share: number[]; why?: string };
  functions: Array<{ name: string; baseLine: number; newLine: number; change: JsonChange }>;
  lines: Array<{ file: string; line: number; baseLine: number; edited: boolean; change: JsonChange }>;
  program?: JsonChange;
}

test('the table names fast as a significant improvement and steady as unchanged; JSON maps steady across the move', { skip }, async (t) => {
  const r = getRuns();
  const json = await runCli(['diff', r.base, r.next, '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const d = JSON.parse(json.stdout) as JsonReport;
  const steady = d.functions.filter((f) => f.name === 'steady');
  assert.equal(steady.length, 1, 'steady is matched with itself across the move');
  assert.equal(steady[0].baseLine, compareLine('before', 'def steady'));
  assert.equal(steady[0].newLine, compareLine('after', 'def steady'));
  const steadyLine = d.lines.find((l) => l.file === r.app && l.line === compareLine('after', 'steady-line'))!;
  assert.ok(steadyLine, 'the hot line of steady is in the line table');
  assert.equal(steadyLine.baseLine, compareLine('before', 'steady-line'));
  const loop = d.lines.find((l) => l.file === r.app && l.line === compareLine('after', 'the edit'))!;
  assert.equal(loop.edited, true, 'the edited loop line is compared with the line it replaced');
  // Ground truth from the program itself: the change of each function's CPU time measured against
  // the code the diff found unchanged (its reference, timed by the program with thread_time) lies
  // inside the diff's 99.9% interval (the intervals are honest, however busy the machine was).
  const n = d.normalisation!;
  const reference = n.by === 'unchanged' ? n.functions : 'all';
  t.diagnostic(`normalised by ${n.by === 'unchanged' ? `${n.functions.join(', ')} (${n.share.map((x) => (x * 100).toFixed(1) + '%').join(' / ')} of the samples), scale ${n.scale.toFixed(3)} (${n.scaleInterval!.lo.toFixed(3)} … ${n.scaleInterval!.hi.toFixed(3)})` : `all samples: ${n.why}`}`);
  for (const fn of ['fast', 'steady'] as const) {
    const c = d.functions.find((f) => f.name === fn)!.change;
    const truth = trueNormalisedChange(r.truth.base, r.truth.next, fn, reference);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    t.diagnostic(`${fn}: change ${pct(c.relative)} (${(c.delta * 100).toFixed(2)} pp), interval ${pct(c.relativeInterval.lo)} … ${pct(c.relativeInterval.hi)} (${(c.interval.lo * 100).toFixed(2)} … ${(c.interval.hi * 100).toFixed(2)} pp; design effects ${c.designEffect.map((x) => x.toFixed(1)).join(', ')}); the program measured ${pct(truth)}, on ${r.cpuShare}`);
    assert.ok(c.relativeInterval.lo <= truth && truth <= c.relativeInterval.hi, `${fn}: the program's own change ${truth} is outside the interval ${JSON.stringify(c.relativeInterval)}`);
  }
  if (r.tooBusy) return t.skip(`significance not asserted: ${r.tooBusy}`);
  const text = await runCli(['diff', r.base, r.next]);
  assert.equal(text.code, 0, text.stderr);
  const [, regressions, improvements, unchanged] = /regressions \(slower\):([\s\S]*?)\n\nimprovements \(faster\):([\s\S]*?)\n\nunchanged[^\n]*\n([\s\S]*?)(\n\n|$)/.exec(text.stdout) ?? [];
  assert.ok(improvements !== undefined, text.stdout);
  assert.match(improvements, /fast \(app\.py:6\)/, text.stdout);
  assert.doesNotMatch(regressions, /steady/, text.stdout);
  assert.doesNotMatch(improvements, /steady/, text.stdout);
  assert.match(unchanged, /steady \(app\.py:30\)/, text.stdout);

  assert.equal(n.by, 'unchanged', n.why);
  assert.ok(n.functions.includes('other') && n.functions.includes('steady') && !n.functions.includes('fast'), `reference: ${n.functions.join(', ')}`);
  const fast = d.functions.find((f) => f.name === 'fast')!;
  assert.equal(fast.change.status, 'faster');
  assert.equal(fast.change.significant, true);
  assert.equal(steady[0].change.status, 'unchanged');
  assert.equal(steadyLine.change.status, 'unchanged');
  assert.notEqual(loop.change.status, 'slower');
  const body = d.lines.find((l) => l.file === r.app && l.line === compareLine('after', 'total += i * i'))!;
  assert.equal(body.change.status, 'faster', 'the loop body runs half as often');
});

test('--fail-if-slower: exit 3 with a one-line reason when fast regresses, 0 when it improved or for unchanged steady', { skip }, async (t) => {
  const r = getRuns();
  const missing = await runCli(['diff', r.base, r.next, '--fail-if-slower', '5', '--function', 'no_such_function']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /function 'no_such_function' is in neither profile/);
  if (r.tooBusy) return t.skip(`gate verdicts not asserted: ${r.tooBusy}`);
  const reversed = await runCli(['diff', r.next, r.base, '--fail-if-slower', '20', '--function', 'fast']);
  assert.equal(reversed.code, 3, reversed.stderr);
  assert.match(reversed.stderr, /^pyprof: FAIL: fast \(app\.py:6\) is slower by \+\d+% > 20% \(.*significant at 99\.9%\)\n$/m);
  const improved = await runCli(['diff', r.base, r.next, '--fail-if-slower', '20', '--function', 'fast']);
  assert.equal(improved.code, 0, improved.stderr);
  assert.match(improved.stderr, /pyprof: ok: fast/);
  const steady = await runCli(['diff', r.next, r.base, '--fail-if-slower', '20', '--function', 'steady']);
  assert.equal(steady.code, 0, steady.stderr);
  // The whole-run gate compares wall time, which a loaded machine moves by tens of percent between
  // runs: here only that it runs and writes the report; test/unit/cli-diffGate.test.ts checks its verdicts.
  const whole = await runCli(['diff', r.next, r.base, '--time', '--fail-if-slower', '5', '-o', path.join(r.dir, 'report.txt')]);
  assert.ok(whole.code === 0 || whole.code === 3, whole.stderr);
  assert.match(whole.stderr, /pyprof: (ok|FAIL): the whole run/);
  assert.match(fs.readFileSync(path.join(r.dir, 'report.txt'), 'utf8'), /by measured time/);
});

test('mixed formats: py-spy-style collapsed base vs our speedscope; folded two-column output', { skip }, async (t) => {
  const r = getRuns();
  const collapsed = path.join(r.dir, 'base.collapsed.txt');
  assert.equal((await runCli(['convert', r.base, '-o', collapsed])).code, 0);
  assert.match(fs.readFileSync(collapsed, 'utf8'), /;fast \(.*app\.py:8\) \d+/, 'py-spy format: func (file:line)');
  const json = await runCli(['diff', collapsed, r.next, '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const d = JSON.parse(json.stdout) as JsonReport;
  assert.equal(d.program, undefined, 'collapsed stacks have no measured time');
  assert.equal(d.functions.filter((f) => f.name === 'steady').length, 1);
  // collapsed stacks have no timeline: their samples count as independent, the new side's runs do not
  if (!r.tooBusy) {
    assert.equal(d.functions.find((f) => f.name === 'fast')!.change.status, 'faster');
    assert.equal(d.functions.find((f) => f.name === 'fast')!.change.significant, true);
    assert.equal(d.functions.find((f) => f.name === 'steady')!.change.status, 'unchanged');
  } else t.diagnostic(`significance not asserted: ${r.tooBusy}`);
  const timed = await runCli(['diff', collapsed, r.next, '--time']);
  assert.equal(timed.code, 1);
  assert.match(timed.stderr, /cannot compare by time: the base profile \(collapsed\) has no measured time/);

  const folded = await runCli(['diff', r.base, r.next, '-f', 'folded']);
  assert.equal(folded.code, 0, folded.stderr);
  const rows = folded.stdout.trim().split('\n').map((l) => ({ stack: l.split(' ').slice(0, -2).join(' '), counts: l.split(' ').slice(-2).map(Number) }));
  const sum = (k: number) => rows.reduce((a, r) => a + r.counts[k], 0);
  const fastRow = rows.find((r) => /;fast \([^)]*app\.py\)$/.test(r.stack));
  assert.ok(fastRow, folded.stdout.slice(0, 500));
  assert.ok(fastRow!.counts[0] / sum(0) > fastRow!.counts[1] / sum(1), `fast had a larger share in the base: ${JSON.stringify(fastRow)}`);
});

test('usage and input errors', async () => {
  const one = await runCli(['diff', 'only-one.json']);
  assert.equal(one.code, 2);
  assert.match(one.stderr, /give two profiles/);
  const none = await runCli(['diff', '/nonexistent/a.json', '/nonexistent/b.json']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /cannot read \/nonexistent\/a\.json: no such file/);
  const fnOnly = await runCli(['diff', 'a', 'b', '--function', 'x']);
  assert.equal(fnOnly.code, 2);
});

test('a report larger than a pipe buffer reaches a pipe whole (stdout is flushed before exit)', async () => {
  // Two collapsed profiles of 4,000 distinct functions: the JSON report is far above 64 KB, the size
  // at which a pipe's first write returns and an early process.exit() cut the output.
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'pyprof-diff-big-'));
  try {
    const stacks = (k: number) => Array.from({ length: 4000 }, (_, i) => `main (app.py:1);function_number_${i} (app.py:${i + 10}) ${1 + ((i * k) % 7)}`).join('\n') + '\n';
    fs.writeFileSync(path.join(dir, 'a.collapsed'), stacks(3));
    fs.writeFileSync(path.join(dir, 'b.collapsed'), stacks(5));
    const r = await runCli(['diff', path.join(dir, 'a.collapsed'), path.join(dir, 'b.collapsed'), '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length > 256 * 1024, `report is ${r.stdout.length} bytes`);
    const d = JSON.parse(r.stdout) as JsonReport;
    assert.equal(d.functions.filter((f) => f.name.startsWith('function_number_')).length, 4000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
