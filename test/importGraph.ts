// The import graph of src/, read with the TypeScript compiler's parser, and the rules that keep the
// rooms of the layout apart (README, "Where things live"). test/unit/structure-imports.test.ts runs
// the rules on the real tree and proves each one fires on a planted violation.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

export interface ImportEdge {
  /** importing file, repository-relative ("src/ui/controller.ts") */
  from: string;
  /** the specifier as written ("../engine/types", "vscode") */
  specifier: string;
  /** repository-relative file it resolves to; undefined for packages and node built-ins */
  to: string | undefined;
  /** `import type`, `export type`, `typeof import(...)`: erased at compile time, loads nothing */
  typeOnly: boolean;
  /** `await import(...)` or `require(...)`: loaded on first use, but still loaded */
  dynamic: boolean;
}

/** Every `.ts` file under `dir` (repository-relative), with its text. */
export function readSources(root: string, dir = 'src'): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts')) out.set(child, fs.readFileSync(path.join(root, child), 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** The imports of one file: static, re-exports, dynamic `import()`, `require()` and import types. */
export function importsOf(file: string, text: string, files: ReadonlySet<string>): ImportEdge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean, dynamic: boolean) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    edges.push({ from: file, specifier: spec.text, to: resolve(file, spec.text, files), typeOnly, dynamic });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      // `import { type A, type B } from` is as type-only as `import type { A, B } from`.
      const allTypeNames = !!clause && !clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, !!clause?.isTypeOnly || allTypeNames, false);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly, false);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal as ts.Expression, true, false);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) add(node.arguments[0], false, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** `../engine` -> src/engine/index.ts, `./types` -> src/engine/types.ts; packages -> undefined. */
function resolve(from: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) if (files.has(candidate)) return candidate;
  return base; // outside src/ (package.json) or not a .ts file (offsets.json): still named, never a room
}

export function importGraph(sources: ReadonlyMap<string, string>): ImportEdge[] {
  const files = new Set(sources.keys());
  return [...sources].flatMap(([file, text]) => importsOf(file, text, files));
}

/** The room a file belongs to: `src/ui/flame/flamePanel.ts` -> `ui`; top-level entry files -> their name. */
export function roomOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? parts[1] : parts[1].replace(/\.ts$/, '');
}

const show = (e: ImportEdge) => `${e.from} imports '${e.specifier}'`;

/**
 * What the layout forbids, one message per offending import (empty when the tree is clean):
 *  - debug/ (the adapter process), server/ (the language server process) and cli/ never import
 *    ui/ (extension-host code);
 *  - debug/ never imports cli/ (shared work lives in engine/, the events protocol in recording/);
 *  - assist/ (the AI-assistant tools, shared by `pyprof mcp` and the extension's LM tools) never
 *    imports ui/: it runs in the CLI too; ui/assist/ is the thin VS Code side;
 *  - `vscode` is imported only by ui/ and extension.ts: every other room runs in a process
 *    (CLI, recorder, adapter, language server, sampler worker) where there is no vscode module;
 *  - no cycle among engine/ files (type-only imports count: they tie the files together too);
 *  - the extension host never loads the sampler or the native reader: following every import that
 *    loads code (static or dynamic, not type-only) from extension.ts reaches only engine/types.ts
 *    and engine/proc/ (the koffi-free /proc scan behind the attach picker).
 */
export function structureViolations(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  for (const e of edges) {
    const from = roomOf(e.from);
    const to = e.to && e.to.startsWith('src/') ? roomOf(e.to) : undefined;
    if ((from === 'debug' || from === 'server' || from === 'cli') && to === 'ui') problems.push(`${show(e)}: ${from}/ must not depend on extension-host code in ui/`);
    if (from === 'debug' && (to === 'cli' || e.to === 'src/cli.ts')) problems.push(`${show(e)}: the adapter must not reach into the CLI's internals (use engine/ or recording/)`);
    if (from === 'assist' && to === 'ui') problems.push(`${show(e)}: assist/ is shared with pyprof mcp and must not depend on extension-host code in ui/`);
    if (e.specifier === 'vscode' && from !== 'ui' && from !== 'extension') problems.push(`${show(e)}: only ui/ and extension.ts run inside VS Code`);
  }
  for (const cycle of engineCycles(edges)) problems.push(`engine/ import cycle: ${cycle.join(' -> ')}`);
  for (const [file, via] of engineFilesLoadedByTheExtension(edges)) {
    problems.push(`the extension host loads ${file} (via ${via}): only engine/types.ts and engine/proc/ may load there`);
  }
  return problems;
}

/** Each cycle among engine/ files once, as the files on it in import order (first file repeated last). */
function engineCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!e.to || !e.from.startsWith('src/engine/') || !e.to.startsWith('src/engine/')) continue;
    if (!next.has(e.from)) next.set(e.from, new Set());
    next.get(e.from)!.add(e.to);
  }
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string) => {
    seen.add(file);
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (!seen.has(to)) visit(to);
      else if (!done.has(to)) cycles.push([...stack.slice(stack.indexOf(to)), to]);
    }
    stack.pop();
    done.add(file);
  };
  for (const file of [...next.keys()].sort()) if (!seen.has(file)) visit(file);
  return cycles;
}

/** engine/ files (other than types.ts and proc/) that code loaded from src/extension.ts loads, with the importing file. */
function engineFilesLoadedByTheExtension(edges: readonly ImportEdge[]): Map<string, string> {
  const loads = new Map<string, ImportEdge[]>();
  for (const e of edges) {
    if (e.typeOnly || !e.to) continue;
    if (!loads.has(e.from)) loads.set(e.from, []);
    loads.get(e.from)!.push(e);
  }
  const reached = new Set(['src/extension.ts']);
  const offending = new Map<string, string>();
  const queue = ['src/extension.ts'];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const e of loads.get(file) ?? []) {
      const to = e.to!;
      if (reached.has(to)) continue;
      reached.add(to);
      queue.push(to);
      if (to.startsWith('src/engine/') && to !== 'src/engine/types.ts' && !to.startsWith('src/engine/proc/')) offending.set(to, file);
    }
  }
  return offending;
}
