// What a profile records about the source it was taken from, so a later profile of edited code can
// be compared line by line: per file, a SHA-256 of the content (is it the same file?) and a 32-bit
// hash per line (to diff the two versions' lines without storing any source text in the profile).
// Lines are hashed with surrounding whitespace trimmed, so re-indenting a block still maps it.

import { createHash } from 'crypto';
import * as fs from 'fs';
import type { Profile } from './model';

export interface SourceDigest {
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  /** FNV-1a 32-bit hash of each line (trimmed), little-endian Uint32 array in base64; line 1 first. */
  lines: string;
}

/** Files larger than this are not digested (generated code, data files): their lines are compared by number. */
export const MAX_DIGEST_BYTES = 4 * 1024 * 1024;
/** At most this many files per profile (a deep program touches the stdlib; its own files come first). */
export const MAX_DIGEST_FILES = 2000;

/** FNV-1a over the UTF-16 code units of a string: fast, stable, and enough to tell lines apart. */
export function lineHash(line: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < line.length; i++) {
    h ^= line.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The text's lines (split on \n, \r\n or \r), each trimmed and hashed. */
export function lineHashes(text: string): Uint32Array {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the newline ending the last line
  return Uint32Array.from(lines, (l) => lineHash(l.trim()));
}

export function digestSource(content: Buffer | string): SourceDigest {
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const hashes = lineHashes(buf.toString('utf8'));
  return {
    sha256: createHash('sha256').update(buf).digest('hex'),
    lines: Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength).toString('base64'),
  };
}

/** The per-line hashes of a digest; throws on a malformed one. */
export function decodeLineHashes(d: SourceDigest): Uint32Array {
  const buf = Buffer.from(d.lines, 'base64');
  if (buf.length % 4 !== 0) throw new Error('source digest: line hashes are not a whole number of 32-bit values');
  const out = new Uint32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readUInt32LE(i * 4);
  return out;
}

/** A digest as read back from a profile file, or undefined when it is not one. */
export function asSourceDigest(v: unknown): SourceDigest | undefined {
  const d = v as SourceDigest;
  return d && typeof d.sha256 === 'string' && /^[0-9a-f]{64}$/.test(d.sha256) && typeof d.lines === 'string' ? d : undefined;
}

/** Paths of real files among the profile's frames, most sampled first (pseudo-files like `<string>` left out). */
export function sampledFiles(profile: Profile): string[] {
  const weight = new Map<string, number>();
  const frameWeight = new Float64Array(profile.frames.length);
  for (const s of profile.samples) {
    for (let n = s.node; n >= 0; n = profile.nodes[n].parent) frameWeight[profile.nodes[n].frame] += s.weight;
  }
  profile.frames.forEach((f, i) => {
    if (!f.file || f.file.startsWith('<')) return;
    weight.set(f.file, (weight.get(f.file) ?? 0) + frameWeight[i]);
  });
  return [...weight.entries()].sort((a, b) => b[1] - a[1]).map(([f]) => f);
}

/**
 * Records a digest of each sampled source file in `profile.meta.sources`. `read` returns the file's
 * bytes, or undefined when it cannot be read (a path from another machine, a deleted file) or is
 * too large; such files are listed in a note, and their lines are later compared by number.
 */
export function attachSourceDigests(profile: Profile, read: (file: string) => Buffer | undefined): void {
  const sources: Record<string, SourceDigest> = {};
  const files = sampledFiles(profile);
  let missing = 0;
  for (const file of files.slice(0, MAX_DIGEST_FILES)) {
    const data = read(file);
    if (data === undefined || data.length > MAX_DIGEST_BYTES) {
      missing++;
      continue;
    }
    sources[file] = digestSource(data);
  }
  if (Object.keys(sources).length > 0) profile.meta.sources = sources;
  if (missing > 0 || files.length > MAX_DIGEST_FILES) {
    const skipped = missing + Math.max(0, files.length - MAX_DIGEST_FILES);
    const note = `${skipped} of ${files.length} source files could not be read for line mapping (a comparison with another profile matches their lines by number)`;
    profile.meta.notes = [...(profile.meta.notes ?? []), note];
  }
}

/** A source file's bytes for digesting: undefined when missing, not a regular file, or too large. */
export function readSourceFile(file: string): Buffer | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_DIGEST_BYTES) return undefined;
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}
