// Every-thread walks hand a thread's last stack out again, without reading its frames, while the
// thread has not run since (cpython/walker.ts, reusable: its switch ring shows it off its core and
// never switched in since). The stack must then be the truth, and a thread that ran must be read
// afresh: here one thread alternates between two functions, 30 ms asleep in each, and the samples
// (1-2 ms apart) must see every one of its moves, while its stacks in between are reused.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import { attach } from '../../src/engine';
import { interpreterFor, killQuietly } from '../helpers';

const FIXTURE = `
import threading, time, sys
moves = [0]
def phase_a():
    time.sleep(0.03)
def phase_b():
    time.sleep(0.03)
def alternate():
    while True:
        phase_a()
        moves[0] += 1
        phase_b()
        moves[0] += 1
def idle():
    threading.Event().wait()
for _ in range(4):
    threading.Thread(target=idle, daemon=True).start()
t = threading.Thread(target=alternate, daemon=True)
t.start()
sys.stdout.write("READY\\n"); sys.stdout.flush()
for line in sys.stdin:
    sys.stdout.write("%d\\n" % moves[0]); sys.stdout.flush()
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const minor of ['3.8', '3.12', '3.13']) {
  const py = interpreterFor(minor);
  test(`stacks of threads that have not run are handed out again, and a thread that ran is read afresh (${py?.label ?? minor})`, { skip: py ? false : `Python ${minor} is not installed here` }, async (t) => {
    const child = spawn(py!.path, ['-c', FIXTURE], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const line = async (): Promise<string> => {
      for (let i = 0; i < 500 && !out.includes('\n'); i++) await sleep(10);
      const [first, ...rest] = out.split('\n');
      out = rest.join('\n');
      return first;
    };
    try {
      assert.equal(await line(), 'READY');
      const proc = attach(child.pid!);
      try {
        const phases: string[] = [];
        let idleSeen = 0;
        child.stdin!.write('\n');
        const movesBefore = Number(await line());
        for (let i = 0; i < 600; i++) {
          const snap = proc.snapshot({ framesOf: 'all', lazyThreadStates: true });
          for (const th of snap.threads) {
            const names = th.frames.map((f) => f.name);
            const phase = names.find((n) => n === 'phase_a' || n === 'phase_b');
            if (phase) {
              if (phases[phases.length - 1] !== phase) phases.push(phase);
            } else if (names.some((n) => n === 'idle')) {
              idleSeen++;
              assert.ok(names.some((n) => n.endsWith('wait')), `an idle thread's stack: ${names.join(' <- ')}`);
            }
          }
          await sleep(1 + Math.random());
        }
        child.stdin!.write('\n');
        const moves = Number(await line()) - movesBefore;
        const reused = proc.stacksReused;
        console.log(`# ${moves} moves of the alternating thread, ${phases.length - 1} seen; ${reused} stacks handed out again, ${idleSeen} idle-thread stacks`);
        assert.equal(idleSeen, 4 * 600, 'every idle thread in every snapshot');
        // a move is missed only if it fell between two snapshots and was undone before the next:
        // impossible with 30 ms phases and snapshots 1-3 ms apart; a stale stack misses many
        assert.ok(phases.length - 1 >= moves - 2, `saw ${phases.length - 1} of ${moves} moves`);
        if (reused === 0) t.diagnostic('no stack was handed out again (switch records refused here?)');
        else assert.ok(reused > 4 * 600 * 0.8, `only ${reused} stacks handed out again`);
      } finally {
        proc.close();
      }
    } finally {
      killQuietly(child);
    }
  });
}
