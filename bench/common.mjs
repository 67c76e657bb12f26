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
