// Maps the lines of one version of a file to another's, from the per-line hashes profiles record
// (sourceDigest.ts): which old line is which new line after an edit, so a function moved down ten
// lines is compared with itself. Pure.
//
// Matching is a patience-style diff: common prefix and suffix first, then lines that occur exactly
// once on both sides anchor the match (their longest increasing run keeps the order), recursively
// between anchors; a gap with no unique line left is matched by a plain LCS when small enough.
// Unmatched old lines in a hunk of the same size as the new lines that replaced them are paired in
// order ("edited": `range(2 * n)` → `range(n)` is still that loop), so an edited line is compared
// with what it replaced; in uneven hunks old lines are gone and new lines are new.

/** LCS tables above this many cells are not built: such a gap (thousands of changed lines) stays unmatched. */
const MAX_LCS_CELLS = 4_000_000;

export interface LineMap {
  /** New 1-based line of an old 1-based line; 0 when the line is gone. */
  newLine(oldLine: number): number;
  /** True when the old line was paired with a changed line (same place in an edited hunk). */
  edited(oldLine: number): boolean;
  /** Where a gone old line was: the new line that now stands at its place (≥ 1). */
  anchor(oldLine: number): number;
  /** True when every line maps to itself (identical files, or no information to map with). */
  readonly identity: boolean;
}

export const IDENTITY_MAP: LineMap = {
  newLine: (l) => l,
  edited: () => false,
  anchor: (l) => l,
  identity: true,
};

/** Index pairs (old, new) of equal lines, in increasing order on both sides (0-based). */
export function matchLines(a: ArrayLike<number>, b: ArrayLike<number>): Int32Array {
  const aToB = new Int32Array(a.length).fill(-1);
  const work: Array<[number, number, number, number]> = [[0, a.length, 0, b.length]];
  while (work.length > 0) {
    let [a0, a1, b0, b1] = work.pop()!;
    while (a0 < a1 && b0 < b1 && a[a0] === b[b0]) aToB[a0++] = b0++;
    while (a1 > a0 && b1 > b0 && a[a1 - 1] === b[b1 - 1]) aToB[--a1] = --b1;
    if (a0 === a1 || b0 === b1) continue;
    const anchors = uniqueAnchors(a, a0, a1, b, b0, b1);
    if (anchors.length > 0) {
      let pa = a0;
      let pb = b0;
      for (const [i, j] of anchors) {
        aToB[i] = j;
        if (i > pa && j > pb) work.push([pa, i, pb, j]);
        pa = i + 1;
        pb = j + 1;
      }
      if (a1 > pa && b1 > pb) work.push([pa, a1, pb, b1]);
    } else if ((a1 - a0 + 1) * (b1 - b0 + 1) <= MAX_LCS_CELLS) {
      lcs(a, a0, a1, b, b0, b1, aToB);
    }
  }
  return aToB;
}

/** Lines unique on both sides of the ranges, as (i, j) pairs forming the longest run increasing in both. */
function uniqueAnchors(a: ArrayLike<number>, a0: number, a1: number, b: ArrayLike<number>, b0: number, b1: number): Array<[number, number]> {
  const countA = new Map<number, number>();
  const posA = new Map<number, number>();
  for (let i = a0; i < a1; i++) {
    countA.set(a[i], (countA.get(a[i]) ?? 0) + 1);
    posA.set(a[i], i);
  }
  const countB = new Map<number, number>();
  const posB = new Map<number, number>();
  for (let j = b0; j < b1; j++) {
    countB.set(b[j], (countB.get(b[j]) ?? 0) + 1);
    posB.set(b[j], j);
  }
  const pairs: Array<[number, number]> = [];
  for (let i = a0; i < a1; i++) {
    if (countA.get(a[i]) === 1 && countB.get(a[i]) === 1) pairs.push([i, posB.get(a[i])!]);
  }
  if (pairs.length === 0) return pairs;
  // Longest increasing subsequence of j (pairs are in increasing i): patience sorting with back links.
  const tails: number[] = [];
  const prev = new Int32Array(pairs.length).fill(-1);
  for (let k = 0; k < pairs.length; k++) {
    const j = pairs[k][1];
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tails[mid]][1] < j) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[k] = tails[lo - 1];
    tails[lo] = k;
  }
  const out: Array<[number, number]> = [];
  for (let k = tails[tails.length - 1]; k >= 0; k = prev[k]) out.push(pairs[k]);
  return out.reverse();
}

/** Classic LCS table over one gap, writing matches into aToB. */
function lcs(a: ArrayLike<number>, a0: number, a1: number, b: ArrayLike<number>, b0: number, b1: number, aToB: Int32Array): void {
  const n = a1 - a0;
  const m = b1 - b0;
  const w = m + 1;
  const t = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i * w + j] = a[a0 + i] === b[b0 + j] ? t[(i + 1) * w + j + 1] + 1 : Math.max(t[(i + 1) * w + j], t[i * w + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[a0 + i] === b[b0 + j]) aToB[a0 + i++] = b0 + j++;
    else if (t[(i + 1) * w + j] >= t[i * w + j + 1]) i++;
    else j++;
  }
}

/** The line map between two versions given their per-line hashes (line 1 first). */
export function mapLines(oldHashes: ArrayLike<number>, newHashes: ArrayLike<number>): LineMap {
  const aToB = matchLines(oldHashes, newHashes);
  const n = oldHashes.length;
  const newOf = new Int32Array(n + 1); // 1-based old line → 1-based new line, 0 gone
  const editedOf = new Uint8Array(n + 1);
  const anchorOf = new Int32Array(n + 1);
  // Walk hunks: runs of unmatched old lines between matched ones, with the new lines between their images.
  let i = 0;
  let prevNew = -1; // 0-based new index of the last matched line
  while (i < n) {
    if (aToB[i] >= 0) {
      newOf[i + 1] = aToB[i] + 1;
      prevNew = aToB[i];
      i++;
      continue;
    }
    let end = i;
    while (end < n && aToB[end] < 0) end++;
    const nextNew = end < n ? aToB[end] : newHashes.length;
    const oldCount = end - i;
    const newCount = nextNew - prevNew - 1;
    for (let k = 0; k < oldCount; k++) {
      anchorOf[i + k + 1] = Math.min(Math.max(prevNew + 2, 1), Math.max(newHashes.length, 1));
      if (oldCount === newCount) {
        newOf[i + k + 1] = prevNew + 2 + k;
        editedOf[i + k + 1] = 1;
      }
    }
    i = end;
  }
  let identity = oldHashes.length === newHashes.length;
  for (let l = 1; identity && l <= n; l++) identity = newOf[l] === l && !editedOf[l];
  return {
    newLine: (l) => (l >= 1 && l <= n ? newOf[l] : l > n ? l - n + newHashes.length : 0),
    edited: (l) => l >= 1 && l <= n && editedOf[l] === 1,
    anchor: (l) => (l >= 1 && l <= n ? anchorOf[l] || newOf[l] : l),
    identity,
  };
}
