// `pyprof diff BASE NEW`: compares two profiles of any importable formats (src/profile/diff.ts) and
// prints the top regressions and improvements; --fail-if-slower turns it into a CI gate.
import * as fs from 'fs';
import * as path from 'path';
import { importProfile, ProfileFormatError } from '../profile/formats';
import { writeFileAtomic } from '../files/safeFiles';
import type { Profile } from '../profile/model';
import { DiffError, diffProfiles } from '../profile/diff';
import { buildDiffTree, exportDiffFolded } from '../profile/diffTree';
import { CliCommand, flag, formatHelp, num, OptionSpec, parseArgs, splitPositional, str, UsageError } from './args';
import { gate, GateError, jsonReport, textReport } from './diffReport';

const FORMATS = ['text', 'json', 'folded'] as const;

const OPTIONS: OptionSpec[] = [
  { name: 'output', alias: 'o', kind: 'string', arg: 'FILE', help: 'write the report to FILE instead of standard output' },
  { name: 'format', alias: 'f', kind: 'string', arg: 'FORMAT', choices: FORMATS, help: 'text (default: tables of regressions and improvements), json (every function and line), folded (two-column stacks "frames BASE NEW" for flamegraph.pl)' },
  { name: 'time', kind: 'flag', help: 'compare measured time (samples x the clock-measured interval) instead of shares' },
  { name: 'all-samples', kind: 'flag', help: 'compare plain shares of all samples, not normalised by the code that did not change (then every unchanged function\'s share rises when another gets faster)' },
  { name: 'confidence', kind: 'number', arg: 'LEVEL', min: 0.5, exclusiveMin: true, help: 'confidence level of the intervals that decide significance (default 0.999)' },
  { name: 'top', kind: 'int', arg: 'N', min: 1, help: 'rows per table (default 10)' },
  { name: 'fail-if-slower', kind: 'number', arg: 'PCT', min: 0, help: 'exit 3 when the whole run (or --function) is significantly more than PCT% slower' },
  { name: 'function', kind: 'string', arg: 'NAME', help: 'with --fail-if-slower: gate on this function instead of the whole run' },
];
const USAGE = 'pyprof diff BASE NEW [-o OUT] [--format text|json|folded] [--time | --all-samples] [--fail-if-slower PCT [--function NAME]]';
const DESCRIPTION =
  'Compares two profiles of any format pyprof opens (speedscope, collapsed, austin, pstats, pprof; the two may differ).\n' +
  'Per function and per line: share and time in each, the change, and whether it is significant given the sample counts.\n' +
  'Shares are normalised by the code that did not change (the functions whose shares kept their ratios; the report names them\n' +
  'and the scale factor), so a function that got faster does not make the others look slower; --all-samples compares plain shares.\n' +
  'Lines are matched across edits when both profiles record their source (pyprof recordings do).\n' +
  'Exit codes: 0 ok, 1 error, 2 usage, 3 --fail-if-slower tripped.';

export const GATE_FAILED_EXIT = 3;

function load(file: string): Profile {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    throw new DiffError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return importProfile(data, file);
}

export const command: CliCommand = {
  name: 'diff',
  summary: 'compare two profiles: regressions and improvements per function and line (CI gate)',
  async run(argv) {
    try {
      const { positional, rest } = splitPositional(argv, OPTIONS);
      const args = parseArgs(rest, OPTIONS, false);
      if (flag(args, 'help')) {
        process.stdout.write(formatHelp(USAGE, DESCRIPTION, OPTIONS));
        return 0;
      }
      if (positional.length !== 2) throw new UsageError(`give two profiles, BASE and NEW (got ${positional.length})`);
      const confidence = num(args, 'confidence');
      if (confidence !== undefined && confidence >= 1) throw new UsageError(`--confidence must be below 1 (got ${confidence})`);
      const failPct = num(args, 'fail-if-slower');
      const fn = str(args, 'function');
      if (fn !== undefined && failPct === undefined) throw new UsageError('--function names what --fail-if-slower gates on: add --fail-if-slower PCT');
      const output = str(args, 'output');
      if (output && !fs.existsSync(path.dirname(path.resolve(output)))) throw new UsageError(`output folder does not exist: ${path.dirname(path.resolve(output))}`);
      const [baseFile, newFile] = positional;
      const base = load(baseFile);
      const next = load(newFile);
      if (flag(args, 'time') && flag(args, 'all-samples')) throw new UsageError('--time compares measured time; --all-samples is a kind of share comparison: give one');
      const d = diffProfiles(base, next, { mode: flag(args, 'time') ? 'time' : 'share', confidence, normalise: flag(args, 'all-samples') ? 'all' : 'unchanged' });
      const files = { base: baseFile, new: newFile };
      const format = str(args, 'format') ?? 'text';
      const report = format === 'json' ? jsonReport(d, files) : format === 'folded' ? exportDiffFolded(d, buildDiffTree(base, next, d)) : textReport(d, files, num(args, 'top') ?? 10);
      if (output) {
        writeFileAtomic(output, report); // exclusive temp file, never through a symlink, umask modes
        process.stderr.write(`pyprof: wrote ${output} (${format})\n`);
      } else process.stdout.write(report);
      if (failPct === undefined) return 0;
      const verdict = gate(d, failPct, fn);
      process.stderr.write(`pyprof: ${verdict.failed ? 'FAIL' : 'ok'}: ${verdict.reason}\n`);
      return verdict.failed ? GATE_FAILED_EXIT : 0;
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`pyprof diff: ${e.message}\nusage: ${USAGE}\n`);
        return 2;
      }
      if (e instanceof ProfileFormatError || e instanceof DiffError || e instanceof GateError) {
        process.stderr.write(`pyprof: error: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  },
};
