// Finds a profiled function's definition in the document as it is now. The profile recorded a def
// line (co_firstlineno) for the file as it was when profiled; the document may have been edited
// since, before or after it was opened. So a recorded/tracked line is only a guess: the function is
// placed where `def name` / `async def name` / `class name` actually is, choosing, among the
// definitions of that name, those inside the enclosing scope the qualified name gives
// (`Klass.method`, `outer.<locals>.inner`), then the one nearest the guess.
// The anchor of a decorated definition is its first decorator (that is what co_firstlineno
// records, and a lens there sits above the whole definition). Pure: works on an array of lines.

export interface Definition {
  /** 0-based line of `def` / `class`. */
  defLine: number;
  /** 0-based line of the first decorator, or defLine. */
  anchor: number;
  indent: number;
}

const DEF_RE = /^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_\u00C0-\uFFFF][\w\u00C0-\uFFFF]*)/;

function indentOf(s: string): number {
  let i = 0;
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return i;
}

function isBlankOrComment(s: string): boolean {
  const t = s.trim();
  return t.length === 0 || t.startsWith('#');
}

/** Every definition of the document, by name. One pass over the text; cached per document version. */
export class DefinitionIndex {
  private readonly byName = new Map<string, Definition[]>();

  constructor(private readonly lines: readonly string[]) {
    for (let i = 0; i < lines.length; i++) {
      const m = DEF_RE.exec(lines[i]);
      if (!m) continue;
      const indent = m[1].length;
      const d: Definition = { defLine: i, anchor: this.decoratorTop(i, indent), indent };
      const list = this.byName.get(m[3]);
      if (list) list.push(d);
      else this.byName.set(m[3], [d]);
    }
  }

  get lineCount(): number {
    return this.lines.length;
  }

  definitions(name: string): readonly Definition[] {
    return this.byName.get(name) ?? [];
  }

  /**
   * The first decorator above a def at `indent`: walk up over decorator lines, their argument
   * continuation lines (deeper indentation or a closing bracket), blank lines and comments.
   */
  private decoratorTop(defLine: number, indent: number): number {
    let top = defLine;
    for (let i = defLine - 1; i >= 0 && defLine - i <= 200; i--) {
      const s = this.lines[i];
      if (isBlankOrComment(s)) continue;
      const ind = indentOf(s);
      const t = s.trimStart();
      if (ind === indent && t.startsWith('@')) top = i;
      else if (ind > indent || (ind === indent && /^[)\]}]/.test(t))) continue;
      else break;
    }
    return top;
  }

  /** Name of the nearest def/class enclosing `line` (by indentation), or undefined at module level. */
  enclosingScope(line: number, indent: number): string | undefined {
    for (let i = line - 1; i >= 0; i--) {
      const s = this.lines[i];
      if (isBlankOrComment(s)) continue;
      const ind = indentOf(s);
      if (ind >= indent) continue;
      const m = DEF_RE.exec(s);
      if (m) return m[3];
      if (ind === 0) return undefined;
      indent = ind; // an `if`/`for`/`with` block: its own enclosing scope is further out
    }
    return undefined;
  }
}

export interface QualifiedName {
  /** Identifier after the last dot (`method` of `Klass.method`), or undefined for `<module>`, `<lambda>`… */
  name?: string;
  /** Enclosing def/class name when the qualified name has one (`Klass` of `Klass.method`). */
  scope?: string;
}

export function parseQualifiedName(qualname: string): QualifiedName {
  const parts = qualname.split('.').filter((p) => p !== '<locals>' && p.length > 0);
  const last = parts[parts.length - 1] ?? '';
  if (!/^[A-Za-z_\u00C0-\uFFFF][\w\u00C0-\uFFFF]*$/.test(last)) return {};
  const scope = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  return scope !== undefined && /^[A-Za-z_\u00C0-\uFFFF][\w\u00C0-\uFFFF]*$/.test(scope) ? { name: last, scope } : { name: last };
}

/**
 * Where the definition of `qualname` is now, nearest to `guess` (0-based, may be out of range).
 * Returns undefined when the document has no definition of that name (deleted or renamed).
 */
export function locateDefinition(index: DefinitionIndex, qualname: string, guess: number): Definition | undefined {
  const { name, scope } = parseQualifiedName(qualname);
  if (!name) return undefined;
  let candidates = index.definitions(name);
  if (candidates.length === 0) return undefined;
  if (candidates.length > 1 && scope !== undefined) {
    const inScope = candidates.filter((d) => index.enclosingScope(d.defLine, d.indent) === scope);
    if (inScope.length > 0) candidates = inScope;
  }
  let best: Definition | undefined;
  let bestDist = Infinity;
  for (const d of candidates) {
    const dist = Math.min(Math.abs(d.anchor - guess), Math.abs(d.defLine - guess));
    if (dist < bestDist) {
      best = d;
      bestDist = dist;
    }
  }
  return best;
}
