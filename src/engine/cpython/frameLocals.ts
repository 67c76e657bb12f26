// A frame's local variables, read from outside: the names come from the code object (≤3.10
// co_varnames + co_cellvars + co_freevars; 3.11+ co_localsplusnames with co_localspluskinds),
// the values from the frame's "fast locals" array (≤3.10 PyFrameObject.f_localsplus, 3.11+ the
// interpreter frame's localsplus). Cell and free variables hold a cell: its contents are shown.
// Unbound locals (NULL) are left out. Each value goes through ObjectRepr (bounded, never runs
// target code); a torn read shows `<unreadable>` for that variable and never fails the dump.
import { RemoteMemory, readPtr } from '../native/memory';
import type { LocalVariable } from '../types';
import type { Layout } from './layout';
import { ObjectOffsets, ObjectRepr, UNREADABLE, stackRefObject } from './objectRepr';

const MAX_LOCALS = 256;

export class FrameLocals {
  constructor(private readonly mem: RemoteMemory, private readonly L: Layout, private readonly O: ObjectOffsets, private readonly values: ObjectRepr) {}

  /** Locals of the frame at `frame` running the code object at `code`. */
  read(frame: number, code: number): LocalVariable[] {
    try {
      return this.L.frame ? this.readHeapFrame(frame, code) : this.readInterpreterFrame(frame, code);
    } catch {
      return [{ name: '<locals>', value: UNREADABLE }];
    }
  }

  private readHeapFrame(frame: number, code: number): LocalVariable[] {
    const O = this.O;
    const nlocals = this.mem.read(code + O['code.nlocals'], 4).readInt32LE(0);
    const names = this.tupleStrings(this.mem.u64(code + O['code.varnames']));
    if (nlocals < 0 || nlocals > 1 << 16 || names.length !== nlocals) throw new Error('implausible co_nlocals');
    const cells = this.tupleStrings(this.mem.u64(code + O['code.cellvars']));
    const frees = this.tupleStrings(this.mem.u64(code + O['code.freevars']));
    const all = [...names, ...cells, ...frees].slice(0, MAX_LOCALS);
    const slots = this.mem.copy(frame + O['frame.f_localsplus'], all.length * 8);
    const out: LocalVariable[] = [];
    all.forEach((name, i) => {
      let v = readPtr(slots, i * 8);
      if (v <= 0) return;
      if (i >= nlocals) {
        v = this.cellContents(v);
        if (v <= 0) return;
      }
      out.push({ name, value: this.values.repr(v) });
    });
    return out;
  }

  private readInterpreterFrame(frame: number, code: number): LocalVariable[] {
    const O = this.O;
    const n = this.mem.read(code + O['code.nlocalsplus'], 4).readInt32LE(0);
    if (n < 0 || n > 1 << 16) throw new Error('implausible co_nlocalsplus');
    const names = this.tupleStrings(this.mem.u64(code + O['code.localsplusnames']));
    const kindsObj = this.mem.u64(code + O['code.localspluskinds']);
    const kinds = this.mem.copy(kindsObj + this.L.bytes.sval, names.length);
    if (names.length !== n) throw new Error('co_localsplusnames does not match co_nlocalsplus');
    const shown = Math.min(n, MAX_LOCALS);
    const slots = this.mem.copy(frame + O['iframe.localsplus'], shown * 8);
    const out: LocalVariable[] = [];
    for (let i = 0; i < shown; i++) {
      const kind = kinds[i];
      if (O['code.kind_hidden'] !== undefined && kind & O['code.kind_hidden']) continue; // inlined comprehension temporaries
      let v = stackRefObject(readPtr(slots, i * 8), O);
      if (v <= 0) continue;
      // 3.11+: a cell/free slot holds its cell once MAKE_CELL/COPY_FREE_VARS ran; before that, the raw value
      if (kind & (O['code.kind_cell'] | O['code.kind_free']) && this.values.nameOfType(v) === 'cell') {
        v = this.cellContents(v);
        if (v <= 0) continue;
      }
      out.push({ name: names[i], value: this.values.repr(v) });
    }
    return out;
  }

  private cellContents(cell: number): number {
    try {
      return this.mem.u64(cell + this.O['cell.ob_ref']);
    } catch {
      return 0;
    }
  }

  /** A tuple of str (variable names); an unreadable name becomes `?`. */
  private tupleStrings(tuple: number): string[] {
    if (tuple <= 0) return [];
    const n = Number(this.mem.read(tuple + this.O['var.ob_size'], 8).readBigInt64LE(0));
    if (n < 0 || n > 1 << 16) throw new Error('implausible name tuple');
    if (n === 0) return [];
    const items = this.mem.copy(tuple + this.O['tuple.ob_item'], n * 8);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.values.text(readPtr(items, i * 8), 200) ?? '?');
    return out;
  }
}
