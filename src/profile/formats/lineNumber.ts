// A source line number read from a profile file: files written by other tools, or edited by hand,
// can hold anything there (-1, 1e300, "x"). The editor hands lines to LSP positions (32-bit) and
// to arrays indexed by line, so anything that is not a plausible line means "unknown" (0).

const MAX_LINE = 2 ** 31 - 1;

export function lineNumber(x: unknown): number {
  const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
  return Number.isInteger(n) && n > 0 && n <= MAX_LINE ? n : 0;
}
