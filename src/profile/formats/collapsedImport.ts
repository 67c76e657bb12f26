// Collapsed ("folded") stacks in: flamegraph.pl / inferno / py-spy raw (`func (file:line)`),
// PyFlame (`file:func:line`) and plain function names. A root frame `thread (NAME TID)` (py-spy
// --threads, our --threads) or `process PID:"cmd"` becomes the sample's thread.
import { lineNumber } from './lineNumber';
import { Profile, ProfileBuilder, StackEntry } from '../model';
import { ProfileFormatError } from './errors';

const PYSPY = /^(.*) \((.*?)(?::(\d+))?\)$/;
const PYFLAME = /^(\/[^:]*|<[^>]*>|[^:\s]+\.py):([^:]+):(\d+)$/;
const THREAD = /^thread \((?:(.*) )?(?:0x)?([0-9a-fA-F]+)\)$/;

export function parseCollapsedFrame(text: string): StackEntry {
  let m = PYSPY.exec(text);
  if (m) return { name: m[1], file: m[2], firstLine: 0, line: lineNumber(m[3]) };
  m = PYFLAME.exec(text);
  if (m) return { name: m[2], file: m[1], firstLine: 0, line: lineNumber(m[3]) };
  return { name: text, file: '', firstLine: 0, line: 0 };
}

export function importCollapsed(text: string, file: string): Profile {
  const b = new ProfileBuilder({ source: 'collapsed', mode: 'sampling', unit: 'samples' });
  const threads = new Map<string, number>();
  const lines = text.split('\n');
  let samples = 0;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.startsWith('#')) return;
    const cut = line.lastIndexOf(' ');
    const count = cut > 0 ? Number(line.slice(cut + 1)) : NaN;
    if (!Number.isFinite(count) || count < 0) {
      throw new ProfileFormatError(file, `line ${i + 1}`, `expected "frame;frame;... COUNT", got ${JSON.stringify(line.slice(0, 80))}`);
    }
    let frames = line.slice(0, cut).split(';');
    let thread = 'all';
    let tid = 0;
    let pid: number | undefined;
    while (frames.length > 1) {
      const proc = /^process (\d+):/.exec(frames[0]);
      if (proc) { pid = Number(proc[1]); frames = frames.slice(1); continue; }
      const th = THREAD.exec(frames[0]);
      if (th) { thread = th[1] ?? ''; tid = parseInt(th[2], /[a-f]/i.test(th[2]) ? 16 : 10); frames = frames.slice(1); continue; }
      break;
    }
    const key = `${pid}:${tid}:${thread}`;
    let t = threads.get(key);
    if (t === undefined) threads.set(key, (t = b.internThread(tid, thread === 'all' ? '' : thread, pid)));
    b.addSample(t, b.internStack(frames.map(parseCollapsedFrame)), count);
    samples += count;
  });
  if (samples === 0 && threads.size === 0) throw new ProfileFormatError(file, '', 'no stacks found (expected collapsed "frame;frame COUNT" lines)');
  const p = b.finish();
  p.meta.sampleCount = samples;
  return p;
}
