// cProfile / pstats files in (`python -m cProfile -o FILE`, `pstats.Stats.dump_stats`), read
// directly: a small reader for Python's marshal format (version 4 from 3.4 on, with back-references;
// Python 2.7 writes version 2: byte strings, interned strings referred to by index, 64-bit ints),
// then the stats dict
//   {(file, line, func): (primitive calls, calls, own time, cumulative time, {caller: (...)})}.
// pstats keeps only caller→callee edges, not stacks, so the call tree is rebuilt top-down from
// the roots, splitting each function's cumulative time among its callees in proportion to the
// edge times (what gprof2dot and snakeviz do). Exact: calls and per-function own/cumulative time.
import { lineNumber } from './lineNumber';
import { Profile, ProfileBuilder } from '../model';
import { ProfileFormatError } from './errors';

type Py = null | boolean | number | string | Buffer | Py[] | PyDict;
class PyDict { constructor(readonly entries: Array<[Py, Py]>) {} }

class MarshalReader {
  private pos = 0;
  private refs: Py[] = [];
  /** marshal ≤ 2 (Python 2.7): interned strings ('t'), which 'R' refers to by index */
  private interned: string[] = [];
  /** Python 2.7's marshal: no FLAG_REF (0x80) on any object, and 's' is text. */
  private version2 = false;
  constructor(private readonly b: Buffer, private readonly file: string) {
    this.version2 = b.length > 0 && (b[0] & 0x80) === 0;
  }

