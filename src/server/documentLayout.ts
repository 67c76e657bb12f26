// Places a file's profile entries in one open document as it is now.
//
// Two mechanisms, combined: (1) every recorded line is tracked through the edits the client sends
// (LineShifter, shared with the extension's decorations), which is exact while the document is
// open; (2) each function is then re-anchored on its actual `def` (defLocator), which also repairs
// edits made before the document was opened, a full rewrite (formatter), or a profile of an older
// version of the file. A hot line moves with its function: its tracked line plus the distance its
// function's anchor moved. Layouts are cached per document version, so requests are lookups.

import { LineChange, LineShifter } from '../profile/lineShift';
import { DefinitionIndex, locateDefinition, parseQualifiedName } from './defLocator';
import type { FunctionEntry, LineEntry, LocalFileTable } from './fileTables';

export interface PlacedFunction {
  entry: FunctionEntry;
  /** 0-based line the lens goes on (first decorator or def). */
  line: number;
  /** 0-based `def` line. */
  defLine: number;
}

export interface PlacedLine {
  entry: LineEntry;
  /** 0-based line in the document now. */
  line: number;
}

export interface Layout {
  version: number;
  functions: PlacedFunction[];
  lines: PlacedLine[];
  /** 0-based document line → the profiled line placed there. */
  lineAt: Map<number, PlacedLine>;
  /** 0-based document line (anchor or def line) → the function placed there. */
  functionAt: Map<number, PlacedFunction>;
}

/** Splits like LSP/VS Code do: \n, \r\n and \r end a line. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/**
 * A full-content change (clients without incremental sync) as one line-range change: the lines
 * between the common prefix and the common suffix were replaced. Lets LineShifter track edits even then.
 */
export function diffAsChange(oldText: string, newText: string): LineChange | undefined {
  if (oldText === newText) return undefined;
  const a = splitLines(oldText);
  const b = splitLines(newText);
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  const inserted = b.slice(p, b.length - s);
  return {
    startLine: p,
    startCharacter: 0,
    endLine: a.length - s,
    endCharacter: 0,
    text: inserted.length > 0 ? inserted.join('\n') + '\n' : '',
  };
}

export class DocumentLayout {
  private readonly shifter: LineShifter;
  private cache: Layout | undefined;
  /** Function index per frame, for moving a line with its function. */
  private readonly functionOfFrame = new Map<number, number>();

  constructor(readonly table: LocalFileTable, lineCount: number) {
    const tracked = [...table.functions.map((f) => Math.max(f.line - 1, 0)), ...table.lines.map((l) => l.line - 1)];
    this.shifter = new LineShifter(tracked, lineCount);
    table.functions.forEach((f, i) => f.frames.forEach((fr) => this.functionOfFrame.set(fr, i)));
  }

  /** Feeds the document's content changes (ranges in the document before the change). */
  applyChanges(changes: readonly LineChange[]): void {
    if (changes.length > 0) this.shifter.apply(changes);
    this.cache = undefined;
  }

  layout(lines: readonly string[], version: number): Layout {
    if (this.cache && this.cache.version === version) return this.cache;
    const { table } = this;
    const tracked = this.shifter.current();
    const allDropped = this.shifter.allDropped;
    const nFn = table.functions.length;
    const defs = new DefinitionIndex(lines);

    // Functions: guess (tracked line, else the recorded one), then the real definition.
    const moved = new Array<number | undefined>(nFn); // anchor − guess, per function (undefined = not placed)
    const functions: PlacedFunction[] = [];
    const functionAt = new Map<number, PlacedFunction>();
    table.functions.forEach((f, i) => {
      const guess = tracked[i] >= 0 ? tracked[i] : Math.max(f.line - 1, 0);
      let placed: PlacedFunction | undefined;
      if (parseQualifiedName(f.name).name !== undefined) {
        const d = locateDefinition(defs, f.name, guess);
        if (d) placed = { entry: f, line: d.anchor, defLine: d.defLine };
      } else if (f.name === '<module>') {
        placed = { entry: f, line: 0, defLine: 0 };
      } else if (tracked[i] >= 0 && tracked[i] < lines.length && f.line > 0) {
        placed = { entry: f, line: tracked[i], defLine: tracked[i] }; // <lambda>, <listcomp>…: trust tracking
      }
      if (!placed) return;
      moved[i] = placed.line - guess;
      const clash = functionAt.get(placed.line);
      if (clash) {
        if (clash.entry.total >= f.total) return; // two entries found the same def: keep the heavier
        functions.splice(functions.indexOf(clash), 1);
      }
      functions.push(placed);
      functionAt.set(placed.line, placed);
      if (placed.defLine !== placed.line) functionAt.set(placed.defLine, placed);
    });
    functions.sort((a, b) => a.line - b.line);

    // Lines: tracked position + how far the owning function's anchor moved from its guess.
    const placedLines: PlacedLine[] = [];
    const lineAt = new Map<number, PlacedLine>();
    table.lines.forEach((l, j) => {
      const t = tracked[nFn + j];
      const fi = this.functionOfFrame.get(l.owner);
      const delta = fi !== undefined ? moved[fi] : 0;
      if (fi !== undefined && delta === undefined && table.functions[fi].name !== '<module>') return; // its function is gone
      let pos: number;
      if (t >= 0) pos = t + (delta ?? 0);
      else if (allDropped) pos = l.line - 1 + (delta ?? 0); // guesses were the recorded lines, so is this
      else return; // this line was edited away
      if (pos < 0 || pos >= lines.length) return;
      const p: PlacedLine = { entry: l, line: pos };
      const clash = lineAt.get(pos);
      if (clash) {
        if (clash.entry.total >= l.total) return;
        placedLines.splice(placedLines.indexOf(clash), 1);
      }
      placedLines.push(p);
      lineAt.set(pos, p);
    });
    placedLines.sort((a, b) => a.line - b.line);

    this.cache = { version, functions, lines: placedLines, lineAt, functionAt };
    return this.cache;
  }
}
