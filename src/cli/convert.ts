// `pyprof convert IN -o OUT [--format F]`: any importable profile to any exportable format.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../files/safeFiles';
import { JOURNAL_SUFFIX, looksLikeJournal } from '../profile/formats/journalFormat';
import { replayJournal } from '../engine/journalReplay';
import { EXPORT_FORMATS, ExportFormat, exportProfile, formatForFile, importProfile, ProfileFormatError } from '../profile/formats';
import { CliCommand, flag, formatHelp, OptionSpec, parseArgs, splitPositional, str, UsageError } from './args';

const OPTIONS: OptionSpec[] = [
  { name: 'output', alias: 'o', kind: 'string', arg: 'FILE', help: 'where to write the converted profile' },
  { name: 'format', alias: 'f', kind: 'string', arg: 'FORMAT', help: `${EXPORT_FORMATS.map((f) => f.id).join(', ')} (default: from the output file name)` },
  { name: 'threads', kind: 'flag', help: 'collapsed: put the thread as the root frame' },
];
const USAGE = 'pyprof convert IN -o OUT [--format speedscope|collapsed|pprof|chrome]';
const DESCRIPTION =
  'Reads speedscope, collapsed stacks (flamegraph.pl, py-spy, PyFlame), austin, cProfile/pstats, pprof or the journal a killed\n' +
  '`pyprof record` left (OUTPUT.RANDOM.journal; -o defaults to OUTPUT), and writes speedscope, collapsed, pprof or Chrome trace events.';

/** `out.speedscope.json.0123456789ab.journal` → `out.speedscope.json`: the output that recording was writing. */
export function journalOutputName(journal: string): string | undefined {
  const m = new RegExp(`^(.+)\\.[0-9a-f]{12}${JOURNAL_SUFFIX.replace('.', '\\.')}$`).exec(path.basename(journal));
  return m ? path.join(path.dirname(journal), m[1]) : undefined;
}

export const command: CliCommand = {
  name: 'convert',
  summary: 'convert a profile between formats (speedscope, collapsed, austin, pstats, pprof, chrome)',
  async run(argv) {
    try {
      const { positional, rest } = splitPositional(argv, OPTIONS);
      const args = parseArgs(rest, OPTIONS, false);
      if (flag(args, 'help')) {
        process.stdout.write(formatHelp(USAGE, DESCRIPTION, OPTIONS));
        return 0;
      }
      const input = positional[0];
      if (!input || positional.length > 1) throw new UsageError('give exactly one input file');
      const output = str(args, 'output') ?? journalOutputName(input);
      if (!output) throw new UsageError('give the output file with -o OUT');
      const format = (str(args, 'format') ?? formatForFile(output)) as ExportFormat | undefined;
      if (!format || !EXPORT_FORMATS.some((f) => f.id === format)) {
        throw new UsageError(`cannot tell the output format from '${output}': add --format ${EXPORT_FORMATS.map((f) => f.id).join('|')}`);
      }
      let data: Buffer;
      try {
        data = fs.readFileSync(input);
      } catch (e) {
        process.stderr.write(`pyprof: cannot read ${input}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
        return 1;
      }
      const profile = looksLikeJournal(data.subarray(0, 64).toString('utf8')) ? replayJournal(data.toString('utf8'), input).profile : importProfile(data, input);
      writeFileAtomic(output, exportProfile(profile, format, { threadsAsRoot: flag(args, 'threads') }));
      process.stderr.write(`pyprof: wrote ${output} (${format}, from ${profile.meta.source})\n`);
      if (looksLikeJournal(data.subarray(0, 64).toString('utf8'))) for (const n of profile.meta.notes ?? []) process.stderr.write(`pyprof: note: ${n}\n`);
      return 0;
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`pyprof convert: ${e.message}\nusage: ${USAGE}\n`);
        return 2;
      }
      if (e instanceof ProfileFormatError) {
        process.stderr.write(`pyprof: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  },
};

