// Loads a TextMate grammar from syntaxes/ into vscode-textmate with the Oniguruma WASM engine (what
// VS Code itself uses) and tokenizes text, for the grammar tests.
import * as fs from 'fs';
import * as path from 'path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';
import { repoRoot } from './helpers';

let onigReady: Promise<void> | undefined;

function loadOniguruma(): Promise<void> {
  onigReady ??= oniguruma.loadWASM(fs.readFileSync(path.join(repoRoot, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm')).buffer as ArrayBuffer);
  return onigReady;
}

export interface Token {
  text: string;
  scopes: string[];
}

/** Tokenizes `text` line by line with the grammar in syntaxes/<file>. */
export async function tokenize(file: string, text: string): Promise<Token[][]> {
  await loadOniguruma();
  const grammarPath = path.join(repoRoot, 'syntaxes', file);
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (s: string[]) => new oniguruma.OnigScanner(s), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async () => textmate.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath),
  });
  const scope = (JSON.parse(fs.readFileSync(grammarPath, 'utf8')) as { scopeName: string }).scopeName;
  const grammar = await registry.loadGrammar(scope);
  if (!grammar) throw new Error(`grammar ${scope} did not load`);
  let state = textmate.INITIAL;
  return text.split('\n').map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
}

/** The texts of all tokens on `line` whose innermost scope starts with `scopePrefix`. */
export function textsWithScope(line: Token[], scopePrefix: string): string[] {
  return line.filter((t) => t.scopes[t.scopes.length - 1].startsWith(scopePrefix)).map((t) => t.text);
}
