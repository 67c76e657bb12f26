// The few libc calls the engine needs, bound through koffi. Loaded lazily so that importing the
// engine (e.g. for types or the process list) never loads a native library.
import type * as Koffi from 'koffi';

export interface Libc {
  koffi: typeof Koffi;
  process_vm_readv(pid: number, local: Buffer, liovcnt: number, remote: Buffer, riovcnt: number, flags: number): number;
  ptrace(request: number, pid: number, addr: number, data: number): number;
  waitpid(pid: number, status: Buffer, options: number): number;
  waitid(idtype: number, id: number, info: Buffer, options: number): number;
  errno(): number;
  /** pread(2) into a native buffer (koffi.alloc): no copy through a JS Buffer; -1 on failure (errno()). */
  pread(fd: number, buf: unknown, count: number, offset: number): number;
  /** prctl(2) with integer arguments (PR_SET_TIMERSLACK and the like); -1 on failure. */
  prctl(option: number, arg2: number): number;
  /** sched_getscheduler/sched_setscheduler/sched_getparam(2) on a thread (0: the calling one); param is a 4-byte struct sched_param. */
  sched_getscheduler(tid: number): number;
  sched_setscheduler(tid: number, policy: number, param: Buffer): number;
  sched_getparam(tid: number, param: Buffer): number;
  /** getpriority/setpriority(2): with PRIO_PROCESS and who 0, the calling thread's nice value (per thread on Linux). */
  getpriority(which: number, who: number): number;
  setpriority(which: number, who: number, prio: number): number;
  /** sched_getaffinity/sched_setaffinity(2) of a thread (0: the calling one) with a CPU mask of mask.length bytes; sched_getcpu(3): the core the caller runs on. */
  sched_getaffinity(tid: number, mask: Buffer): number;
  sched_setaffinity(tid: number, mask: Buffer): number;
  sched_getcpu(): number;
  /** glibc malloc_trim(3): gives free malloc memory of every arena back to the kernel; 1 if any was. */
  malloc_trim(pad: number): number;
  /** perf_event_open(2) (attr: a perf_event_attr); the fd, or -1 (errno()). */
  perf_event_open(attr: Buffer, pid: number, cpu: number, groupFd: number, flags: number): number;
  /** mmap(2) of `length` bytes of `fd` from offset 0, at an address the kernel picks; null on failure (errno()). munmap(2) undoes it. */
  mmap(length: number, prot: number, flags: number, fd: number): unknown;
  munmap(addr: unknown, length: number): number;
}

let libc: Libc | undefined;

export function loadLibc(): Libc {
  if (libc) return libc;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const koffi = require('koffi') as typeof Koffi;
  const lib = koffi.load('libc.so.6');
  const pvr = lib.func('intptr_t process_vm_readv(int pid, void *local_iov, unsigned long liovcnt, void *remote_iov, unsigned long riovcnt, unsigned long flags)');
  const ptrace = lib.func('long ptrace(long request, int pid, intptr_t addr, intptr_t data)');
  const waitpid = lib.func('int waitpid(int pid, void *status, int options)');
  const waitid = lib.func('int waitid(int idtype, int id, void *info, int options)');
  const errnoLocation = lib.func('int *__errno_location(void)');
  const pread = lib.func('intptr_t pread(int fd, void *buf, size_t count, intptr_t offset)');
  const prctl = lib.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)');
  const getScheduler = lib.func('int sched_getscheduler(int pid)');
  const setScheduler = lib.func('int sched_setscheduler(int pid, int policy, void *param)');
  const getParam = lib.func('int sched_getparam(int pid, void *param)');
  const getPriority = lib.func('int getpriority(int which, unsigned int who)');
  const setPriority = lib.func('int setpriority(int which, unsigned int who, int prio)');
  const mallocTrim = lib.func('int malloc_trim(size_t pad)');
  const getAffinity = lib.func('int sched_getaffinity(int pid, size_t size, void *mask)');
  const setAffinity = lib.func('int sched_setaffinity(int pid, size_t size, void *mask)');
  const getCpu = lib.func('int sched_getcpu(void)');
  // syscall(2) declared with perf_event_open's arguments: integers and a pointer pass alike either way on x86-64 and arm64
  const perfEventOpen = lib.func('long syscall(long nr, void *attr, int pid, int cpu, int group_fd, unsigned long flags)');
  const SYS_PERF_EVENT_OPEN = process.arch === 'arm64' ? 241 : 298;
  const mmap = lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, intptr_t offset)');
  const munmap = lib.func('int munmap(void *addr, size_t length)');
  const MAP_FAILED = 2n ** 64n - 1n;
  libc = {
    koffi,
    process_vm_readv: (pid, local, lc, remote, rc, flags) => Number(pvr(pid, local, lc, remote, rc, flags)),
    ptrace: (req, pid, addr, data) => Number(ptrace(req, pid, addr, data)),
    waitpid: (pid, status, options) => waitpid(pid, status, options) as number,
    waitid: (idtype, id, info, options) => waitid(idtype, id, info, options) as number,
    errno: () => koffi.decode(errnoLocation(), 'int') as number,
    pread: (fd, buf, count, offset) => Number(pread(fd, buf, count, offset)),
    prctl: (option, arg2) => prctl(option, arg2, 0, 0, 0) as number,
    sched_getscheduler: (tid) => getScheduler(tid) as number,
    sched_setscheduler: (tid, policy, param) => setScheduler(tid, policy, param) as number,
    sched_getparam: (tid, param) => getParam(tid, param) as number,
    getpriority: (which, who) => getPriority(which, who) as number,
    setpriority: (which, who, prio) => setPriority(which, who, prio) as number,
    malloc_trim: (pad) => mallocTrim(pad) as number,
    sched_getaffinity: (tid, mask) => getAffinity(tid, mask.length, mask) as number,
    sched_setaffinity: (tid, mask) => setAffinity(tid, mask.length, mask) as number,
    sched_getcpu: () => getCpu() as number,
    perf_event_open: (attr, pid, cpu, groupFd, flags) => Number(perfEventOpen(SYS_PERF_EVENT_OPEN, attr, pid, cpu, groupFd, flags)),
    mmap: (length, prot, flags, fd) => {
      const p = mmap(null, length, prot, flags, fd, 0);
      return p === null || BigInt(koffi.address(p)) === MAP_FAILED ? null : p;
    },
    munmap: (addr, length) => munmap(addr, length) as number,
  };
  return libc;
}

export const ERRNO = { EPERM: 1, ESRCH: 3, EINTR: 4, EIO: 5, ECHILD: 10, EFAULT: 14, EINVAL: 22 } as const;
