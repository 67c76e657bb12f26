// The differential flame graph's data: the merged call tree of a comparison (profile/diffTree.ts)
// laid out as an icicle, each box as wide as the larger of its two shares (so code that is gone
// still shows), coloured red when slower and blue when faster with intensity by the size of the
// change (significant changes only; the rest grey), and the detail text with both figures. Pure.

import type { ProfileDiff } from '../../profile/diff';
import { DiffTree, DiffTreeNode, nodeChange } from '../../profile/diffTree';
import { changeText, sideText, significanceText } from '../../profile/diffText';

export interface DiffFlameNode {
  depth: number;
  /** Left edge and width as fractions of the whole graph. */
  x: number;
  w: number;
  name: string;
  file: string;
  /** def line in the new version (the base's for code that is gone); 0 unknown. */
  line: number;
  status: string;
  significant: boolean;
  /** CSS colour. */
  color: string;
  /** Detail pane lines: both widths, the change, significance. */
  detail: string[];
}

export interface DiffFlameData {
  title: string;
  nodes: DiffFlameNode[];
  /** Boxes narrower than this fraction are left out (with their subtrees). */
  minWidth: number;
}

/** Red for slower, blue for faster; alpha from 0.25 (small change) to 1 (doubled or halved, or more). */
export function changeColor(status: string, significant: boolean, relative: number): string {
  if (!significant || status === 'unchanged') return 'rgb(150, 150, 150)';
  const size = status === 'new' || status === 'gone' || !Number.isFinite(relative) ? 1 : Math.min(1, Math.abs(relative));
  const alpha = (0.25 + 0.75 * size).toFixed(2);
  return status === 'slower' || status === 'new' ? `rgba(214, 39, 40, ${alpha})` : `rgba(31, 119, 220, ${alpha})`;
}

export function buildDiffFlame(diff: ProfileDiff, tree: DiffTree, title: string, minWidth = 0.001): DiffFlameData {
  const bt = diff.base.weight || 1;
  const nt = diff.new.weight || 1;
  const widthOf = (n: DiffTreeNode) => Math.max(n.base / bt, n.new / nt);
  const nodes: DiffFlameNode[] = [];
  const place = (list: DiffTreeNode[], depth: number, x: number, room: number) => {
    const widths = list.map(widthOf);
    const sum = widths.reduce((a, b) => a + b, 0);
    const scale = sum > room ? room / sum : 1; // children taking their larger share may not fit the parent's
    let at = x;
    list.forEach((n, i) => {
      const w = widths[i] * scale;
      if (w < minWidth) return;
      const f = diff.functions[n.fn];
      const c = nodeChange(diff, n);
      const significant = c.significant !== false && c.status !== 'unchanged';
      nodes.push({
        depth,
        x: at,
        w,
        name: f.name,
        file: f.file,
        line: f.newLine || f.baseLine,
        status: c.status,
        significant,
        color: changeColor(c.status, significant, c.relative),
        detail: [
          `${f.name}${f.file ? ` (${f.file}${f.newLine || f.baseLine ? `:${f.newLine || f.baseLine}` : ''})` : ''}`,
          `base: ${n.base > 0 ? sideText({ self: 0, total: n.base, selfShare: 0, totalShare: n.base / bt, totalMs: diff.base.msPerWeight !== undefined ? n.base * diff.base.msPerWeight : undefined }, diff.base) : '—'}`,
          `new:  ${n.new > 0 ? sideText({ self: 0, total: n.new, selfShare: 0, totalShare: n.new / nt, totalMs: diff.new.msPerWeight !== undefined ? n.new * diff.new.msPerWeight : undefined }, diff.new) : '—'}`,
          `change: ${changeText(c, diff)}, ${significanceText(c, diff)}`,
        ],
      });
      place(n.children, depth + 1, at, w);
      at += w;
    });
  };
  place(tree.roots, 0, 0, 1);
  return { title, nodes, minWidth };
}
