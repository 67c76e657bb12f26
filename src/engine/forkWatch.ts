// Without --subprocesses only the target itself is sampled. A program that fork()s workers without
// exec (multiprocessing's fork start method, os.fork, gunicorn/uwsgi pre-forking) then does much of
// its work where pyprof does not look: this watcher notices such children so the profile says so.
// A child counts when it still runs the target's own executable (it forked and did not exec);
// children that exec'd something else (subprocess.run(['ls'])) are another program.

import { descendants } from './subprocesses';
import { executableOf } from './proc/executable';

export class ForkWatch {
  private readonly seen = new Set<number>();
  private readonly forked: number[] = [];

  constructor(private readonly rootPid: number, private readonly executable: string) {}

  /** Lists the target's descendants once (a /proc read per process); cheap enough every ~250 ms. */
  poll(): void {
    let pids: number[];
    try {
      pids = descendants(this.rootPid);
    } catch {
      return; // the tree changed under the scan: next poll
    }
    for (const pid of pids) {
      if (this.seen.has(pid)) continue;
      let exe: string;
      try {
        exe = executableOf(pid);
      } catch {
        continue; // gone already (or not ours to read): try again if it is still there next poll
      }
      this.seen.add(pid);
      if (exe === this.executable) this.forked.push(pid);
    }
  }

  /** The note for the profile, when the target forked Python children that were not sampled. */
  note(): string | undefined {
    const n = this.forked.length;
    if (n === 0) return undefined;
    const list = this.forked.slice(0, 8).join(', ') + (n > 8 ? ', …' : '');
    return `process ${this.rootPid} forked ${n} child process${n > 1 ? 'es' : ''} running Python (${list}) that ${n > 1 ? 'were' : 'was'} not sampled: only ${this.rootPid} is in this profile; --subprocesses follows children too`;
  }
}
