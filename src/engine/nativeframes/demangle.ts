// C++ names (Itanium ABI, `_Z…`) made readable with binutils' c++filt when it is installed: one
// process per batch of new names (names are cached by the symbolizer, so batches are rare and
// small after the first samples). Without c++filt, mangled names are shown as they are.
import { spawnSync } from 'child_process';

let available: boolean | undefined;
const TIMEOUT_MS = 5000;

export function demangleAll(names: readonly string[]): string[] {
  if (names.length === 0 || available === false) return [...names];
  const r = spawnSync('c++filt', [], { input: names.join('\n') + '\n', encoding: 'utf8', timeout: TIMEOUT_MS });
  if (r.error || r.status !== 0) {
    available = false;
    return [...names];
  }
  available = true;
  const out = r.stdout.split('\n');
  return names.map((n, i) => out[i] || n);
}
