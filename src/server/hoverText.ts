// Hover, inlay-hint and diagnostic wording. Numbers come from profile/summary.ts formatters so the
// server reads exactly like the extension's own views. Pure: returns Markdown/plain strings.

import * as path from 'path';
import { formatPercent, formatWeight, heatLegend, heatLevel } from '../profile/summary';
import { nativeLeavesUnderLine, parseNativeFile } from '../profile/nativeFrames';
import type { FunctionEntry, LineEntry, LocalFileTable } from './fileTables';
import type { CallEdge, ProfileIndex } from './profileIndex';

export interface HoverContext {
  index: ProfileIndex;
  /** Local file for a profile path (for links), when it maps to one. */
  localPathOf(profileFile: string): string | undefined;
  /** Rows per caller/callee list. */
  limit?: number;
}

const DEFAULT_LIMIT = 8;

function share(ctx: HoverContext, weight: number): string {
  const { total, profile } = ctx.index;
  return `${formatPercent(total > 0 ? weight / total : 0)} · ${formatWeight(weight, profile.meta)}`;
}

/** Longest name shown in a hover: profiles from elsewhere can hold megabyte-long names. */
const MAX_NAME = 200;

/**
 * Profile text as Markdown inline code. Names come from the profiled program (or a file from
 * anywhere): a backtick or a line break would end the code span and the rest would be read as
 * Markdown (links, images, HTML), so both are replaced and the text is cut.
 */
