// Reading a running target without stopping it can tear (the stack changes under the reader):
// `pyprof dump` and the debug adapter's pause both retry briefly through this one function.

import { EngineError } from './types';
import type { Snapshot, TargetProcess } from './types';
import { blockFor } from './sampler';

/**
 * One snapshot of a running target, retried briefly when a read is torn (the stack changed under
 * it); gone or forbidden targets fail at once. `extra`: with each frame's local variables, with the asyncio tasks.
 */
export function consistentSnapshot(proc: TargetProcess, blocking: boolean, attempts = 20, extra: { locals?: boolean; tasks?: boolean; native?: boolean } = {}): Snapshot {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return blocking || extra.locals || extra.tasks || extra.native ? proc.snapshot({ blocking, ...extra }) : proc.snapshot();
    } catch (e) {
      lastError = e;
      if (e instanceof EngineError && (e.code === 'PROCESS_EXITED' || e.code === 'NO_SUCH_PROCESS' || e.code === 'PERMISSION_DENIED')) throw e;
      blockFor(2);
    }
  }
  throw lastError instanceof EngineError
    ? lastError
    : new EngineError('READ_FAILED', `could not read a consistent stack from process ${proc.info.pid} (${lastError instanceof Error ? lastError.message : lastError}); try --blocking`);
}
