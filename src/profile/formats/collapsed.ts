// Collapsed stacks ("folded"): flamegraph.pl, inferno, PyFlame, py-spy --format raw.
// One line per unique stack, root first, frames joined by ';', then a space and the count.
// Frames are written `function (file:line)` with the line executing in that frame, as py-spy
// does, so a function appears once per hot line; optionally the thread is the root frame.

import { Profile, msPerWeight, nodePath } from '../model';

export interface CollapsedOptions {
  /** Put `thread (NAME tid)` as the root frame of every stack (py-spy --threads). */
  threadsAsRoot?: boolean;
  /** Omit ` (file:line)`: plain function names. */
  functionsOnly?: boolean;
}

export function exportCollapsed(profile: Profile, opts: CollapsedOptions = {}): string {
  const lines = new Map<string, number>();
  const cache = new Map<number, string>();
  const stackText = (node: number): string => {
    let s = cache.get(node);
    if (s === undefined) {
      s = nodePath(profile, node)
        .map((n) => {
          const f = profile.frames[n.frame];
          const name = sanitize(f.name);
          if (opts.functionsOnly || !f.file) return name; // built-ins have no file
          return `${name} (${sanitize(f.file)}${n.line > 0 ? `:${n.line}` : ''})`;
        })
        .join(';');
      cache.set(node, s);
    }
    return s;
  };
  for (const s of profile.samples) {
    if (s.node < 0 || s.weight <= 0) continue;
    let key = stackText(s.node);
    if (opts.threadsAsRoot) {
      const t = profile.threads[s.thread];
      key = `${sanitize(`thread (${t.name ? t.name + ' ' : ''}${t.id})`)};${key}`;
    }
    lines.set(key, (lines.get(key) ?? 0) + s.weight);
  }
  // Counts must be integers: time-weighted profiles (cProfile seconds, pprof ns) become µs.
  const ms = profile.meta.unit === 'samples' ? undefined : msPerWeight(profile.meta);
  const scale = ms !== undefined ? ms * 1000 : 1;
  let out = '';
  for (const [k, w] of lines) out += `${k} ${Math.max(1, Math.round(w * scale))}\n`;
  return out;
}

/** ';' separates frames and a newline ends a record: neither may appear inside a frame. */
function sanitize(s: string): string {
  return s.replace(/[;\n\r]/g, '_');
}
