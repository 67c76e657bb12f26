// Helpers shared by the benchmark scripts (bench/run.mjs, bench/cost.mjs).
import { spawn } from 'child_process';

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

export function table(headers, rows) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(w[i])).join(' | ') + ' |';
  return [line(headers), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

/** Starts a benchmark target and resolves once it printed READY. */
export function startTarget(python, args, timeoutMs = 30000) {
  const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args[0]} not ready`)), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('READY')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (c) => reject(new Error(`${args[0]} exited ${c}`)));
  });
}

export function kill(child) {
  try {
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
  } catch {
    /* gone */
  }
}

/** Runs a command to its end: its exit code and output. */
export function run(cmd, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs each [name, () => run(...)] configuration of a fixed workload that prints `WORK_SECONDS
 * <wall> <cpu>`, `reps` times, interleaved so slow drifts in machine load hit every configuration
 * alike. Per configuration: the walls, CPU times, the recorder's `sampler CPU` shares and stderrs.
 */
export async function interleavedWorkRuns(configs, reps) {
  const out = configs.map(() => ({ wall: [], cpu: [], samplerCpu: [], stderr: [] }));
  for (let rep = 0; rep < reps; rep++) {
    for (let c = 0; c < configs.length; c++) {
      const r = await configs[c][1]();
      const m = /WORK_SECONDS ([\d.]+) ([\d.]+)/.exec(r.stdout);
      if (!m) throw new Error(`${configs[c][0]} failed: ${r.stderr}`);
      out[c].wall.push(Number(m[1]));
      out[c].cpu.push(Number(m[2]));
      const s = /sampler CPU ([\d.]+)% of one core/.exec(r.stderr);
      if (s) out[c].samplerCpu.push(Number(s[1]));
      out[c].stderr.push(r.stderr);
    }
  }
  return out;
}

/**
 * Bytes the JS heap allocates per call of fn (garbage included), from V8's sampling heap profiler
 * with collected objects kept in the profile (a heapUsed difference would miss what a scavenge
 * freed meanwhile). An estimate: Poisson samples every 128 bytes on average.
 */
export async function allocatedPerCall(fn, n) {
  const { Session } = await import('inspector');
  const session = new Session();
  session.connect();
  const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  try {
    await post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    for (let i = 0; i < n; i++) fn();
    const { profile } = await post('HeapProfiler.stopSampling');
    let total = 0;
    const walk = (node) => { total += node.selfSize; for (const c of node.children) walk(c); };
    walk(profile.head);
    return total / n;
  } finally {
    session.disconnect();
  }
}
