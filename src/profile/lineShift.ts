// Keeps decorated lines attached to their code while the user edits: applies a document's content
// changes to a set of tracked line numbers. Pure (no vscode import): the decoration manager feeds
// it the fields of vscode.TextDocumentContentChangeEvent.
//
// Rules: lines above an edit stay; lines below move by the number of lines the edit added or
// removed; the edit's first line keeps its decoration (typing on a hot line keeps it hot); lines
// the edit replaced are dropped; an insertion at column 0 moves the line it lands on. An edit
// that replaces a large part of the document (reformat, paste-over, external rewrite) makes the
// profile's line numbers meaningless, so everything is dropped.

export interface LineChange {
  /** 0-based range the change replaced, in the document before this change. */
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
  /** Replacement text. */
  text: string;
}

/** A change replacing more than this many lines, and more than half the document, drops all lines. */
export const BIG_REWRITE_LINES = 50;

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export class LineShifter {
  /** Current 0-based line of each tracked entry, -1 once dropped. Same order as the constructor's lines. */
  private readonly lines: Int32Array;
  private dropped = false;

  constructor(lines: readonly number[], private lineCount = Number.MAX_SAFE_INTEGER) {
    this.lines = Int32Array.from(lines);
  }

  /** True once a big rewrite dropped every line. */
  get allDropped(): boolean {
    return this.dropped;
  }

  /** Current line per entry (-1 = dropped). */
  current(): Int32Array {
    return this.lines;
  }

  /**
   * Applies one event's changes. VS Code reports a multi-cursor edit as several non-overlapping
   * changes whose ranges all refer to the document before the event; applying them bottom-up keeps
   * each one's coordinates valid. Returns true when any tracked line moved or was dropped.
   */
  apply(changes: readonly LineChange[], lineCountBefore?: number): boolean {
    if (this.dropped || changes.length === 0) return false;
    if (lineCountBefore !== undefined) this.lineCount = lineCountBefore;
    const sorted = [...changes].sort((a, b) => b.startLine - a.startLine || b.startCharacter - a.startCharacter);
    let moved = false;
    for (const c of sorted) {
      const removed = c.endLine - c.startLine;
      const added = countNewlines(c.text);
      if (removed > BIG_REWRITE_LINES && removed > this.lineCount / 2) {
        this.lines.fill(-1);
        this.dropped = true;
        return true;
      }
      const delta = added - removed;
      // Column-0 boundaries: an edit starting at column 0 and ending at column 0 of a later line
      // replaces whole lines and leaves its end line untouched (it only moves); an insertion at
      // column 0 pushes its line down instead of editing it.
      const wholeStart = c.startCharacter === 0 && (removed > 0 ? c.endCharacter === 0 : added > 0);
      const endUntouched = removed > 0 && c.endCharacter === 0;
      for (let i = 0; i < this.lines.length; i++) {
        const l = this.lines[i];
        if (l < 0 || l < c.startLine) continue;
        let next: number;
        if (l === c.startLine && removed === 0) next = wholeStart ? l + delta : l;
        else if (l === c.startLine) next = wholeStart ? -1 : l;
        else if (l < c.endLine) next = -1;
        else if (l === c.endLine) next = endUntouched ? l + delta : -1;
        else next = l + delta;
        if (next !== l) {
          this.lines[i] = next;
          moved = true;
        }
      }
      this.lineCount += delta;
    }
    return moved;
  }
}
