// The vdso (`[vdso]` in /proc/PID/maps: clock_gettime, gettimeofday, getcpu without a system call)
// is an ELF image the kernel maps into every process with no file behind it. Its image is copied
// once from the target's own mapping (process_vm_readv), so its functions can be named from its
// .dynsym and its unwind table found in its .eh_frame_hdr: without that table libunwind guesses
// and the stack under a clock_gettime goes wrong.
import { ElfFile } from '../proc/elf';
import { Mapping, readMaps } from '../proc/maps';
import type { VdsoUnwindTable } from '../native/libunwind';

/** The kernel's virtual shared object, as /proc/PID/maps names its mapping. */
export const VDSO = '[vdso]';
/** A vdso larger than this is not one (it is 2 pages on x86-64): nothing is copied. */
const MAX_VDSO_BYTES = 1 << 20;
const PT_LOAD = 1;
const PT_GNU_EH_FRAME = 0x6474e550;
/** DW_EH_PE_datarel | DW_EH_PE_sdata4: the only table encoding libunwind's binary search reads */
const TABLE_ENCODING = 0x3b;

/** Copies `len` bytes of the target's memory at `addr` (the returned buffer is the caller's). */
export type ReadTargetMemory = (addr: number, len: number) => Buffer;

export interface VdsoImage {
  mapping: Mapping;
  elf: ElfFile;
}

/** The target's vdso, or undefined (none mapped, unreadable, not ELF). */
export function readVdso(pid: number, readMemory: ReadTargetMemory): VdsoImage | undefined {
  try {
    const mapping = readMaps(pid).find((m) => m.path === VDSO);
    if (!mapping || mapping.offset !== 0 || mapping.end - mapping.start > MAX_VDSO_BYTES) return undefined;
    return { mapping, elf: ElfFile.fromImage(readMemory(mapping.start, mapping.end - mapping.start), VDSO) };
  } catch {
    return undefined;
  }
}

/** Where the vdso's .eh_frame_hdr search table lies in the target, or undefined without a usable one. */
export function vdsoUnwindTable(v: VdsoImage): VdsoUnwindTable | undefined {
  const load = v.elf.segments.find((s) => s.type === PT_LOAD);
  const hdrSeg = v.elf.segments.find((s) => s.type === PT_GNU_EH_FRAME);
  if (!load || !hdrSeg) return undefined;
  const bias = v.mapping.start - (load.vaddr & ~0xfff);
  const hdr = v.elf.readAt(hdrSeg.offset, 12 + 8);
  const [version, framePtrEnc, countEnc, tableEnc] = hdr;
  if (version !== 1 || tableEnc !== TABLE_ENCODING) return undefined;
  const framePtrSize = encodedSize(framePtrEnc), countSize = encodedSize(countEnc);
  if (!framePtrSize || countSize !== 4) return undefined;
  const entries = hdr.readUInt32LE(4 + framePtrSize);
  const segbase = bias + hdrSeg.vaddr;
  return { start: v.mapping.start, end: v.mapping.end, segbase, table: segbase + 4 + framePtrSize + countSize, entries };
}

/** Bytes of a DW_EH_PE-encoded value's format (udata4/sdata4: 4, udata8/sdata8: 8), 0 when unsupported. */
function encodedSize(enc: number): number {
  const format = enc & 0x0f;
  return format === 0x03 || format === 0x0b ? 4 : format === 0x04 || format === 0x0c ? 8 : 0;
}
