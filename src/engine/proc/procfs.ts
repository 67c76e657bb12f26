// Small /proc readers: command lines, thread lists, a thread's run state once. The sampler's
// every-sample state reads keep their files open: native/threadStates.ts.
import * as fs from 'fs';

export function readCmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').split('\0').join(' ');
  } catch {
    return '';
  }
}

export function readComm(pid: number, tid?: number): string {
  try {
    return fs.readFileSync(tid === undefined ? `/proc/${pid}/comm` : `/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export function listTids(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number).filter((n) => n > 0);
  } catch {
    return [];
  }
}

export function processUid(pid: number): number | undefined {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const userNames = new Map<number, string>();

/** Name of a uid from /etc/passwd (cached), else the number as text. */
export function userName(uid: number): string {
  let name = userNames.get(uid);
  if (name === undefined) {
    name = String(uid);
    try {
      for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2 && Number(f[2]) === uid && f[2] !== '') { name = f[0]; break; }
      }
    } catch { /* no passwd file: keep the number */ }
    userNames.set(uid, name);
  }
  return name;
}

/** Kernel run state letter of a process or thread ('R' running, 'S' sleeping, 't' traced-stopped…). */
export function processState(pid: number, tid = pid): string | undefined {
  try {
    return statState(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

function statState(text: string): string | undefined {
  const i = text.lastIndexOf(')');
  return i < 0 ? undefined : text[i + 2];
}

/** The pid of the process ptrace-attached to any of `pid`'s threads (TracerPid), or undefined when none is. */
export function tracerOf(pid: number): number | undefined {
  for (const tid of listTids(pid)) {
    try {
      const m = /^TracerPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1'));
      if (m && m[1] !== '0') return Number(m[1]);
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return undefined;
}

/** Closes a file descriptor that may already be closed (a thread's /proc file whose thread ended). */
export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
}
