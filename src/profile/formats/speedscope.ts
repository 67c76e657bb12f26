// speedscope JSON (https://www.speedscope.app/file-format-schema.json), sampled profiles.
//
// Export: one sampled profile per thread, frames keyed on function (name + file + def line) so a
// function is one box in the flame graph. speedscope's format has no per-line data, so the full
// model also travels in a top-level "pyprof" block (speedscope ignores unknown keys): our own files
// round-trip losslessly, hot lines included, while staying readable by speedscope itself.
// Import: the "pyprof" block when present; otherwise sampled and evented profiles.

import { lineNumber } from './lineNumber';
import { FunctionFrame, Profile, ProfileBuilder, ProfileMeta, msPerWeight, nodePath } from '../model';
import { ProfileFormatError } from './errors';

const SCHEMA = 'https://www.speedscope.app/file-format-schema.json';
const PYPROF_BLOCK_VERSION = 1;

interface SpeedscopeFrame { name: string; file?: string; line?: number; col?: number }

export function exportSpeedscope(profile: Profile, name = 'pyprof'): string {
  const frames: SpeedscopeFrame[] = profile.frames.map((f) => ({ name: f.name, file: f.file, line: f.line || undefined }));
  const ms = msPerWeight(profile.meta);
  const unit = ms !== undefined ? 'milliseconds' : profile.meta.unit === 'bytes' ? 'bytes' : 'none';
  const scale = ms ?? 1;
  // Frame-index path per leaf node, computed once.
  const pathCache = new Map<number, number[]>();
  const framePath = (node: number): number[] => {
    let p = pathCache.get(node);
    if (!p) pathCache.set(node, (p = node < 0 ? [] : nodePath(profile, node).map((n) => n.frame)));
    return p;
  };
  const profiles = profile.threads.map((th, ti) => {
    const samples: number[][] = [];
    const weights: number[] = [];
    const runs = profile.timeline.filter((r) => r.thread === ti);
    if (runs.length > 0 && !profile.meta.timelineTruncated) {
      for (const r of runs) { samples.push(framePath(r.node)); weights.push(r.count * scale); }
    } else {
      for (const s of profile.samples) if (s.thread === ti) { samples.push(framePath(s.node)); weights.push(s.weight * scale); }
    }
    const total = weights.reduce((a, b) => a + b, 0);
    const label = th.pid !== undefined && profile.meta.pid !== undefined && th.pid !== profile.meta.pid
      ? `${th.name || 'thread'} (pid ${th.pid}, tid ${th.id})`
      : `${th.name || 'thread'} (tid ${th.id})`;
    return { type: 'sampled', name: label, unit, startValue: 0, endValue: total, samples, weights };
  });
  const doc = {
    $schema: SCHEMA,
    shared: { frames },
    profiles,
    name,
    activeProfileIndex: 0,
    exporter: 'pyprof',
    pyprof: encodeModel(profile),
  };
  return JSON.stringify(doc);
}

/** The lossless block: flat number arrays keep big profiles compact and fast to parse. */
function encodeModel(p: Profile) {
  const nodes: number[] = [];
  for (const n of p.nodes) nodes.push(n.parent, n.frame, n.line);
  const samples: number[] = [];
  const mem: Array<[number, number, number]> = [];
  p.samples.forEach((s, i) => {
    samples.push(s.thread, s.node, s.weight);
    if (s.allocBytes || s.freedBytes) mem.push([i, s.allocBytes ?? 0, s.freedBytes ?? 0]);
  });
  const timeline: number[] = [];
  for (const r of p.timeline) timeline.push(r.t, r.thread, r.node, r.count);
  return {
    version: PYPROF_BLOCK_VERSION,
    meta: p.meta,
    frames: p.frames,
    threads: p.threads,
    nodes,
    samples,
    sampleMemory: mem.length ? mem : undefined,
    timeline,
    memory: p.memory,
  };
}

