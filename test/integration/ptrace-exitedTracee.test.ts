// A process that dies while we hold it paused (ptrace) must still be reapable by its own parent.
// Detaching from a dead thread fails, and until its tracer waits on it the kernel keeps it a traced
// zombie: a multiprocessing parent joining its child then waited for ever, and a recording with
// --subprocesses waited for that parent (seen: the accuracy suite's processes case on 2.7 hung).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as readline from 'readline';
import { pauseProcess, resumeProcess } from '../../src/engine/native/ptrace';
import { killQuietly } from '../helpers';

const PARENT = `
import os, sys, time
pid = os.fork()
if pid == 0:
    time.sleep(60)
    os._exit(0)
sys.stdout.write('CHILD %d\\n' % pid); sys.stdout.flush()
os.waitpid(pid, 0)
sys.stdout.write('REAPED\\n'); sys.stdout.flush()
`;

test('a child killed while paused is reaped by its own parent after we resume it', async () => {
  const parent = spawn('/usr/bin/python3', ['-c', PARENT], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines = readline.createInterface({ input: parent.stdout! })[Symbol.asyncIterator]();
    const first = (await lines.next()).value as string;
    const child = Number(/^CHILD (\d+)/.exec(first)![1]);
    pauseProcess(child);
    process.kill(child, 'SIGKILL'); // dies while ptrace-stopped: a traced zombie
    await new Promise((r) => setTimeout(r, 200));
    resumeProcess(child);
    const reaped = await Promise.race([
      lines.next().then((l) => l.value as string),
      new Promise<string>((r) => setTimeout(() => r('(parent still waiting after 5 s)'), 5000)),
    ]);
    assert.equal(reaped, 'REAPED', 'the parent reaped its child');
  } finally {
    killQuietly(parent);
  }
});
