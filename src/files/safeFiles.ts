// Files pyprof creates, created so that nobody else can steer them: every new file is opened with
// O_CREAT|O_EXCL|O_NOFOLLOW under a name nobody can predict (random bytes), in the directory it
// finally belongs in, with mode 0666 minus the umask (what a user expects from any tool). A
// finished file replaces its destination with rename(2), which replaces a symlink planted at the
// destination instead of writing through it. Reused names (`out.json.tmp-PID`) are never used:
// another user can read our pid from ps and plant a symlink there (issue 21).

import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
/** Exclusive creation that never follows a symlink, whatever fs.protected_symlinks says. */
export const EXCLUSIVE_CREATE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
/** Regular files: read/write for everyone the umask lets through (open(2) applies the umask). */
const FILE_MODE = 0o666;

export function randomTag(): string {
  return crypto.randomBytes(6).toString('hex');
}

/**
 * Creates a new file `dir/<prefix><random><suffix>` exclusively and returns its open fd and path.
 * A name that exists (however unlikely) gets a fresh random name; nothing existing is opened.
 */
export function createExclusiveFile(dir: string, prefix: string, suffix: string): { fd: number; file: string } {
  for (let attempt = 0; ; attempt++) {
    const file = path.join(dir, `${prefix}${randomTag()}${suffix}`);
    try {
      return { fd: fs.openSync(file, EXCLUSIVE_CREATE, FILE_MODE), file };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw e;
    }
  }
}

/** Temporary sibling of `target`: hidden, random, in the same directory so rename(2) is atomic. */
function tempSibling(target: string): { fd: number; file: string } {
  return createExclusiveFile(path.dirname(target), `.${path.basename(target)}.`, '.tmp');
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
}

/**
 * Writes `data` to `target` atomically: a reader sees the old file or the whole new one, a crash
 * leaves at most a hidden `.name.RANDOM.tmp`, and a symlink at `target` is replaced, not followed.
 */
export function writeFileAtomic(target: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const { fd, file } = tempSibling(target);
  try {
    writeAll(fd, bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(file, target);
  } catch (e) {
    try { fs.closeSync(fd); } catch { /* already closed */ }
    try { fs.unlinkSync(file); } catch { /* never created or already renamed */ }
    throw e;
  }
}

/** writeFileAtomic for callers that must not block (the extension host saving a large profile). */
export async function writeFileAtomicAsync(target: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let attempt = 0; ; attempt++) {
    const file = path.join(path.dirname(target), `.${path.basename(target)}.${randomTag()}.tmp`);
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, EXCLUSIVE_CREATE, FILE_MODE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 20) continue;
      throw e;
    }
    try {
      await handle.writeFile(bytes);
      await handle.sync();
      await handle.close();
      await fs.promises.rename(file, target);
      return;
    } catch (e) {
      await handle.close().catch(() => undefined);
      await fs.promises.unlink(file).catch(() => undefined);
      throw e;
    }
  }
}

/** Creates `file` itself exclusively (no random part: the caller named it); fails if anything is there. */
export function createNamedExclusive(file: string, data: Uint8Array | string, mode = FILE_MODE): void {
  const fd = fs.openSync(file, EXCLUSIVE_CREATE, mode);
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  } finally {
    fs.closeSync(fd);
  }
}
