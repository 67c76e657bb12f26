// What the assistant tools answer: short plain text a language model can quote, every place as
// `path:line` (relative to the workspace root when inside it), every share with the weight behind it
// (sample counts, or time for traced/imported profiles). The numbers come from the shared profile
// code (cli/topRows.ts, profile/summary.ts, server/profileIndex.ts, profile/diff.ts + cli/diffReport.ts),
// never recomputed here.

import * as fs from 'fs';
import * as path from 'path';
import { profileTopRows } from '../cli/topRows';
import { textReport } from '../cli/diffReport';
import { diffProfiles } from '../profile/diff';
import type { Profile } from '../profile/model';
import { suffixMatch } from '../profile/pathMap';
import { computeStats, formatDuration, formatPercent, formatWeight } from '../profile/summary';
import { buildProfileIndex } from '../server/profileIndex';
import { AssistInputError } from './inputs';

/** A profile path as the model should cite it: relative to a root it lies in, else as recorded. */
export function citePath(file: string, roots: readonly string[]): string {
  for (const r of roots) {
    const rel = path.relative(r, file);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
  }
  return file;
}

const at = (file: string, line: number, roots: readonly string[]) => `${citePath(file, roots)}${line > 0 ? `:${line}` : ''}`;

function share(weight: number, total: number, profile: Profile): string {
  return `${formatPercent(total > 0 ? weight / total : 0)} (${formatWeight(weight, profile.meta)})`;
}

/** One line about where a profile came from and how much it holds. */
export function profileHeader(profile: Profile, label: string): string {
  const m = profile.meta;
  const parts: string[] = [];
  if (m.sampleCount !== undefined) parts.push(`${m.sampleCount} samples`);
  if (m.durationMs !== undefined) parts.push(`over ${formatDuration(m.durationMs)}`);
  if (m.rateHz) parts.push(`at ${m.rateHz.toFixed(0)} Hz measured`);
  if (m.pythonVersion) parts.push(`Python ${m.pythonVersion}`);
  if (m.pid) parts.push(`pid ${m.pid}`);
  if (m.errorCount) parts.push(`${m.errorCount} unreadable samples dropped`);
  return `Profile ${label} (${m.source}${m.mode !== 'sampling' ? `, ${m.mode}` : ''}${parts.length ? `; ${parts.join(', ')}` : ''}).`;
}

function notes(profile: Profile): string[] {
  return (profile.meta.notes ?? []).map((n) => `Note: ${n}`);
}

/** Functions by own weight, each with its hottest line. */
export function topFunctionsText(profile: Profile, label: string, limit: number, roots: readonly string[]): string {
  const rows = profileTopRows(profile, limit);
  const totalW = profile.samples.reduce((a, s) => a + (s.node >= 0 && s.weight > 0 ? s.weight : 0), 0);
  const out = [profileHeader(profile, label), `Top ${rows.length} functions by own time (shares are of all ${formatWeight(totalW, profile.meta)}):`];
  rows.forEach((r, i) => {
    const hot = r.hotLine ?? r.showLine;
    out.push(
      `${i + 1}. ${r.name} — hottest line ${at(r.file, hot, roots)} (def line ${r.line}); own ${share(r.selfCount, totalW, profile)}, total ${share(r.totalCount, totalW, profile)}`,
    );
  });
  if (rows.length === 0) out.push('(no samples with Python frames)');
  out.push(...notes(profile));
  return out.join('\n');
}

/** The profile paths for a requested file: the exact path, else the one ending with most of its segments. */
function profilePathsFor(profile: Profile, requested: string, roots: readonly string[]): string[] {
  const files = [...new Set(profile.frames.map((f) => f.file))].filter((f) => f !== '');
  const absolute = path.isAbsolute(requested) ? [requested] : roots.map((r) => path.resolve(r, requested));
  const exact = files.filter((f) => f === requested || absolute.includes(f));
  if (exact.length > 0) return exact;
  const best = suffixMatch(absolute[0] ?? requested, files) ?? suffixMatch(requested, files);
  return best ? [best] : [];
}

