// Everything the language server answers from, computed once per loaded profile: the shared
// summary (per-file line and function tables, lens titles) plus the call-site trie folded into
// caller/callee tables for hovers. Pure (no LSP, no file system), so it is unit-tested directly.
//
// Caller/callee weights follow the model's "counts once per sample" rule: a trie edge adds its
// subtree weight to (caller site → callee) unless an ancestor edge has the same key, so recursion
// never counts a sample twice. One pre-order walk over the trie: O(nodes + samples), independent
// of stack depth × samples.

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
  /** Per frame: who called it, by call site (caller frame + line), heaviest first. Recursion excluded. */
  callers: CallEdge[][];
  /** Per frame: functions it called (any line), heaviest first. Recursion excluded. */
  callees: CallEdge[][];
  /** Profile file → line → functions called from that line, heaviest first (line = 0). */
  lineCallees: Map<string, Map<number, CallEdge[]>>;
  /** Profile file → line → the function that executed that line with the most weight. */
  lineOwner: Map<string, Map<number, number>>;
}

const LINE_LIMIT = 2 ** 24;

export function buildProfileIndex(profile: Profile): ProfileIndex {
  const stats = computeStats(profile);
  const summary = summarizeProfile(profile, stats);
  const { nodes, frames } = profile;
  const n = nodes.length;
  const F = Math.max(frames.length, 1);

  const leafWeight = new Float64Array(n);
  for (const s of profile.samples) if (s.node >= 0 && s.weight !== 0) leafWeight[s.node] += s.weight;

  // Children in CSR form, roots under the virtual index -1 (slot 0).
  const childStart = new Int32Array(n + 2);
  for (let i = 0; i < n; i++) childStart[nodes[i].parent + 2]++;
  for (let i = 0; i <= n; i++) childStart[i + 1] += childStart[i];
  const fill = childStart.slice(0, n + 1);
  const children = new Int32Array(n);
  for (let i = 0; i < n; i++) children[fill[nodes[i].parent + 1]++] = i;

  // Edge keys: call site (caller frame, caller line) interned to a small id, then × F + callee.
  const siteIds = new Map<number, number>();
  const siteFrame: number[] = [];
  const siteLine: number[] = [];
  const siteKey = new Int32Array(n).fill(-1); // per node v: site id of its parent's (frame, line)
  for (let v = 0; v < n; v++) {
    const p = nodes[v].parent;
    if (p < 0) continue;
    const pn = nodes[p];
    const composite = pn.frame * LINE_LIMIT + Math.min(Math.max(pn.line, 0), LINE_LIMIT - 1);
    let id = siteIds.get(composite);
    if (id === undefined) {
      id = siteFrame.length;
      siteFrame.push(pn.frame);
      siteLine.push(pn.line);
      siteIds.set(composite, id);
    }
    siteKey[v] = id;
  }
  const edgeIds = new Map<number, number>(); // site × F + callee frame → edge id
  const fnEdgeIds = new Map<number, number>(); // caller frame × F + callee frame → fn edge id
  const edgeOf = new Int32Array(n).fill(-1);
  const fnEdgeOf = new Int32Array(n).fill(-1);
  const edgeSite: number[] = [];
  const edgeCallee: number[] = [];
  const fnEdgeCaller: number[] = [];
  const fnEdgeCallee: number[] = [];
  for (let v = 0; v < n; v++) {
    if (siteKey[v] < 0) continue;
    const callee = nodes[v].frame;
    const ek = siteKey[v] * F + callee;
    let e = edgeIds.get(ek);
    if (e === undefined) {
      e = edgeSite.length;
      edgeSite.push(siteKey[v]);
      edgeCallee.push(callee);
      edgeIds.set(ek, e);
    }
    edgeOf[v] = e;
    const caller = nodes[nodes[v].parent].frame;
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
  for (let i = 0; i < ordered; i++) {
    const v = order[i];
    if (subtree[v] === 0) continue;
    if (edgeOf[v] >= 0 && !dupEdge[v]) edgeWeight[edgeOf[v]] += subtree[v];
    if (fnEdgeOf[v] >= 0 && !dupFnEdge[v]) fnEdgeWeight[fnEdgeOf[v]] += subtree[v];
  }

  const callers: CallEdge[][] = frames.map(() => []);
  const callees: CallEdge[][] = frames.map(() => []);
  const lineCallees = new Map<string, Map<number, CallEdge[]>>();
  for (let e = 0; e < edgeSite.length; e++) {
    const w = edgeWeight[e];
    if (w === 0) continue;
    const caller = siteFrame[edgeSite[e]];
    const line = siteLine[edgeSite[e]];
    const callee = edgeCallee[e];
    if (caller !== callee) callers[callee].push({ frame: caller, line, weight: w });
    if (line > 0) {
      const file = frames[caller].file;
      let byLine = lineCallees.get(file);
      if (!byLine) lineCallees.set(file, (byLine = new Map()));
      const list = byLine.get(line);
      // Two frames of one file can share a line (a lambda on its caller's line): merge by callee.
      const same = list?.find((x) => x.frame === callee);
      if (same) same.weight += w;
      else if (list) list.push({ frame: callee, line: 0, weight: w });
      else byLine.set(line, [{ frame: callee, line: 0, weight: w }]);
    }
  }
  for (let e = 0; e < fnEdgeCaller.length; e++) {
    const w = fnEdgeWeight[e];
    if (w === 0 || fnEdgeCaller[e] === fnEdgeCallee[e]) continue;
    callees[fnEdgeCaller[e]].push({ frame: fnEdgeCallee[e], line: 0, weight: w });
  }
  const byWeight = (a: CallEdge, b: CallEdge) => b.weight - a.weight || a.frame - b.frame || a.line - b.line;
  for (const l of callers) l.sort(byWeight);
  for (const l of callees) l.sort(byWeight);
  for (const m of lineCallees.values()) for (const l of m.values()) l.sort(byWeight);

  // Owner of each (file, line): the frame whose nodes at that line carry the most weight.
  const ownerWeight = new Map<string, Map<number, { frame: number; weight: number }[]>>();
  for (let v = 0; v < n; v++) {
    const nd = nodes[v];
    if (nd.line <= 0 || subtree[v] === 0) continue;
    const file = frames[nd.frame].file;
    let m = ownerWeight.get(file);
    if (!m) ownerWeight.set(file, (m = new Map()));
    let list = m.get(nd.line);
    if (!list) m.set(nd.line, (list = []));
    const same = list.find((x) => x.frame === nd.frame);
    if (same) same.weight += subtree[v];
    else list.push({ frame: nd.frame, weight: subtree[v] });
  }
  const lineOwner = new Map<string, Map<number, number>>();
  for (const [file, m] of ownerWeight) {
    const out = new Map<number, number>();
    for (const [line, list] of m) {
      let best = list[0];
      for (const x of list) if (x.weight > best.weight || (x.weight === best.weight && x.frame < best.frame)) best = x;
      out.set(line, best.frame);
    }
    lineOwner.set(file, out);
  }

  return { profile, summary, total: summary.total, callers, callees, lineCallees, lineOwner };
}
