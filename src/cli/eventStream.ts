// Writes the JSON-lines events of src/cli/events.ts to the file descriptor given by --events-fd.
// Synchronous writes: events must be on the wire before the process exits (SIGINT → done → exit),
// and a pipe the reader drains slowly (EAGAIN) is retried briefly rather than losing lines.

import * as fs from 'fs';
import type { RecordEvent } from './events';
import { blockFor } from '../engine/sampler';

export interface EventSink {
  emit(event: RecordEvent): void;
  readonly enabled: boolean;
}

export const NO_EVENTS: EventSink = { emit: () => undefined, enabled: false };

export function openEvents(fd: number | undefined): EventSink {
  if (fd === undefined) return NO_EVENTS;
  try {
    fs.fstatSync(fd);
  } catch {
    throw new Error(`--events-fd ${fd}: file descriptor ${fd} is not open`);
  }
  let broken = false;
  return {
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
          broken = true; // reader went away (EPIPE) or is stuck: stop emitting, keep recording
          return;
        }
      }
    },
  };
}