function sourceLine(file: string, line: number, cache: Map<string, string[] | null>): string | undefined {
  if (!cache.has(file)) {
    try {
      cache.set(file, fs.readFileSync(file, 'utf8').split('\n'));
    } catch {
      cache.set(file, null);
    }
  }
  const text = cache.get(file)?.[line - 1];
  return text === undefined ? undefined : text.trim().slice(0, 120);
}

/** One file's lines by own weight (ties by total), with the source text where the file is readable. */
export function hotLinesText(profile: Profile, label: string, requested: string, limit: number, roots: readonly string[]): string {
  const paths = profilePathsFor(profile, requested, roots);
  if (paths.length === 0) {
    const known = [...new Set(profile.frames.map((f) => f.file))].filter((f) => f && !f.startsWith('<')).slice(0, 10).map((f) => citePath(f, roots));
    throw new AssistInputError(`the profile has no samples in '${requested}'; files it has samples in include: ${known.join(', ') || 'none'}`);
  }
  const stats = computeStats(profile);
  const totalW = profile.samples.reduce((a, s) => a + (s.node >= 0 && s.weight > 0 ? s.weight : 0), 0);
  const rows: Array<{ file: string; line: number; self: number; total: number }> = [];
  for (const file of paths) for (const [line, st] of stats.lines.get(file) ?? []) rows.push({ file, line, ...st });
  rows.sort((a, b) => b.self - a.self || b.total - a.total || a.line - b.line);
  const fileSelf = rows.reduce((a, r) => a + r.self, 0);
  const cache = new Map<string, string[] | null>();
  const out = [
    profileHeader(profile, label),
    `Hot lines of ${paths.map((p) => citePath(p, roots)).join(', ')} by own time (own = executing that line; total = that line or functions it called); the file has ${share(fileSelf, totalW, profile)} of own time:`,
  ];
  rows.slice(0, limit).forEach((r, i) => {
    const text = sourceLine(r.file, r.line, cache);
    out.push(`${i + 1}. ${at(r.file, r.line, roots)} own ${share(r.self, totalW, profile)}, total ${share(r.total, totalW, profile)}${text !== undefined ? ` | ${text}` : ''}`);
  });
  out.push(...notes(profile));
  return out.join('\n');
}

/** Call sites of a function (caller, file:line of the call), from the language server's caller table. */
export function callersText(profile: Profile, label: string, name: string, file: string | undefined, limit: number, roots: readonly string[]): string {
  const wanted = file ? new Set(profilePathsFor(profile, file, roots)) : undefined;
  const index = buildProfileIndex(profile);
  const frames = profile.frames.map((f, i) => ({ f, i })).filter(({ f }) => (f.name === name || f.name.endsWith(`.${name}`)) && (!wanted || wanted.has(f.file)));
  const byFrame = new Map(index.summary.functions.map((s) => [s.frame, s]));
  const sampled = frames.filter(({ i }) => (byFrame.get(i)?.total ?? 0) > 0);
  if (sampled.length === 0) throw new AssistInputError(`no function named '${name}'${file ? ` in ${file}` : ''} has samples in this profile; pyprof_top_functions lists the ones that do`);
  const out = [profileHeader(profile, label)];
  for (const { f, i } of sampled) {
    const fn = byFrame.get(i)!;
    out.push(`${f.name} (defined at ${at(f.file, f.line, roots)}): total ${share(fn.total, index.total, profile)}, own ${share(fn.self, index.total, profile)}. Callers by call site:`);
    const edges = index.callersOf(i).sort((a, b) => b.weight - a.weight || a.frame - b.frame || a.line - b.line);
    if (edges.length === 0) out.push('  (none: it is where the sampled stacks start)');
    edges.slice(0, limit).forEach((e, k) => {
      const caller = profile.frames[e.frame];
      out.push(`  ${k + 1}. ${caller.name} at ${at(caller.file, e.line, roots)}: ${share(e.weight, index.total, profile)} of all time spent in ${f.name} through this call`);
    });
    if (edges.length > limit) out.push(`  … ${edges.length - limit} more call sites`);
  }
  out.push(...notes(profile));
  return out.join('\n');
}

/** `pyprof diff`'s text report of two profiles (significance per function and per line). */
export function compareText(base: Profile, baseLabel: string, next: Profile, nextLabel: string, limit: number): string {
  return textReport(diffProfiles(base, next), { base: baseLabel, new: nextLabel }, limit).trimEnd();
}
