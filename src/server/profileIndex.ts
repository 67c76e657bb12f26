// Everything the language server answers from, computed once per loaded profile: the shared
// summary (per-file line and function tables, lens titles) plus the call-site trie folded into
// caller/callee tables for hovers. Pure (no LSP, no file system), so it is unit-tested directly.
//
// Caller/callee weights follow the model's "counts once per sample" rule: a trie edge adds its
// subtree weight to (caller site → callee) unless an ancestor edge has the same key, so recursion
// never counts a sample twice. One pre-order walk over the trie: O(nodes + samples), independent
// of stack depth × samples. Keys are numbers (interned call sites and lines), never strings, and
// lists are left unordered: a hover sorts only the few lists it shows.

import { trieChildren } from '../profile/model';
import type { Profile } from '../profile/model';
import { ProfileSummary, computeStats, summarizeProfile } from '../profile/summary';

/** One side of a call: `frame` is the other function; `line` the call-site line in the caller (0 = n/a). */
export interface CallEdge {
  frame: number;
  line: number;
  weight: number;
}

export interface ProfileIndex {
  profile: Profile;
  summary: ProfileSummary;
  total: number;
  /** Who called `frame`, by call site (caller frame + line). Recursion excluded. Unordered, fresh array. */
  callersOf(frame: number): CallEdge[];
  /** Functions `frame` called (from any of its lines). Recursion excluded. Unordered, fresh array. */
  calleesOf(frame: number): CallEdge[];
  /** Functions called from one line of a profile file (`line` = 0 in the result). Unordered, fresh array. */
  lineCalleesOf(file: string, line: number): CallEdge[];
  /** Profile file → line → the function that executed that line with the most weight. */
  lineOwner: Map<string, Map<number, number>>;
}

/** Groups `count` items by key (0..keys-1) into CSR arrays: items of key k are order[start[k]..start[k+1]). */
function groupBy(count: number, keys: number, keyOf: (i: number) => number): { start: Int32Array; order: Int32Array } {
  const start = new Int32Array(keys + 1);
  for (let i = 0; i < count; i++) {
    const k = keyOf(i);
    if (k >= 0) start[k + 1]++;
  }
  for (let k = 0; k < keys; k++) start[k + 1] += start[k];
  const fill = start.slice(0, keys);
  const order = new Int32Array(start[keys]);
  for (let i = 0; i < count; i++) {
    const k = keyOf(i);
    if (k >= 0) order[fill[k]++] = i;
  }
  return { start, order };
}