function decodeModel(block: any, file: string): Profile {
  const bad = (where: string, what: string) => new ProfileFormatError(file, `pyprof.${where}`, what);
  if (block.version !== PYPROF_BLOCK_VERSION) throw bad('version', `unsupported pyprof block version ${block.version}`);
  for (const k of ['frames', 'threads', 'nodes', 'samples', 'timeline']) {
    if (!Array.isArray(block[k])) throw bad(k, 'expected an array');
  }
  if (typeof block.meta !== 'object' || block.meta === null) throw bad('meta', 'expected an object');
  const frames: FunctionFrame[] = block.frames.map((f: any, i: number) => {
    if (!f || typeof f.name !== 'string' || typeof f.file !== 'string') throw bad(`frames[${i}]`, 'expected {name, file, line}');
    const out: FunctionFrame = { name: f.name, file: f.file, line: lineNumber(f.line) };
    if (typeof f.calls === 'number') out.calls = f.calls;
    return out;
  });
  const nf = frames.length;
  const nodes = [];
  const raw = block.nodes as unknown[];
  if (raw.length % 3) throw bad('nodes', 'length is not a multiple of 3');
  for (let i = 0; i < raw.length; i += 3) {
    const [parent, frame, line] = [raw[i], raw[i + 1], raw[i + 2]] as number[];
    const idx = i / 3;
    if (!Number.isInteger(parent) || parent < -1 || parent >= idx) throw bad(`nodes[${idx}]`, `bad parent ${parent}`);
    if (!Number.isInteger(frame) || frame < 0 || frame >= nf) throw bad(`nodes[${idx}]`, `bad frame ${frame}`);
    nodes.push({ parent, frame, line: lineNumber(line) });
  }
  const nt = block.threads.length;
  const threads = block.threads.map((t: any, i: number) => {
    if (!t || typeof t.id !== 'number') throw bad(`threads[${i}]`, 'expected {id, name}');
    return t.pid === undefined ? { id: t.id, name: String(t.name ?? '') } : { id: t.id, name: String(t.name ?? ''), pid: t.pid };
  });
  const checkRef = (thread: number, node: number, where: string) => {
    if (!Number.isInteger(thread) || thread < 0 || thread >= nt) throw bad(where, `bad thread ${thread}`);
    if (!Number.isInteger(node) || node < -1 || node >= nodes.length) throw bad(where, `bad node ${node}`);
  };
  const samples = [];
  const rs = block.samples as number[];
  if (rs.length % 3) throw bad('samples', 'length is not a multiple of 3');
  for (let i = 0; i < rs.length; i += 3) {
    checkRef(rs[i], rs[i + 1], `samples[${i / 3}]`);
    const w = rs[i + 2];
    if (typeof w !== 'number' || !Number.isFinite(w)) throw bad(`samples[${i / 3}]`, 'weight is not a number');
    samples.push({ thread: rs[i], node: rs[i + 1], weight: w } as Profile['samples'][number]);
  }
  if (Array.isArray(block.sampleMemory)) {
    for (const m of block.sampleMemory) {
      if (!Array.isArray(m) || !samples[m[0]]) throw bad('sampleMemory', 'bad entry');
      samples[m[0]].allocBytes = Number(m[1]) || 0;
      samples[m[0]].freedBytes = Number(m[2]) || 0;
    }
  }
  const timeline = [];
  const rt = block.timeline as number[];
  if (rt.length % 4) throw bad('timeline', 'length is not a multiple of 4');
  for (let i = 0; i < rt.length; i += 4) {
    checkRef(rt[i + 1], rt[i + 2], `timeline[${i / 4}]`);
    timeline.push({ t: Number(rt[i]) || 0, thread: rt[i + 1], node: rt[i + 2], count: Number(rt[i + 3]) || 0 });
  }
  const profile: Profile = { meta: block.meta as ProfileMeta, frames, nodes, threads, samples, timeline };
  if (Array.isArray(block.memory)) profile.memory = block.memory;
  return profile;
}