  private fail(what: string): never {
    throw new ProfileFormatError(this.file, `byte ${this.pos}`, `not a cProfile/pstats file: ${what}`);
  }
  private need(n: number): void {
    if (this.pos + n > this.b.length) this.fail('truncated');
  }
  private i32(): number { this.need(4); const v = this.b.readInt32LE(this.pos); this.pos += 4; return v; }
  private u8(): number { this.need(1); return this.b[this.pos++]; }
  private bytes(n: number): Buffer {
    if (n < 0) this.fail('negative length');
    this.need(n);
    const s = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  read(depth = 0): Py {
    if (depth > 64) this.fail('nesting too deep');
    const start = this.pos;
    const t = this.u8();
    const code = String.fromCharCode(t & 0x7f);
    const ref = (t & 0x80) !== 0;
    let slot = -1;
    if (ref) { slot = this.refs.length; this.refs.push(null); }
    const keep = (v: Py): Py => { if (slot >= 0) this.refs[slot] = v; return v; };
    switch (code) {
      case 'N': return keep(null);
      case 'F': return keep(false);
      case 'T': return keep(true);
      case 'i': return keep(this.i32());
      case 'I': { this.need(8); const v = Number(this.b.readBigInt64LE(this.pos)); this.pos += 8; return keep(v); } // 2.7: a 64-bit int
      case 'l': {
        const n = this.i32();
        if (Math.abs(n) > 64) this.fail('integer too large');
        let v = 0;
        const digits = [];
        for (let i = 0; i < Math.abs(n); i++) { this.need(2); digits.push(this.b.readUInt16LE(this.pos)); this.pos += 2; }
        for (let i = digits.length - 1; i >= 0; i--) v = v * 32768 + digits[i];
        return keep(n < 0 ? -v : v);
      }
      case 'g': { this.need(8); const v = this.b.readDoubleLE(this.pos); this.pos += 8; return keep(v); }
      case 'f': { const n = this.u8(); return keep(Number(this.bytes(n).toString('latin1'))); }
      // 3.x: bytes (not in pstats); 2.7: a byte string (file and function names), UTF-8 by convention
      case 's': return keep(this.version2 ? this.bytes(this.i32()).toString('utf8') : Buffer.from(this.bytes(this.i32())));
      case 'u': return keep(this.bytes(this.i32()).toString('utf8'));
      case 't': {
        const text = this.bytes(this.i32()).toString('utf8');
        if (!ref) this.interned.push(text); // 2.7 interned string; 3.x flags its refs instead
        return keep(text);
      }
      case 'R': {
        const i = this.i32();
        if (i < 0 || i >= this.interned.length) this.fail(`bad interned-string reference ${i}`);
        return this.interned[i];
      }
      case 'a': case 'A': return keep(this.bytes(this.i32()).toString('latin1'));
      case 'z': case 'Z': return keep(this.bytes(this.u8()).toString('latin1'));
      case '(': case '[': case '<': case '>': case ')': {
        const n = code === ')' ? this.u8() : this.i32();
        if (n < 0 || n > this.b.length) this.fail('bad sequence length');
        const items: Py[] = [];
        keep(items);
        for (let i = 0; i < n; i++) items.push(this.read(depth + 1));
        return items;
      }
      case '{': {
        const d = new PyDict([]);
        keep(d);
        for (;;) {
          if (this.pos < this.b.length && this.b[this.pos] === 0x30) { this.pos++; break; } // '0' ends a dict
          const k = this.read(depth + 1);
          const v = this.read(depth + 1);
          d.entries.push([k, v]);
        }
        return d;
      }
      case 'r': {
        const i = this.i32();
        if (i < 0 || i >= this.refs.length) this.fail(`bad back-reference ${i}`);
        return this.refs[i];
      }
      default:
        this.pos = start;
        return this.fail(`unexpected marshal type ${JSON.stringify(code)}`);
    }
  }
}

interface FuncStat { key: string; file: string; line: number; name: string; calls: number; own: number; cum: number; callers: Map<string, number> }

export function looksLikePstats(data: Uint8Array): boolean {
  return data.length > 2 && (data[0] === 0xfb || data[0] === 0x7b) && [0x28, 0x29, 0xa8, 0xa9].includes(data[1]);
}

export function importPstats(data: Uint8Array, file: string): Profile {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const root = new MarshalReader(buf, file).read();
  if (!(root instanceof PyDict)) throw new ProfileFormatError(file, 'byte 0', 'not a cProfile/pstats file: expected a marshalled dict');
  const bad = (i: number, what: string) => new ProfileFormatError(file, `entry ${i}`, `not a cProfile/pstats file: ${what}`);
  const keyOf = (k: Py, i: number): [string, number, string] => {
    if (!Array.isArray(k) || k.length !== 3 || typeof k[0] !== 'string' || typeof k[1] !== 'number' || typeof k[2] !== 'string') throw bad(i, 'function key is not (file, line, name)');
    return [k[0], lineNumber(k[1]), k[2]];
  };
  const stats = new Map<string, FuncStat>();
  root.entries.forEach(([k, v], i) => {
    const [f, line, name] = keyOf(k, i);
    if (!Array.isArray(v) || v.length < 5 || !(v[4] instanceof PyDict)) throw bad(i, 'stats are not (cc, nc, tt, ct, callers)');
    const callers = new Map<string, number>();
    for (const [ck, cv] of v[4].entries) {
      const [cf, cl, cn] = keyOf(ck, i);
      // cProfile: (cc, nc, tt, ct); the older profile module: a plain call count
      const ct = Array.isArray(cv) ? Number(cv[3]) : 0;
      callers.set(`${cf}\0${cl}\0${cn}`, Number.isFinite(ct) ? ct : 0);
    }
    const key = `${f}\0${line}\0${name}`;
    stats.set(key, { key, file: f, line, name, calls: Number(v[1]) || 0, own: Number(v[2]) || 0, cum: Number(v[3]) || 0, callers });
  });
  if (stats.size === 0) throw new ProfileFormatError(file, '', 'the stats dict is empty');

  // callee edges with the time spent in the callee when called from each caller
  const callees = new Map<string, Array<[string, number]>>();
  for (const s of stats.values()) for (const [c, ct] of s.callers) {
    if (!callees.has(c)) callees.set(c, []);
    callees.get(c)!.push([s.key, ct]);
  }
  const b = new ProfileBuilder({ source: 'cprofile', mode: 'trace', unit: 'seconds' });
  const thread = b.internThread(0, 'MainThread');
  const frameOf = (s: FuncStat) => {
    const id = b.internFrame(displayName(s), s.file === '~' ? '' : s.file, s.line);
    b.profile.frames[id].calls = s.calls;
    return id;
  };
  let budget = 200_000;
  const expand = (s: FuncStat, parent: number, weight: number, path: Set<string>) => {
    if (weight <= 0 || budget-- <= 0) return;
    // pstats knows only def lines: use them, so exports and views point at the function
    const node = b.internNode(parent, frameOf(s), s.line);
    let childSum = 0;
    const kids = (callees.get(s.key) ?? []).filter(([k]) => !path.has(k) && k !== s.key);
    const scale = s.cum > 0 ? weight / s.cum : 0;
    if (path.size < 100) {
      path.add(s.key);
      for (const [k, ct] of kids) {
        const w = Math.min(ct * scale, weight - childSum);
        if (w <= 0) continue;
        childSum += w;
        expand(stats.get(k)!, node, w, path);
      }
      path.delete(s.key);
    }
    const self = weight - childSum;
    if (self > 0) b.addSample(thread, node, self);
  };
  const roots = [...stats.values()].filter((s) => [...s.callers.keys()].every((c) => c === s.key || !stats.has(c)));
  for (const r of roots.length ? roots : [...stats.values()]) expand(r, -1, r.cum, new Set());
  for (const s of stats.values()) frameOf(s); // functions never reached from a root still list their calls
  const p = b.finish();
  p.meta.notes = ['tracing profile (cProfile): exact call counts and per-function times; the call tree is rebuilt from caller edges'];
  return p;
}

function displayName(s: FuncStat): string {
  if (s.file === '~' && s.line === 0) return s.name; // built-ins: "<built-in method time.sleep>"
  return s.name;
}