export function buildProfileIndex(profile: Profile): ProfileIndex {
  const stats = computeStats(profile);
  const summary = summarizeProfile(profile, stats);
  const { nodes, frames } = profile;
  const n = nodes.length;
  const F = Math.max(frames.length, 1);

  const leafWeight = new Float64Array(n);
  for (const s of profile.samples) if (s.node >= 0 && s.weight !== 0) leafWeight[s.node] += s.weight;

  // Children in CSR form, roots under the virtual index -1 (slot 0).
  const { childStart, children } = trieChildren(nodes);

  // Call sites: each node's (frame, line) interned to a small id, per frame so map keys stay small.
  const siteIdsByFrame: Array<Map<number, number> | undefined> = new Array(frames.length);
  const siteFrame: number[] = [];
  const siteLine: number[] = [];
  const siteOf = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    const nd = nodes[v];
    const m = (siteIdsByFrame[nd.frame] ??= new Map());
    let id = m.get(nd.line);
    if (id === undefined) {
      id = siteFrame.length;
      siteFrame.push(nd.frame);
      siteLine.push(nd.line);
      m.set(nd.line, id);
    }
    siteOf[v] = id;
  }
  // Edges (caller site → callee frame) and function edges (caller frame → callee frame), per node.
  const edgeIds = new Map<number, number>();
  const fnEdgeIds = new Map<number, number>();
  const edgeOf = new Int32Array(n).fill(-1);
  const fnEdgeOf = new Int32Array(n).fill(-1);
  const edgeSite: number[] = [];
  const edgeCallee: number[] = [];
  const fnEdgeCaller: number[] = [];
  const fnEdgeCallee: number[] = [];
  for (let v = 0; v < n; v++) {
    const p = nodes[v].parent;
    if (p < 0) continue;
    const callee = nodes[v].frame;
    const site = siteOf[p];
    const ek = site * F + callee;
    let e = edgeIds.get(ek);
    if (e === undefined) {
      e = edgeSite.length;
      edgeSite.push(site);
      edgeCallee.push(callee);
      edgeIds.set(ek, e);
    }
    edgeOf[v] = e;
    const caller = nodes[p].frame;
    const fk = caller * F + callee;
    let fe = fnEdgeIds.get(fk);
    if (fe === undefined) {
      fe = fnEdgeCaller.length;
      fnEdgeCaller.push(caller);
      fnEdgeCallee.push(callee);
      fnEdgeIds.set(fk, fe);
    }
    fnEdgeOf[v] = fe;
  }

  // Pre-order walk with enter/exit markers: dup flags say "an ancestor has the same edge".
  const order = new Int32Array(n);
  const dupEdge = new Uint8Array(n);
  const dupFnEdge = new Uint8Array(n);
  const edgeDepth = new Int32Array(edgeSite.length);
  const fnEdgeDepth = new Int32Array(fnEdgeCaller.length);
  const stack: number[] = [];
  let ordered = 0;
  for (let r = childStart[0]; r < childStart[1]; r++) stack.push(children[r]);
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v < 0) {
      const u = ~v;
      if (edgeOf[u] >= 0) edgeDepth[edgeOf[u]]--;
      if (fnEdgeOf[u] >= 0) fnEdgeDepth[fnEdgeOf[u]]--;
      continue;
    }
    order[ordered++] = v;
    if (edgeOf[v] >= 0) {
      if (edgeDepth[edgeOf[v]] > 0) dupEdge[v] = 1;
      edgeDepth[edgeOf[v]]++;
    }
    if (fnEdgeOf[v] >= 0) {
      if (fnEdgeDepth[fnEdgeOf[v]] > 0) dupFnEdge[v] = 1;
      fnEdgeDepth[fnEdgeOf[v]]++;
    }
    stack.push(~v);
    for (let c = childStart[v + 1]; c < childStart[v + 2]; c++) stack.push(children[c]);
  }
  const subtree = Float64Array.from(leafWeight);
  for (let i = ordered - 1; i >= 0; i--) {
    const v = order[i];
    const p = nodes[v].parent;
    if (p >= 0) subtree[p] += subtree[v];
  }

  const edgeWeight = new Float64Array(edgeSite.length);
  const fnEdgeWeight = new Float64Array(fnEdgeCaller.length);
  const siteWeight = new Float64Array(siteFrame.length); // weight through each (frame, line), for owners
  for (let i = 0; i < ordered; i++) {
    const v = order[i];
    if (subtree[v] === 0) continue;
    if (edgeOf[v] >= 0 && !dupEdge[v]) edgeWeight[edgeOf[v]] += subtree[v];
    if (fnEdgeOf[v] >= 0 && !dupFnEdge[v]) fnEdgeWeight[fnEdgeOf[v]] += subtree[v];
    siteWeight[siteOf[v]] += subtree[v];
  }

  // Lines of a file: (file, line) interned, so several frames sharing a line merge by number keys.
  const fileIds = new Map<string, number>();
  const fileNames: string[] = [];
  const fileOfFrame = new Int32Array(frames.length);
  frames.forEach((f, i) => {
    let id = fileIds.get(f.file);
    if (id === undefined) {
      id = fileNames.length;
      fileNames.push(f.file);
      fileIds.set(f.file, id);
    }
    fileOfFrame[i] = id;
  });
  const lineIdsByFile: Array<Map<number, number> | undefined> = new Array(fileNames.length);
  const lineFile: number[] = [];
  const lineNo: number[] = [];
  const lineOfSite = new Int32Array(siteFrame.length).fill(-1);
  for (let s = 0; s < siteFrame.length; s++) {
    if (siteLine[s] <= 0) continue;
    const file = fileOfFrame[siteFrame[s]];
    const m = (lineIdsByFile[file] ??= new Map());
    let id = m.get(siteLine[s]);
    if (id === undefined) {
      id = lineFile.length;
      lineFile.push(file);
      lineNo.push(siteLine[s]);
      m.set(siteLine[s], id);
    }
    lineOfSite[s] = id;
  }

  // Lookup tables, as CSR over the edge arrays: no per-edge objects until a hover asks.
  const E = edgeSite.length;
  const byCallee = groupBy(E, frames.length, (e) =>
    edgeWeight[e] !== 0 && siteFrame[edgeSite[e]] !== edgeCallee[e] ? edgeCallee[e] : -1,
  );
  const fnByCaller = groupBy(fnEdgeCaller.length, frames.length, (e) =>
    fnEdgeWeight[e] !== 0 && fnEdgeCaller[e] !== fnEdgeCallee[e] ? fnEdgeCaller[e] : -1,
  );
  const bySite = groupBy(E, siteFrame.length, (e) => (edgeWeight[e] !== 0 ? edgeSite[e] : -1));
  const sitesByLine = groupBy(siteFrame.length, lineFile.length, (s) => lineOfSite[s]);

  const callersOf = (frame: number): CallEdge[] => {
    const out: CallEdge[] = [];
    for (let i = byCallee.start[frame]; i < byCallee.start[frame + 1]; i++) {
      const e = byCallee.order[i];
      out.push({ frame: siteFrame[edgeSite[e]], line: siteLine[edgeSite[e]], weight: edgeWeight[e] });
    }
    return out;
  };
  const calleesOf = (frame: number): CallEdge[] => {
    const out: CallEdge[] = [];
    for (let i = fnByCaller.start[frame]; i < fnByCaller.start[frame + 1]; i++) {
      const e = fnByCaller.order[i];
      out.push({ frame: fnEdgeCallee[e], line: 0, weight: fnEdgeWeight[e] });
    }
    return out;
  };
  const lineCalleesOf = (file: string, line: number): CallEdge[] => {
    const fid = fileIds.get(file);
    const lid = fid === undefined ? undefined : lineIdsByFile[fid]?.get(line);
    if (lid === undefined) return [];
    // Several frames of one file can share a line (a lambda on its caller's line): merge by callee.
    const merged = new Map<number, number>();
    for (let i = sitesByLine.start[lid]; i < sitesByLine.start[lid + 1]; i++) {
      const site = sitesByLine.order[i];
      for (let j = bySite.start[site]; j < bySite.start[site + 1]; j++) {
        const e = bySite.order[j];
        merged.set(edgeCallee[e], (merged.get(edgeCallee[e]) ?? 0) + edgeWeight[e]);
      }
    }
    return [...merged].map(([frame, weight]) => ({ frame, line: 0, weight }));
  };

  // Owner of each (file, line): the frame whose nodes at that line carry the most weight.
  const bestWeight = new Float64Array(lineFile.length);
  const bestFrame = new Int32Array(lineFile.length).fill(-1);
  for (let s = 0; s < siteFrame.length; s++) {
    const lid = lineOfSite[s];
    if (lid < 0 || siteWeight[s] === 0) continue;
    const w = siteWeight[s];
    if (w > bestWeight[lid] || (w === bestWeight[lid] && siteFrame[s] < bestFrame[lid])) {
      bestWeight[lid] = w;
      bestFrame[lid] = siteFrame[s];
    }
  }
  const lineOwner = new Map<string, Map<number, number>>();
  for (let lid = 0; lid < lineFile.length; lid++) {
    if (bestFrame[lid] < 0) continue;
    const file = fileNames[lineFile[lid]];
    let m = lineOwner.get(file);
    if (!m) lineOwner.set(file, (m = new Map()));
    m.set(lineNo[lid], bestFrame[lid]);
  }

  return { profile, summary, total: summary.total, callersOf, calleesOf, lineCalleesOf, lineOwner };
}
