// Chrome trace event JSON out (opens in Perfetto and chrome://tracing): each thread's timeline
// as nested B/E events, one per function activation, timestamps in microseconds.
import { Profile, msPerWeight, nodePath } from '../model';

interface TraceEvent { name: string; ph: 'B' | 'E' | 'M'; ts: number; pid: number; tid: number; cat?: string; args?: Record<string, unknown> }

export function exportChromeTrace(profile: Profile): string {
  const ms = msPerWeight(profile.meta) ?? 1;
  const events: TraceEvent[] = [];
  const pid = profile.meta.pid ?? 1;
  profile.threads.forEach((th, ti) => {
    const tid = th.id || ti + 1;
    const tpid = th.pid ?? pid;
    events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: tpid, tid, args: { name: th.name || `thread ${th.id}` } });
    // Runs in time order; imported profiles without a timeline are laid out sample by sample.
    let runs = profile.timeline.filter((r) => r.thread === ti).map((r) => ({ t: r.t, node: r.node, dur: r.count * ms }));
    if (runs.length === 0) {
      let t = 0;
      runs = profile.samples.filter((s) => s.thread === ti).map((s) => ({ t: (t += s.weight * ms) - s.weight * ms, node: s.node, dur: s.weight * ms }));
    }
    const open: number[] = []; // function ids of the open B events, outermost first
    let end = 0;
    for (const r of runs) {
      const path = r.node < 0 ? [] : nodePath(profile, r.node).map((n) => n.frame);
      let common = 0;
      while (common < open.length && common < path.length && open[common] === path[common]) common++;
      const ts = Math.round(r.t * 1000);
      while (open.length > common) events.push({ name: profile.frames[open.pop()!].name, ph: 'E', ts, pid: tpid, tid });
      for (let i = common; i < path.length; i++) {
        const f = profile.frames[path[i]];
        events.push({ name: f.name, cat: 'python', ph: 'B', ts, pid: tpid, tid, args: { file: f.file, line: f.line } });
        open.push(path[i]);
      }
      end = Math.max(end, r.t + r.dur);
    }
    const ts = Math.round(end * 1000);
    while (open.length) events.push({ name: profile.frames[open.pop()!].name, ph: 'E', ts, pid: tpid, tid });
  });
  return JSON.stringify({ traceEvents: events, displayTimeUnit: 'ms', otherData: { exporter: 'pyprof', source: profile.meta.source } });
}
