// Writes the JSON-lines events of src/recording/events.ts to the file descriptor given by --events-fd.
// Synchronous writes: events must be on the wire before the process exits (SIGINT → done → exit),
// and a pipe the reader drains slowly (EAGAIN) is retried briefly rather than losing lines.

import * as fs from 'fs';
import type { RecordEvent } from '../recording/events';
import { blockFor } from '../engine/sampler';

export interface EventSink {
  emit(event: RecordEvent): void;
  readonly enabled: boolean;
  /** Called once when the reader closed its end (EPIPE). */
  onReaderGone?: () => void;
}

export const NO_EVENTS: EventSink = { emit: () => undefined, enabled: false };

/** Events go to an inherited fd (--events-fd) or are appended to a file (--events-file); not both. */
export function openEvents(fd: number | undefined, file?: string): EventSink {
  if (fd !== undefined && file !== undefined) throw new Error('give either --events-fd or --events-file, not both');
  if (file !== undefined) {
    try {
      // appended to (the caller may have created it), created if missing, never through a symlink
      const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;
      fd = fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o666);
    } catch (e) {
      throw new Error(`--events-file ${file}: ${(e as Error).message}`);
    }
  }
  if (fd === undefined) return NO_EVENTS;
  try {
    fs.fstatSync(fd);
  } catch {
    throw new Error(`--events-fd ${fd}: file descriptor ${fd} is not open`);
  }
  let broken = false;
  const sink: EventSink = {
    enabled: true,
    emit(event: RecordEvent) {
      if (broken) return;
      const buf = Buffer.from(JSON.stringify(event) + '\n');
      let off = 0;
      let tries = 0;
      while (off < buf.length) {
        try {
          off += fs.writeSync(fd, buf, off);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN' && tries++ < 2000) {
            blockFor(1);
            continue;
          }
          broken = true; // reader went away (EPIPE) or is stuck: stop emitting
          // Whoever asked for events (the extension, the debug adapter) is gone: nobody can stop us
          // or open the profile any more, so the caller may end the recording (and keep its data).
          if (code === 'EPIPE') sink.onReaderGone?.();
          return;
        }
      }
    },
  };
  return sink;
}
