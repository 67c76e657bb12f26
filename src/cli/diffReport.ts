// `pyprof diff` output: the text table (top regressions and improvements, per function and per
// line), the JSON document, and the CI gate's verdict. Wording comes from src/profile/diffText.ts.

import * as path from 'path';
import { Change, FunctionDiff, LineDiff, ProfileDiff, findFunctions, topChanges } from '../profile/diff';
import { changeText, formatRelative, modeText, sideText, significanceText } from '../profile/diffText';
import { formatCount, formatDuration } from '../profile/summary';

function totalsLine(label: string, t: ProfileDiff['base'], file: string): string {
  const m = t.meta;
  const parts = [t.counts ? `${formatCount(t.weight)} samples` : `${formatCount(t.weight)} ${m.unit}`];
  if (t.ms !== undefined) parts.push(formatDuration(t.ms));
  parts.push(m.source + (m.pythonVersion ? `, python ${m.pythonVersion}` : ''));
  return `  ${label} ${file}: ${parts.join(', ')}`;
}

const where = (file: string, line: number) => `${path.basename(file) || file}${line > 0 ? `:${line}` : ''}`;

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (c === r.length - 1 ? cell : c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
}

function functionRows(list: FunctionDiff[], d: ProfileDiff): string[] {
  const rows = [['change', 'relative', 'base', 'new', 'function (file:line)']];
  for (const f of list) {
    rows.push([changeText(f.change, d).replace(/ \(.*\)$/, ''), formatRelative(f.change), sideText(f.base, d.base), sideText(f.new, d.new), `${f.name} (${where(f.file, f.newLine || f.baseLine)})`]);
  }
  return table(rows);
}

function lineRows(list: Array<LineDiff & { file: string }>, d: ProfileDiff): string[] {
  const rows = [['change', 'relative', 'base', 'new', 'line']];
  for (const l of list) {
    const at = l.change.status === 'gone' ? `${where(l.file, l.baseLine)} (gone, was base line ${l.baseLine})` : l.baseLine && l.baseLine !== l.line ? `${where(l.file, l.line)} (base line ${l.baseLine}${l.edited ? ', edited' : ''})` : `${where(l.file, l.line)}${l.edited ? ' (edited)' : ''}`;
    rows.push([changeText(l.change, d).replace(/ \(.*\)$/, ''), formatRelative(l.change), sideText(l.base, d.base), sideText(l.new, d.new), at]);
  }
  return table(rows);
}

const significantIn = (c: Change, direction: 'slower' | 'faster') =>
  c.significant !== false && (direction === 'slower' ? c.delta > 0 : c.delta < 0);

export function textReport(d: ProfileDiff, files: { base: string; new: string }, top: number): string {
  const out: string[] = [];
  const level = `${+(d.confidence * 100).toFixed(2)}%`;
  out.push(`pyprof diff ${modeText(d)}; significant = the ${level} interval excludes no change`);
  out.push(totalsLine('base', d.base, files.base));
  out.push(totalsLine('new ', d.new, files.new));
  if (d.program) out.push(`  whole run: ${changeText(d.program, d)}, ${significanceText(d.program, d)}`);
  for (const direction of ['slower', 'faster'] as const) {
    const list = topChanges(d, direction, top);
    out.push('', `${direction === 'slower' ? 'regressions (slower)' : 'improvements (faster)'}: ${list.length === 0 ? 'none significant' : ''}`.trimEnd());
    if (list.length > 0) out.push(...functionRows(list, d));
  }
  const steady = d.functions.filter((f) => f.change.status === 'unchanged').sort((a, b) => (b.new?.total ?? 0) - (a.new?.total ?? 0)).slice(0, top);
  if (steady.length > 0) out.push('', 'unchanged (within the noise), largest:', ...functionRows(steady, d));
  const lines: Array<LineDiff & { file: string }> = [];
  for (const [file, rows] of d.files) for (const l of rows) lines.push({ ...l, file });
  for (const direction of ['slower', 'faster'] as const) {
    const list = lines.filter((l) => significantIn(l.change, direction)).sort((a, b) => (direction === 'slower' ? b.change.delta - a.change.delta : a.change.delta - b.change.delta)).slice(0, top);
    if (list.length > 0) out.push('', `lines ${direction}:`, ...lineRows(list, d));
  }
  if (d.notes.length > 0) out.push('', ...d.notes.map((n) => `note: ${n}`));
  return out.join('\n') + '\n';
}

export function jsonReport(d: ProfileDiff, files: { base: string; new: string }): string {
  const totals = (t: ProfileDiff['base'], file: string) => ({
    file,
    source: t.meta.source,
    unit: t.meta.unit,
    weight: t.weight,
    ms: t.ms,
    counts: t.counts,
    // how the variances were measured: time blocks of the run (batch means), or why not
    blocks: t.batches?.sizes.length ?? 0,
    ...(t.noBatches ? { noBlocks: t.noBatches } : {}),
    // share mode: the samples of the code that did not change, which shares are taken of
    ...(t.reference ? { referenceWeight: t.reference.weight } : {}),
  });
  const lines: object[] = [];
  for (const [file, rows] of d.files) for (const l of rows) lines.push({ file, ...l });
  return JSON.stringify(
    {
      mode: d.mode,
      confidence: d.confidence,
      normalisation: d.normalisation,
      base: totals(d.base, files.base),
      new: totals(d.new, files.new),
      program: d.program,
      functions: d.functions,
      lines,
      notes: d.notes,
    },
    (_k, v) => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v),
    1,
  ) + '\n';
}

export interface GateResult {
  failed: boolean;
  /** One line saying why. */
  reason: string;
}

/**
 * --fail-if-slower PCT [--function NAME]: fails when the compared quantity is more than PCT% larger
 * in the new profile and the change is significant (or no sample counts exist to say otherwise).
 * Without --function it compares the whole run's measured time.
 */
export function gate(d: ProfileDiff, pct: number, functionName?: string): GateResult {
  const level = `${+(d.confidence * 100).toFixed(2)}%`;
  let subject: string;
  let c: Change;
  if (functionName !== undefined) {
    const found = findFunctions(d, functionName);
    if (found.length === 0) throw new GateError(`function '${functionName}' is in neither profile (names are as in the profiles, e.g. 'Klass.method' or 'method')`);
    const f = found.sort((a, b) => (b.new?.total ?? 0) - (a.new?.total ?? 0))[0];
    subject = `${f.name} (${where(f.file, f.newLine || f.baseLine)})${found.length > 1 ? ` [largest of ${found.length} named so]` : ''}`;
    c = f.change;
  } else {
    if (!d.program) {
      const which = d.base.msPerWeight === undefined ? 'base' : 'new';
      throw new GateError(`--fail-if-slower without --function compares the whole run's measured time, and the ${which} profile (${(which === 'base' ? d.base : d.new).meta.source}) has none: name a function with --function`);
    }
    subject = 'the whole run';
    c = d.program;
  }
  const how = `${changeText(c, d)}, ${significanceText(c, d)}`;
  if (c.status === 'new') return { failed: true, reason: `${subject} is new in the new profile (${how}): treated as slower than ${pct}%` };
  const pctChange = c.relative * 100;
  const slower = pctChange > pct;
  if (slower && c.significant !== false) return { failed: true, reason: `${subject} is slower by ${formatRelative(c)} > ${pct}% (${how})` };
  if (slower) return { failed: false, reason: `${subject} looks ${formatRelative(c)} slower, but that is within the noise at ${level} (${how}): not failing` };
  return { failed: false, reason: `${subject}: ${how}; not slower than ${pct}%` };
}

export class GateError extends Error {}
