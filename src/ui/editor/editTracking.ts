// Decorations and lenses that sit on profiled lines follow the user's edits: each view keeps a
// LineShifter per document, and a document change moves them. One place for the vscode side of
// it, shared by hot lines, comparison decorations and the fallback CodeLens provider.

import * as vscode from 'vscode';
import { LineChange, LineShifter } from '../../profile/lineShift';

/** A document change event as LineShifter input, with the document's line count before it. */
export function editChanges(e: vscode.TextDocumentChangeEvent): { changes: LineChange[]; lineCountBefore: number } {
  const changes: LineChange[] = e.contentChanges.map((c) => ({
    startLine: c.range.start.line,
    startCharacter: c.range.start.character,
    endLine: c.range.end.line,
    endCharacter: c.range.end.character,
    text: c.text,
  }));
  // The document already has the edit applied; the line count before it is now - added + removed.
  let lineCountBefore = e.document.lineCount;
  for (const c of changes) lineCountBefore += c.endLine - c.startLine - (c.text.split('\n').length - 1);
  return { changes, lineCountBefore };
}

/**
 * Moves the edited document's tracked lines (when `docs` tracks it) and calls `render` for each
 * visible editor of that document; even when no line moved, since end-of-line text anchors at the
 * (changed) line end. Returns whether an editor was re-rendered.
 */
export function followEdit(
  docs: ReadonlyMap<string, { shifter: LineShifter }>,
  e: vscode.TextDocumentChangeEvent,
  render?: (editor: vscode.TextEditor) => void,
): boolean {
  const st = docs.get(e.document.uri.toString());
  if (!st || e.contentChanges.length === 0) return false;
  const { changes, lineCountBefore } = editChanges(e);
  st.shifter.apply(changes, lineCountBefore);
  let any = false;
  if (render) {
    for (const ed of vscode.window.visibleTextEditors) {
      if (ed.document === e.document) {
        render(ed);
        any = true;
      }
    }
  }
  return any;
}
