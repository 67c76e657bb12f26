// Where the `file:line` locations are in a stack dump (`pyprof dump`, Dump Stacks) or a collapsed
// stacks file, for the links that open them. Pure text → ranges; the same frame forms the two
// TextMate grammars in syntaxes/ colour.

export interface StackLocation {
  /** 0-based line in the document. */
  line: number;
  /** Character range of `file:line` (or `file`) on that line. */
  start: number;
  end: number;
  file: string;
  /** 1-based source line; 0 when the frame has none. */
  sourceLine: number;
}

/** `    func (file:line)` — the location is the last parenthesised group of a frame line. */
const DUMP_FRAME = /^(\s+)(.*?)\s+\((.+?)(?::(\d+))?\)\s*$/;
/** `func (file:line)` inside a collapsed record (py-spy, flamegraph.pl input written by pyprof). */
const PYSPY_FRAME = /(?:^|;)[^;]*?\s\(([^;()]+?)(?::(\d+))?\)(?=;|\s+\d+(?:\.\d+)?\s*$)/g;
/** PyFlame's `file.py:func:line`. */
const PYFLAME_FRAME = /(?:^|;)((?:\/[^:;]*|[^:;\s]+\.py)):[^:;]+:(\d+)(?=;|\s+\d+(?:\.\d+)?\s*$)/g;

/** A file name that can be opened: not `<frozen …>`, `<string>`, `~` or a bare built-in. */
function isSourceFile(f: string): boolean {
  return !/^<.*>$/.test(f) && f !== '~' && /[/\\]|\.pyw?$/.test(f);
}

export function findDumpLocations(text: string): StackLocation[] {
  const out: StackLocation[] = [];
  text.split('\n').forEach((raw, line) => {
    const l = raw.replace(/\r$/, '');
    const m = DUMP_FRAME.exec(l);
    if (!m || !isSourceFile(m[3])) return;
    // The file may contain '(' itself: measure back from the closing parenthesis instead.
    const end = l.lastIndexOf(')');
    const start = end - (m[3].length + (m[4] ? m[4].length + 1 : 0));
    out.push({ line, start, end, file: m[3], sourceLine: m[4] ? Number(m[4]) : 0 });
  });
  return out;
}

export function findCollapsedLocations(text: string): StackLocation[] {
  const out: StackLocation[] = [];
  text.split('\n').forEach((raw, line) => {
    const l = raw.replace(/\r$/, '');
    if (!l.trim() || l.trimStart().startsWith('#')) return;
    for (const m of l.matchAll(PYSPY_FRAME)) {
      const file = m[1];
      if (!isSourceFile(file)) continue;
      const close = m.index! + m[0].length - 1; // the ')'
      const start = l.lastIndexOf('(', close) + 1;
      out.push({ line, start, end: close, file, sourceLine: m[2] ? Number(m[2]) : 0 });
    }
    for (const m of l.matchAll(PYFLAME_FRAME)) {
      const start = m.index! + (m[0].startsWith(';') ? 1 : 0);
      out.push({ line, start, end: m.index! + m[0].length, file: m[1], sourceLine: Number(m[2]) });
    }
  });
  return out.sort((a, b) => a.line - b.line || a.start - b.start);
}
