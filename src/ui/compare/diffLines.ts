// What the editor shows for a comparison, per local file: the changed lines (significant only) with
// their status, inline text and hover, and a CodeLens title per function. Pure (no vscode import):
// built once per comparison from the profile diff and the new profile's path table.

import type { ChangeStatus, LineDiff, ProfileDiff } from '../../profile/diff';
import { changeText, itemDetail, lensDiffTitle } from '../../profile/diffText';

export interface DiffLineView {
  /** 1-based line in the new version (where the editor shows it). */
  line: number;
  status: Exclude<ChangeStatus, 'unchanged'>;
  /** Inline text at the end of the line: `+12 ms (+35%)`, `new (+3 ms)`. */
  text: string;
  /** Hover lines: both figures, the change, its significance. */
  hover: string[];
}

export interface DiffLensView {
  line: number;
  title: string;
}

export interface ComparisonView {
  lines: Map<string, DiffLineView[]>;
  lenses: Map<string, DiffLensView[]>;
}

/** A change the editor shows: a real change, significant (or significance unknown: no sample counts). */
export function shown(c: { status: ChangeStatus; significant: boolean | undefined }): boolean {
  return c.status !== 'unchanged' && c.significant !== false;
}

function hoverFor(row: LineDiff, d: ProfileDiff): string[] {
  const head = row.change.status === 'gone'
    ? `base line ${row.baseLine} is gone (it stood here)`
    : row.edited
      ? `edited: compared with base line ${row.baseLine}`
      : row.baseLine && row.baseLine !== row.line
        ? `base line ${row.baseLine}`
        : row.baseLine === 0
          ? 'new line'
          : '';
  return [...(head ? [head] : []), ...itemDetail(row, d)];
}

export function buildComparisonView(d: ProfileDiff, toLocal: ReadonlyMap<string, string>): ComparisonView {
  const lines = new Map<string, DiffLineView[]>();
  for (const [file, rows] of d.files) {
    const local = toLocal.get(file);
    if (!local) continue;
    const byLine = new Map<number, DiffLineView>();
    for (const row of rows) {
      if (!shown(row.change)) continue;
      const existing = byLine.get(row.line);
      // A gone line shares its place with the line now there: that line's own change wins.
      if (existing && (row.change.status === 'gone' || existing.status !== 'gone')) {
        existing.hover.push('', ...hoverFor(row, d));
        continue;
      }
      const view: DiffLineView = { line: row.line, status: row.change.status as DiffLineView['status'], text: changeText(row.change, d), hover: hoverFor(row, d) };
      if (existing) view.hover.push('', ...existing.hover);
      byLine.set(row.line, view);
    }
    if (byLine.size > 0) lines.set(local, [...byLine.values()].sort((a, b) => a.line - b.line));
  }
  const lenses = new Map<string, DiffLensView[]>();
  for (const f of d.functions) {
    if (!f.new || f.newLine <= 0) continue;
    const local = toLocal.get(f.file);
    if (!local) continue;
    let list = lenses.get(local);
    if (!list) lenses.set(local, (list = []));
    list.push({ line: f.newLine, title: lensDiffTitle(f, d) });
  }
  for (const list of lenses.values()) list.sort((a, b) => a.line - b.line);
  return { lines, lenses };
}
