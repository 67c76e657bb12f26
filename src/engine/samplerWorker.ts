// Worker-thread wrapper around the sampler + recorder, bundled to dist/samplerWorker.js, for hosts
// that sample in-process without blocking their own event loop (the language server). The CLI
// does not need it: it is a process of its own.
//
// Start: new Worker('dist/samplerWorker.js', { workerData: SamplerWorkerRequest })
// Send:  { type: 'stop' } to end the recording (the profile still arrives in 'done').
// Receive: SamplerWorkerMessage objects (started, progress about once a second, top rows if asked,
// subprocess, done with the Profile, error with an EngineError code).

import { isMainThread, parentPort, workerData } from 'worker_threads';
import { attach } from './index';
import { launch } from './launch';
import { Recorder } from './recorder';
import { Sampler, SamplerStats, StopReason } from './sampler';
import { EngineError, ProcessInfo, SampleOptions, TargetProcess } from './types';
import type { Profile } from '../profile/model';

export interface SamplerWorkerRequest {
  /** Attach to this pid … */
  pid?: number;
  /** … or launch this command (argv) and sample it from its start. */
  command?: string[];
  options: SampleOptions & { threads?: boolean };
  /** Progress message interval (default 1000 ms). */
  progressMs?: number;
}

export type SamplerWorkerMessage =
  | { type: 'started'; info: ProcessInfo; childPid?: number }
  | { type: 'progress'; samples: number; errors: number; stats: SamplerStats }
  | { type: 'subprocess'; info: ProcessInfo }
  | { type: 'done'; reason: StopReason; profile: Profile; stats: SamplerStats }
  | { type: 'error'; code: string; message: string };

async function main(req: SamplerWorkerRequest): Promise<void> {
  const post = (m: SamplerWorkerMessage) => parentPort!.postMessage(m);
  let sampler: Sampler | undefined;
  let stopEarly = false;
  parentPort!.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') {
      stopEarly = true;
      sampler?.stop();
    }
  });
  let root: TargetProcess;
  let childPid: number | undefined;
  let stopChild: (() => void) | undefined;
  if (req.pid !== undefined) root = attach(req.pid);
  else {
    const launched = await launch(req.command ?? [], { attach, stdio: 'ignore' });
    root = launched.process;
    childPid = launched.child.pid;
    stopChild = () => {
      if (launched.child.exitCode === null) launched.child.kill('SIGINT');
    };
  }
  const o = req.options;
  const recorder = new Recorder(
    { pid: root.info.pid, command: root.info.commandLine, pythonVersion: root.info.version, startTime: Date.now() },
    { rateHz: o.rate, threadRoots: o.threads, processRoots: o.subprocesses },
  );
  recorder.addProcess(root.info.pid, root.info.commandLine);
  sampler = new Sampler(
    root,
    o,
    {
      onSnapshot: (pid, snap) => recorder.addSnapshot(pid, snap),
      onError: () => recorder.addError(),
      onProcessAdded: (p) => {
        recorder.addProcess(p.info.pid, p.info.commandLine);
        post({ type: 'subprocess', info: p.info });
      },
    },
    { attach },
  );
  if (stopEarly) sampler.stop();
  post({ type: 'started', info: root.info, childPid });
  const timer = setInterval(
    () => post({ type: 'progress', samples: recorder.sampleCount, errors: recorder.errorCount, stats: sampler!.stats }),
    req.progressMs ?? 1000,
  );
  try {
    const result = await sampler.run();
    sampler.close();
    stopChild?.();
    if (result.reason === 'exited') recorder.addNote(`target process ${root.info.pid} exited after ${(result.stats.elapsedMs / 1000).toFixed(1)} s`);
    const dropped = recorder.droppedNote();
    if (dropped) recorder.addNote(dropped);
    const profile = recorder.finish(Math.round(result.stats.elapsedMs), {}, result.stats.achievedRateHz);
    post({ type: 'done', reason: result.reason, profile, stats: result.stats });
  } finally {
    clearInterval(timer);
  }
}

if (!isMainThread && parentPort) {
  main(workerData as SamplerWorkerRequest).then(
    () => parentPort!.close(), // ends the worker once queued messages are out
    (e: unknown) => {
      parentPort!.postMessage({
        type: 'error',
        code: e instanceof EngineError ? e.code : 'INTERNAL',
        message: e instanceof Error ? e.message : String(e),
      } satisfies SamplerWorkerMessage);
      parentPort!.close();
    },
  );
}
