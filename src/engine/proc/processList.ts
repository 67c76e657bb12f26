// Running Python processes, for the attach picker: a cheap /proc scan (no memory reads).
import * as fs from 'fs';
import { executableOf, versionFromPath } from './executable';
import { ElfFile } from './elf';
import { processUid, readCmdline, userName } from './procfs';
import type { ProcessInfo } from '../types';

/** Py_Version read from the binary on disk, by path + inode + mtime (so a rebuilt file is re-read). */
const fileVersions = new Map<string, string | null>();

/**
 * "3.11.2" from the file's Py_Version constant (3.11+), without touching the process's memory;
 * null when the file has none (≤3.10, or stripped).
 */
function versionFromFile(file: string, name: string): string | null {
  let key: string;
  try {
    const st = fs.statSync(file);
    key = `${name}:${st.dev}:${st.ino}:${st.mtimeMs}`;
  } catch {
    return null;
  }
  if (fileVersions.has(key)) return fileVersions.get(key)!;
  let version: string | null = null;
  try {
    const elf = ElfFile.open(file);
    try {
      const at = elf.symbol('Py_Version');
      const sec = at !== undefined ? elf.sections.find((s) => s.type !== 8 && at >= s.addr && at + 4 <= s.addr + s.size) : undefined; // not .bss (NOBITS)
      if (at !== undefined && sec) {
        const hex = elf.readAt(sec.offset + (at - sec.addr), 4).readUInt32LE(0);
        if (hex >>> 24 === 3) version = `3.${(hex >>> 16) & 0xff}.${(hex >>> 8) & 0xff}`;
      }
    } finally {
      elf.close();
    }
  } catch {
    /* unreadable: fall back to the name */
  }
  fileVersions.set(key, version);
  return version;
}

export function listPythonProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    let exe: string;
    let maps: string;
    try {
      exe = executableOf(pid);
      maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    const lib = /\S*\/libpython\d\.\d+[a-z]*\.so\S*/.exec(maps)?.[0];
    const module = lib ?? (/\/python\d(\.\d+)?[a-z]*$/.test(exe) ? exe : undefined);
    if (!module) continue;
    const v = versionFromPath(module) ?? versionFromPath(exe);
    if (!v) continue;
    const micro = new RegExp(`\\b${v[0]}\\.${v[1]}\\.(\\d+)\\b`).exec(module + ' ' + exe)?.[1];
    const exact = micro ? undefined : versionFromFile(module === exe ? `/proc/${pid}/exe` : `/proc/${pid}/root${module}`, module);
    const uid = processUid(pid);
    out.push({
      uid,
      user: uid === undefined ? undefined : userName(uid),
      pid,
      version: micro ? `${v[0]}.${v[1]}.${micro}` : exact?.startsWith(`${v[0]}.${v[1]}.`) ? exact : `${v[0]}.${v[1]}`,
      versionTuple: v,
      executable: exe,
      runtimeModule: module,
      commandLine: readCmdline(pid),
    });
  }
  return out.sort((a, b) => b.pid - a.pid);
}
