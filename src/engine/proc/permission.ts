// Why the kernel refused to let us read a process, in terms of this machine: which call or file
// failed with which errno, who we are (uid, CAP_SYS_PTRACE), who owns the target, whether the
// target is dumpable, and whether this kernel has Yama at all. Advice then fits the situation
// instead of listing every mechanism there is (no ptrace_scope advice on a kernel without Yama,
// no "use sudo" to someone who is already root).

import * as fs from 'fs';
import { EngineError } from '../types';

const CAP_SYS_PTRACE = 19;
const YAMA = '/proc/sys/kernel/yama/ptrace_scope';

export interface PermissionFacts {
  pid: number;
  /** What failed, e.g. "reading /proc/42/maps" or "process_vm_readv". */
  failed: string;
  /** errno name: EACCES, EPERM. */
  errno: string;
  ourUid: number;
  ourUser: string;
  ourCapSysPtrace: boolean;
  /** Undefined when the target's status could not be read. */
  targetUid?: number;
  targetUser?: string;
  /** False when /proc/PID/maps is owned by root although the process runs as another user (non-dumpable or setuid). */
  targetDumpable?: boolean;
  /** A kernel thread (no memory map to read). */
  kernelThread?: boolean;
  /** Yama's ptrace_scope, or undefined when this kernel has no Yama. */
  yamaScope?: number;
}

/** Reads the facts (each one best-effort: an unreadable fact is left out, never an error). */
export function permissionFacts(pid: number, failed: string, errno: string): PermissionFacts {
  const ourUid = process.geteuid?.() ?? -1;
  const facts: PermissionFacts = { pid, failed, errno, ourUid, ourUser: userName(ourUid), ourCapSysPtrace: hasCapability(CAP_SYS_PTRACE) };
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = /^Uid:\s+\d+\s+(\d+)/m.exec(status); // effective uid: what ptrace checks
    if (uid) {
      facts.targetUid = Number(uid[1]);
      facts.targetUser = userName(facts.targetUid);
      // The kernel shows a non-dumpable process's /proc files (not its directory) as owned by root.
      facts.targetDumpable = !(fs.statSync(`/proc/${pid}/maps`).uid === 0 && facts.targetUid !== 0);
    }
    facts.kernelThread = /^Kthread:\s+1/m.test(status) || (fs.readFileSync(`/proc/${pid}/cmdline`).length === 0 && !/^VmSize:/m.test(status));
  } catch {
    /* gone or hidden: leave the target's facts out */
  }
  try {
    facts.yamaScope = Number(fs.readFileSync(YAMA, 'utf8').trim());
  } catch {
    facts.yamaScope = undefined; // no Yama in this kernel
  }
  return facts;
}

/** The message: what failed, then the advice that fits these facts. */
export function explainPermission(f: PermissionFacts): string {
  const head = `permission denied: ${f.failed} for process ${f.pid} failed with ${f.errno}`;
  const owner = f.targetUid !== undefined ? `${f.targetUser} (uid ${f.targetUid})` : 'an unknown user';
  const me = `${f.ourUser} (uid ${f.ourUid}${f.ourCapSysPtrace ? ', with CAP_SYS_PTRACE' : ''})`;
  const facts = `You are ${me}; the process belongs to ${owner}${f.targetDumpable === false ? ' and is not dumpable (setuid, or prctl PR_SET_DUMPABLE 0)' : ''}; ` +
    (f.yamaScope === undefined ? 'this kernel has no Yama ptrace restrictions.' : `Yama ptrace_scope is ${f.yamaScope}.`);
  let advice: string;
  if (f.kernelThread) {
    advice = 'It is a kernel thread: it has no user memory and runs no Python.';
  } else if (f.yamaScope === 3) {
    advice = 'Yama ptrace_scope 3 forbids reading any process until reboot, even for root: launch the program under pyprof is not possible either.';
  } else if (f.ourCapSysPtrace && f.ourUid === 0) {
    advice = 'Root with CAP_SYS_PTRACE was still refused, so ownership is not the reason: the process is likely in another user namespace ' +
      '(a container or sandbox: run pyprof inside it), protected by a security module (AppArmor/SELinux policy), or the system\'s own init/agent.';
  } else if (f.ourCapSysPtrace) {
    advice = 'You have CAP_SYS_PTRACE but were refused: the process is likely in another user namespace (run pyprof inside its container) or protected by a security module.';
  } else if (f.targetUid !== undefined && f.targetUid !== f.ourUid) {
    advice = `Run pyprof as ${f.targetUser} or with sudo (in Docker: --cap-add SYS_PTRACE).`;
  } else if (f.targetDumpable === false) {
    advice = 'A non-dumpable process can only be read with CAP_SYS_PTRACE: run pyprof with sudo.';
  } else if (f.yamaScope === 1) {
    advice = 'Yama ptrace_scope 1 lets you read only your own descendants: launch it under pyprof (pyprof record -- python …), ' +
      "or allow attaching with 'echo 0 | sudo tee /proc/sys/kernel/yama/ptrace_scope', or use sudo.";
  } else if (f.yamaScope === 2) {
    advice = 'Yama ptrace_scope 2 allows reading other processes only with CAP_SYS_PTRACE: use sudo (or launch the program under pyprof as root).';
  } else {
    advice = 'Same user, no Yama restriction: a security module or a container boundary is refusing it; try sudo.';
  }
  return `${head}. ${facts} ${advice}`;
}

export function permissionDenied(pid: number, failed: string, errno: string): EngineError {
  return new EngineError('PERMISSION_DENIED', explainPermission(permissionFacts(pid, failed, errno)));
}

function hasCapability(bit: number): boolean {
  try {
    const m = /^CapEff:\s+([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? (BigInt(`0x${m[1]}`) & (1n << BigInt(bit))) !== 0n : false;
  } catch {
    return false;
  }
}

function userName(uid: number): string {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && Number(f[2]) === uid) return f[0];
    }
  } catch {
    /* no passwd: the number alone */
  }
  return String(uid);
}