function code(s: string): string {
  const flat = s.replace(/[`\r\n\u2028\u2029\u0000-\u001f\u007f]/g, (c) => (c === '`' ? "'" : ' '));
  return '`' + (flat.length > MAX_NAME ? flat.slice(0, MAX_NAME - 1) + '…' : flat) + '`';
}

/** A file name as the text of a Markdown link: brackets, backslashes and line breaks would end or break it. */
function linkText(s: string): string {
  const flat = s.replace(/[\[\]\\<>*_\r\n\u2028\u2029\u0000-\u001f\u007f]/g, (c) => (c === '\r' || c === '\n' || c < ' ' || c === '\u2028' || c === '\u2029' || c === '\u007f' ? ' ' : '\\' + c));
  return flat.length > MAX_NAME ? flat.slice(0, MAX_NAME - 1) + '…' : flat;
}

/** `` `name` — [file.py:12](file:///abs/file.py#L12) `` (a link when the file maps to a local one). */
export function frameLabel(ctx: HoverContext, frame: number, line?: number): string {
  const fr = ctx.index.profile.frames[frame];
  const at = line && line > 0 ? line : fr.line;
  const native = fr.file ? parseNativeFile(fr.file) : undefined;
  // a native frame: `libz.so.1 [native]`, or with its DWARF source line `spinmod.c:9 [native spinmod.so]`
  const base = native ? path.basename(native.source ?? native.module) : fr.file ? path.basename(fr.file) : '?';
  const tag = native ? (native.source ? ` [native ${path.basename(native.module)}]` : ' [native]') : '';
  const where = linkText((at > 0 && (!native || native.source) ? `${base}:${at}` : base) + tag);
  const local = fr.file ? ctx.localPathOf(fr.file) : undefined;
  const ref = local ? `[${where}](${fileUri(local)}#L${at > 0 ? at : 1})` : where;
  return `${code(fr.name)} — ${ref}`;
}

function fileUri(p: string): string {
  return 'file://' + p.split('/').map(encodeURIComponent).join('/');
}

/** Merges edge lists of several frames (one function seen under several profile paths). */
function mergeEdges(lists: readonly (readonly CallEdge[])[]): CallEdge[] {
  const out: CallEdge[] = [];
  for (const l of lists) out.push(...l);
  return out.sort((a, b) => b.weight - a.weight || a.frame - b.frame || a.line - b.line);
}

function edgeList(ctx: HoverContext, heading: string, edges: readonly CallEdge[], withSiteLine: boolean): string[] {
  if (edges.length === 0) return [];
  const limit = ctx.limit ?? DEFAULT_LIMIT;
  const rows = edges.slice(0, limit).map((e) => `- ${share(ctx, e.weight)} — ${frameLabel(ctx, e.frame, withSiteLine ? e.line : undefined)}`);
  if (edges.length > limit) {
    const rest = edges.slice(limit).reduce((a, e) => a + e.weight, 0);
    rows.push(`- … ${edges.length - limit} more (${share(ctx, rest)})`);
  }
  return ['', `**${heading}**`, '', ...rows];
}

/** Functions called from one recorded line of a local file (all its profile paths). */
export function calleesOfLine(ctx: HoverContext, table: LocalFileTable, recordedLine: number): CallEdge[] {
  return mergeEdges(table.profileFiles.map((pf) => ctx.index.lineCalleesOf(pf, recordedLine)));
}

export function callersOfFunction(ctx: HoverContext, fn: FunctionEntry): CallEdge[] {
  return mergeEdges(fn.frames.map((f) => ctx.index.callersOf(f)));
}

export function calleesOfFunction(ctx: HoverContext, fn: FunctionEntry): CallEdge[] {
  return mergeEdges(fn.frames.map((f) => ctx.index.calleesOf(f)));
}

/**
 * Hover on a profiled line: its numbers, what it calls, and who calls its function.
 * `docLine` is the 0-based line in the document now; the recorded line is mentioned when different.
 */
export function lineHover(ctx: HoverContext, table: LocalFileTable, entry: LineEntry, docLine: number, fn?: FunctionEntry): string {
  const owner = entry.owner >= 0 ? ctx.index.profile.frames[entry.owner].name : undefined;
  const moved = docLine + 1 !== entry.line ? ` (line ${entry.line} when profiled)` : '';
  const hottest = ctx.index.summary.hottestLineSelf;
  const heat = heatLevel(entry.selfFraction, hottest);
  const out = [`**pyprof** · line ${docLine + 1}${moved}${owner ? ` in ${code(owner)}` : ''}`, '', entry.text];
  // the gutter's legend: what this line's colour step means (lines without own time have none)
  if (heat > 0) out.push('', `_${heatLegend(heat, hottest)}_`);
  out.push(...nativeUnderLine(ctx, table, entry.line));
  out.push(...edgeList(ctx, 'Calls from this line', calleesOfLine(ctx, table, entry.line), false));
  if (fn) out.push(...edgeList(ctx, `${code(fn.name)} is called from`, callersOfFunction(ctx, fn), true));
  return out.join('\n');
}

/** Rows of native code per hover (recorded with --native). */
const NATIVE_ROWS = 3;

/** `63 % in cblas_dgemm (libblas.so.3)`: the C functions this line's own time ran in (--native recordings), with their hottest source line when known. */
function nativeUnderLine(ctx: HoverContext, table: LocalFileTable, recordedLine: number): string[] {
  const rows = nativeLeavesUnderLine(ctx.index.profile, new Set(table.profileFiles), recordedLine);
  if (rows.length === 0) return [];
  return ['', '**Native code under this line**', '', ...rows.slice(0, NATIVE_ROWS).map((r) => `- ${formatPercent(r.fraction)} in ${code(r.name)} (${r.source ? `${r.source}, ` : ''}${r.module})`)];
}

/** Hover on a profiled function's definition: its lens numbers, callers and callees. */
export function functionHover(ctx: HoverContext, fn: FunctionEntry): string {
  const out = [`**pyprof** · ${code(fn.name)}`, '', fn.title.replace(/^pyprof: /, '')];
  if (fn.hotLine > 0) out.push('', `Hottest line (as profiled): ${fn.hotLine}`);
  out.push(...edgeList(ctx, 'Called from', callersOfFunction(ctx, fn), true));
  out.push(...edgeList(ctx, 'Calls', calleesOfFunction(ctx, fn), false));
  return out.join('\n');
}

/**
 * Inlay hint label at the end of a line: its self share when that reaches the threshold, else its
 * total share (a call site whose callees are hot), else nothing.
 */
export function inlayLabel(entry: LineEntry, minFraction: number): string | undefined {
  if (entry.selfFraction > 0 && entry.selfFraction >= minFraction) return `${formatPercent(entry.selfFraction)} self`;
  if (entry.totalFraction > 0 && entry.totalFraction >= minFraction) return `${formatPercent(entry.totalFraction)} total`;
  return undefined;
}

export function diagnosticMessage(entry: LineEntry): string {
  return `pyprof: hot line — ${entry.text}`;
}
