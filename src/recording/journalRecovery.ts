// A recorder that died (killed, out of memory) leaves its journal (src/engine/journal.ts) beside the
// output it never wrote. The editor turns it into that profile by running `pyprof convert` — the
// CLI replays it with the recorder itself, which never loads in the extension host.

import { spawn } from 'child_process';
import * as fs from 'fs';
import { looksLikeJournal } from '../profile/formats/journalFormat';

/** True when `file` starts like a recording journal (reads 64 bytes). */
export async function isJournalFile(file: string): Promise<boolean> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(file, 'r');
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, 0);
    return looksLikeJournal(buffer.subarray(0, bytesRead).toString('utf8'));
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/** Runs `pyprof convert JOURNAL -o OUTPUT`; resolves with the CLI's notes, rejects with its error line. */
export function recoverJournal(nodePath: string, cliPath: string, journal: string, output: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodePath, [cliPath, 'convert', journal, '-o', output, '--format', 'speedscope'], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (stderr += d));
    child.on('error', (e) => reject(new Error(`cannot run ${nodePath}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(stderr.split('\n').filter((l) => l.startsWith('pyprof: note: ')).map((l) => l.slice('pyprof: note: '.length)));
      else reject(new Error(stderr.trim().split('\n').pop()?.replace(/^pyprof: (error: )?/, '') || `pyprof convert exited with code ${code}`));
    });
  });
}
