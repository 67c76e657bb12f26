// Per local file, the lines to decorate: computed once when a profile is loaded (summary + path
// table), so showing an editor is a map lookup, not a walk over the profile. Pure (no vscode).

import type { PathTable } from '../../profile/pathMap';
import type { ProfileMeta } from '../../profile/model';
import { FileSummary, ProfileSummary, heatLevel, inlineText, lineText } from '../../profile/summary';

export interface HotLine {
  /** 0-based editor line. */
  line: number;
  /** 0 (no gutter heat: shown for its total only) .. HEAT_LEVELS */
  heat: number;
  self: number;
  total: number;
  selfFraction: number;
  totalFraction: number;
  /** End-of-line text, short (`67.1% self`, `45.0% total`), or '' below the text threshold. */
  text: string;
  /** Everything about the line, for its hover: `12.0% self · 42.1% total · 1,234 samples`. */
  detail: string;
}

export interface HotLineOptions {
  /** Lines whose self and total fractions are both below this (0..1) are not decorated. */
  minFraction: number;
  /** End-of-line text only where the self or total fraction reaches this (0..1); heat stays. */
  textMinFraction: number;
}

export const DEFAULT_HOT_LINE_OPTIONS: HotLineOptions = { minFraction: 0.005, textMinFraction: 0.01 };

/** Merges the line tables of every profile path that maps to one local file (e.g. two containers). */
export function hotLinesFor(
  files: readonly FileSummary[],
  total: number,
  meta: Pick<ProfileMeta, 'unit' | 'rateHz'>,
  hottestSelfFraction: number,
  opts: HotLineOptions = DEFAULT_HOT_LINE_OPTIONS,
): HotLine[] {
  const merged = new Map<number, { self: number; total: number }>();
  for (const f of files) {
    for (const l of f.lines) {
      const m = merged.get(l.line);
      if (m) {
        m.self += l.self;
        m.total += l.total;
      } else merged.set(l.line, { self: l.self, total: l.total });
    }
  }
  const out: HotLine[] = [];
  for (const [line, st] of merged) {
    if (line <= 0) continue;
    const selfFraction = total > 0 ? st.self / total : 0;
    const totalFraction = total > 0 ? st.total / total : 0;
    if (selfFraction < opts.minFraction && totalFraction < opts.minFraction) continue;
    out.push({
      line: line - 1,
      heat: heatLevel(selfFraction, hottestSelfFraction),
      self: st.self,
      total: st.total,
      selfFraction,
      totalFraction,
      text: inlineText(st, total, opts.textMinFraction),
      detail: lineText(st, total, meta),
    });
  }
  return out.sort((a, b) => a.line - b.line);
}

/** Every local file's hot lines, keyed by local path. */
export function buildHotLineTables(
  summary: ProfileSummary,
  paths: PathTable,
  meta: Pick<ProfileMeta, 'unit' | 'rateHz'>,
  opts: HotLineOptions = DEFAULT_HOT_LINE_OPTIONS,
): Map<string, HotLine[]> {
  const out = new Map<string, HotLine[]>();
  for (const [local, profilePaths] of paths.toProfile) {
    const files = profilePaths.map((p) => summary.files.get(p)).filter((f): f is FileSummary => f !== undefined);
    const lines = hotLinesFor(files, summary.total, meta, summary.hottestLineSelf, opts);
    if (lines.length > 0) out.set(local, lines);
  }
  return out;
}
