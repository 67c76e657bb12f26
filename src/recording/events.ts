// Events `pyprof record --events-fd N` (and `top --events-fd N`) writes, one JSON object per line,
// on file descriptor N. The extension and the debug adapter run the sampler as this child process
// (heavy sampling never runs in the extension host) and follow it through these events.
// Stop a recording by sending SIGINT to the CLI: it writes the profile, emits `done`, exits 0.

export interface TopRow {
  name: string;
  file: string;
  /** def line of the function */
  line: number;
  /** fraction 0..1 of all samples in the last window (or whole run) */
  self: number;
  total: number;
  /** the line inside the function with the most own samples */
  hotLine?: number;
}

export type RecordEvent =
  /** recorderPid: the CLI's own pid (SIGINT stops it; SIGUSR1/SIGUSR2 suspend/resume sampling). */
  /** journal: the file every sample is streamed to (left behind, and openable, if the recorder is killed) */
  | { type: 'started'; pid: number; pythonVersion: string; command: string; recorderPid?: number; journal?: string }
  | { type: 'progress'; samples: number; errors: number; elapsedMs: number; threads: number }
  /** about once a second while recording: functions by own time over the whole run so far */
  | { type: 'top'; samples: number; rows: TopRow[] }
  /** a Python child process appeared (subprocess following) */
  | { type: 'subprocess'; pid: number; pythonVersion: string }
  | { type: 'done'; output: string; format: string; samples: number; errors: number; durationMs: number; notes: string[] }
  | { type: 'error'; code: string; message: string };