export function importSpeedscope(text: string, file: string): Profile {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ProfileFormatError(file, jsonErrorPosition(e, text), `not valid JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object') throw new ProfileFormatError(file, '', 'not a speedscope document');
  if (doc.pyprof && typeof doc.pyprof === 'object') return decodeModel(doc.pyprof, file);
  const frames = doc.shared?.frames;
  if (!Array.isArray(frames) || !Array.isArray(doc.profiles)) {
    throw new ProfileFormatError(file, '', 'not a speedscope document (missing shared.frames or profiles)');
  }
  const unit = doc.profiles[0]?.unit;
  const b = new ProfileBuilder({
    source: 'speedscope',
    mode: 'sampling',
    unit: unit === 'nanoseconds' || unit === 'microseconds' || unit === 'milliseconds' || unit === 'seconds' || unit === 'bytes' ? unit : 'none',
  });
  frames.forEach((f: any, i: number) => {
    if (!f || typeof f.name !== 'string') throw new ProfileFormatError(file, `shared.frames[${i}]`, 'frame without a name');
  });
  // A speedscope frame's `line` means the function's line for most exporters, but py-spy (and
  // others that make one frame per executing line) put the *sampled* line there. Those become the
  // stack nodes' lines — the hot lines — under one function frame with its def line unknown.
  const sampledLines = sampledLineFrames(doc, frames);
  const frameIds: number[] = [];
  const frameLines: number[] = [];
  for (const f of frames) {
    const line = lineNumber(typeof f.line === 'number' ? Math.floor(f.line) : f.line);
    const path = typeof f.file === 'string' ? f.file : '';
    frameIds.push(b.internFrame(f.name, path, sampledLines ? 0 : line));
    frameLines.push(sampledLines ? line : 0);
  }
  const nodeFor = (path: number[], where: string): number => {
    let node = -1;
    for (const fi of path) {
      if (!Number.isInteger(fi) || fi < 0 || fi >= frameIds.length) throw new ProfileFormatError(file, where, `bad frame index ${fi}`);
      node = b.internNode(node, frameIds[fi], frameLines[fi]);
    }
    return node;
  };
  doc.profiles.forEach((p: any, pi: number) => {
    const where = `profiles[${pi}]`;
    const thread = b.internThread(pi, typeof p?.name === 'string' ? p.name : `profile ${pi}`);
    if (p?.type === 'sampled') {
      if (!Array.isArray(p.samples) || !Array.isArray(p.weights) || p.samples.length !== p.weights.length) {
        throw new ProfileFormatError(file, where, 'sampled profile needs samples and weights of equal length');
      }
      let t = 0;
      p.samples.forEach((s: unknown, si: number) => {
        if (!Array.isArray(s)) throw new ProfileFormatError(file, `${where}.samples[${si}]`, 'expected an array of frame indexes');
        const w = p.weights[si];
        if (typeof w !== 'number' || !Number.isFinite(w)) throw new ProfileFormatError(file, `${where}.weights[${si}]`, 'not a number');
        b.addSample(thread, nodeFor(s, `${where}.samples[${si}]`), w, t);
        t += w;
      });
    } else if (p?.type === 'evented') {
      if (!Array.isArray(p.events)) throw new ProfileFormatError(file, where, 'evented profile without events');
      const stack: number[] = [];
      let last = Number(p.startValue) || 0;
      p.events.forEach((ev: any, ei: number) => {
        const at = Number(ev?.at);
        if (!Number.isFinite(at) || (ev.type !== 'O' && ev.type !== 'C')) throw new ProfileFormatError(file, `${where}.events[${ei}]`, 'expected {type: "O"|"C", at, frame}');
        if (stack.length && at > last) b.addSample(thread, nodeFor(stack, `${where}.events[${ei}]`), at - last, last);
        last = Math.max(last, at);
        if (ev.type === 'O') stack.push(ev.frame);
        else if (stack.pop() === undefined) throw new ProfileFormatError(file, `${where}.events[${ei}]`, 'close event without an open frame');
      });
    } else {
      throw new ProfileFormatError(file, where, `unsupported profile type ${JSON.stringify(p?.type)}`);
    }
  });
  return b.finish();
}

/**
 * Whether the frames' `line` is the executing line rather than the function's: py-spy writes it so
 * (`exporter: "py-spy@…"`, unless run with --function/--nolineno, which give the def line or 0 and
 * are read the same way harmlessly); otherwise a function (name + file) that appears with two or
 * more different lines can only be per-line frames.
 */
function sampledLineFrames(doc: any, frames: any[]): boolean {
  if (typeof doc.exporter === 'string' && /^py-spy@/.test(doc.exporter)) return true;
  const lineOf = new Map<string, number>();
  for (const f of frames) {
    const line = Number(f.line) || 0;
    const key = `${f.name}\0${typeof f.file === 'string' ? f.file : ''}`;
    const seen = lineOf.get(key);
    if (seen !== undefined && seen !== line) return true;
    lineOf.set(key, line);
  }
  return false;
}

function jsonErrorPosition(e: unknown, text: string): string {
  const msg = String((e as Error)?.message);
  let pos = -1;
  const m = /position (\d+)/.exec(msg);
  if (m) pos = Number(m[1]);
  else if (/end of JSON input/.test(msg)) pos = text.length;
  else {
    // Node 20's V8 names the token and quotes the text around it instead of an offset.
    const c = /Unexpected token '(.)', (?:\.\.\.)?"(.*?)(?:\.\.\.)?" is not valid JSON/s.exec(msg);
    const at = c ? text.indexOf(c[2]) : -1;
    if (c && at >= 0) pos = at + c[2].indexOf(c[1]);
  }
  if (pos < 0) return '';
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return `line ${line}, column ${pos - before.lastIndexOf('\n')}`;
}
