// pprof (gzip'd protobuf, as `go tool pprof`, Pyroscope and Cloud Profiler read it) both ways,
// through the pprof-format package. A location is (function, line); samples list locations
// leaf first, as pprof expects.
import { lineNumber } from './lineNumber';
import { gunzipSync, gzipSync } from 'zlib';
import { Function as PFunction, Line, Location, Profile as PProfile, Sample, StringTable, ValueType } from 'pprof-format';
import { Profile, ProfileBuilder, msPerWeight, nodePath } from '../model';
import { ProfileFormatError } from './errors';

export function exportPprof(profile: Profile): Buffer {
  const strings = new StringTable();
  const functions: PFunction[] = profile.frames.map((f, i) => new PFunction({
    id: i + 1, name: strings.dedup(f.name), systemName: strings.dedup(f.name), filename: strings.dedup(f.file), startLine: f.line,
  }));
  const locations: Location[] = [];
  const locationIds = new Map<string, number>();
  const locationOf = (frame: number, line: number): number => {
    const key = `${frame}:${line}`;
    let id = locationIds.get(key);
    if (id === undefined) {
      id = locations.length + 1;
      locations.push(new Location({ id, line: [new Line({ functionId: frame + 1, line: line || profile.frames[frame].line })] }));
      locationIds.set(key, id);
    }
    return id;
  };
  const ms = msPerWeight(profile.meta);
  const samples: Sample[] = [];
  for (const s of profile.samples) {
    if (s.node < 0 || s.weight <= 0) continue;
    const leafFirst = nodePath(profile, s.node).reverse().map((n) => locationOf(n.frame, n.line));
    const count = profile.meta.unit === 'samples' ? s.weight : 1;
    const values = ms !== undefined ? [count, Math.round(s.weight * ms * 1e6)] : [count, Math.round(s.weight)];
    samples.push(new Sample({ locationId: leafFirst, value: values }));
  }
  const p = new PProfile({
    sampleType: [
      new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }),
      ms !== undefined
        ? new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') })
        : new ValueType({ type: strings.dedup(profile.meta.unit === 'bytes' ? 'space' : 'weight'), unit: strings.dedup(profile.meta.unit === 'bytes' ? 'bytes' : 'count') }),
    ],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: (profile.meta.startTime ?? 0) * 1e6,
    durationNanos: Math.round((profile.meta.durationMs ?? 0) * 1e6),
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period: profile.meta.rateHz ? Math.round(1e9 / profile.meta.rateHz) : 0,
  });
  return gzipSync(p.encode());
}

/** A decompressed pprof larger than this is refused: a few KB of gzip can expand to gigabytes (a "zip bomb") and stall the editor. */
const MAX_PPROF_BYTES = 256 * 1024 * 1024;

export function importPprof(data: Uint8Array, file: string): Profile {
  let raw: Uint8Array = data;
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      raw = gunzipSync(data, { maxOutputLength: MAX_PPROF_BYTES });
    } catch (e) {
      const tooBig = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      throw new ProfileFormatError(file, 'gzip stream', tooBig ? `decompresses to more than ${MAX_PPROF_BYTES / 1024 / 1024} MB, which is not a profile pyprof opens` : `cannot decompress (${(e as Error).message})`);
    }
  }
  // Field number 0 does not exist in protobuf: such a first byte is not a pprof message (and a
  // buffer of zeros would otherwise be decoded as millions of empty unknown fields).
  if (raw.length > 0 && raw[0] >> 3 === 0) throw new ProfileFormatError(file, 'protobuf', 'not a pprof profile (first field number is 0)');
  let p: PProfile;
  try {
    p = PProfile.decode(raw);
  } catch (e) {
    throw new ProfileFormatError(file, 'protobuf', `not a pprof profile (${(e as Error).message})`);
  }
  const str = (i: unknown) => p.stringTable.strings[Number(i)] ?? '';
  if (p.sample.length === 0 && p.location.length === 0) throw new ProfileFormatError(file, '', 'a pprof profile with no samples or locations');
  // Prefer a time-valued sample type (cpu/wall nanoseconds), else the first.
  let vi = p.sampleType.findIndex((t) => /nanoseconds/.test(str(t.unit)));
  const unit = vi >= 0 ? 'nanoseconds' : 'samples';
  if (vi < 0) vi = 0;
  const b = new ProfileBuilder({ source: 'pprof', mode: 'sampling', unit, durationMs: Number(p.durationNanos) / 1e6 || undefined });
  const fns = new Map(p.function.map((f) => [Number(f.id), f]));
  const locs = new Map(p.location.map((l) => [Number(l.id), l]));
  const t = b.internThread(0, '');
  p.sample.forEach((s, si) => {
    const entries = [];
    for (const id of [...s.locationId].reverse()) {
      const loc = locs.get(Number(id));
      if (!loc) throw new ProfileFormatError(file, `sample ${si}`, `unknown location id ${id}`);
      // inlined frames: pprof lists the innermost line first
      for (const ln of [...loc.line].reverse()) {
        const f = fns.get(Number(ln.functionId));
        if (!f) throw new ProfileFormatError(file, `location ${loc.id}`, `unknown function id ${ln.functionId}`);
        entries.push({ name: str(f.name), file: str(f.filename), firstLine: lineNumber(Number(f.startLine)), line: lineNumber(Number(ln.line)) });
      }
    }
    const w = Number(s.value[vi] ?? 0);
    if (w > 0) b.addSample(t, b.internStack(entries), w);
  });
  return b.finish();
}
