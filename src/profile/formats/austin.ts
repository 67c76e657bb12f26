// austin's text output in (https://github.com/P403n1x87/austin): `# key: value` metadata, then one
// line per sample `P<pid>;T<iid>:<tid>;<file>:<function>:<line>;... <metric>[,<metric>...]`.
// Modes: cpu/wall (metric = µs), memory (metric = bytes, may be negative), full (time,idle,memory).
import { lineNumber } from './lineNumber';
import { Profile, ProfileBuilder } from '../model';
import { ProfileFormatError } from './errors';

export function looksLikeAustin(text: string): boolean {
  return /^# austin:/m.test(text.slice(0, 4096)) || /^P\d+;T[^;]+;/m.test(text.slice(0, 4096));
}

export function importAustin(text: string, file: string): Profile {
  const meta: Record<string, string> = {};
  const lines = text.split('\n');
  for (const l of lines) {
    const m = /^# (\w[\w ]*): (.*)$/.exec(l);
    if (m) meta[m[1].trim()] = m[2].trim();
  }
  const mode = meta.mode ?? 'wall';
  const memory = mode === 'memory';
  const b = new ProfileBuilder({ source: 'austin', mode: memory ? 'memory' : 'sampling', unit: memory ? 'bytes' : 'microseconds' });
  const threads = new Map<string, number>();
  let count = 0;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line || line.startsWith('#')) return;
    const cut = line.lastIndexOf(' ');
    const parts = line.slice(0, cut).split(';');
    const metrics = line.slice(cut + 1).split(',').map(Number);
    if (cut < 0 || parts.length < 2 || !/^P\d+$/.test(parts[0]) || !/^T/.test(parts[1]) || metrics.some((x) => !Number.isFinite(x))) {
      throw new ProfileFormatError(file, `line ${i + 1}`, `expected "P<pid>;T<thread>;file:function:line;... METRIC", got ${JSON.stringify(line.slice(0, 80))}`);
    }
    const pid = Number(parts[0].slice(1));
    const tkey = parts[1].slice(1);
    const tidText = tkey.includes(':') ? tkey.split(':').pop()! : tkey;
    const tid = /^0x/i.test(tidText) ? parseInt(tidText, 16) : Number(tidText) || parseInt(tidText, 16) || 0;
    const key = `${pid}:${tkey}`;
    let t = threads.get(key);
    if (t === undefined) threads.set(key, (t = b.internThread(tid, '', pid)));
    const entries = parts.slice(2).map((f, j) => {
      const m = /^(.*):([^:]*):(\d+)$/.exec(f);
      if (!m) throw new ProfileFormatError(file, `line ${i + 1}, frame ${j + 1}`, `expected file:function:line, got ${JSON.stringify(f.slice(0, 80))}`);
      return { name: m[2], file: m[1], firstLine: 0, line: lineNumber(m[3]) };
    });
    // full mode: time, idle flag, memory delta
    const value = mode === 'full' ? metrics[0] : metrics[0];
    const leaf = b.internStack(entries);
    if (memory || (mode === 'full' && metrics.length >= 3)) {
      const mem = memory ? value : metrics[2];
      const s = b.addSample(t, leaf, memory ? Math.abs(mem) : value);
      if (mem > 0) s.allocBytes = (s.allocBytes ?? 0) + mem;
      else if (mem < 0) s.freedBytes = (s.freedBytes ?? 0) - mem;
    } else {
      b.addSample(t, leaf, value);
    }
    count++;
  });
  if (count === 0) throw new ProfileFormatError(file, '', 'no austin samples found');
  const p = b.finish();
  p.meta.sampleCount = count;
  if (meta.interval) p.meta.notes = [`austin ${meta.austin ?? ''} ${mode} mode, interval ${meta.interval} µs`];
  return p;
}
