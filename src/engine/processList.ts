// Running Python processes, for the attach picker: a cheap /proc scan (no memory reads).
import * as fs from 'fs';
import { executableOf, versionFromPath } from './locate';
import { processUid, readCmdline, userName } from './proc/procfs';
import type { ProcessInfo } from './types';

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
    const uid = processUid(pid);
    out.push({
      uid,
      user: uid === undefined ? undefined : userName(uid),
      pid,
      version: micro ? `${v[0]}.${v[1]}.${micro}` : `${v[0]}.${v[1]}`,
      versionTuple: v,
      executable: exe,
      runtimeModule: module,
      commandLine: readCmdline(pid),
    });
  }
  return out.sort((a, b) => b.pid - a.pid);
}
