// `pyprof` command-line entry point: dispatches to the subcommand modules in src/cli/.
// To add a command, write src/cli/<name>.ts exporting `command: CliCommand` and add one line below.

import type { CliCommand } from './cli/args';
import pkg from '../package.json';
import { phase } from './cli/phaseTimes';

phase('node-start', performance.timeOrigin); // the clock's origin: when node started
phase('main');

const COMMANDS: Record<string, () => Promise<{ command: CliCommand }>> = {
  record: () => import('./cli/record'),
  top: () => import('./cli/top'),
  dump: () => import('./cli/dump'),
  convert: () => import('./cli/convert'),
  diff: () => import('./cli/diff'),
  mcp: () => import('./cli/mcp'),
};

async function help(): Promise<string> {
  const lines = [
    `pyprof ${pkg.version}: a sampling profiler for Python (CPython 2.7 and 3.6–3.14, Linux), like py-spy`,
    '',
    'usage: pyprof <command> [options]',
    '',
    'commands:',
  ];
  for (const load of Object.values(COMMANDS)) {
    const { command } = await load();
    lines.push(`  ${command.name.padEnd(10)}${command.summary}`);
  }
  lines.push(
    '',
    'examples:',
    '  pyprof record -o profile.speedscope.json -- python3 script.py',
    '  pyprof record --pid 1234 --duration 10 --format collapsed -o out.txt',
    '  pyprof top --pid 1234',
    '  pyprof dump --pid 1234',
    '  pyprof diff before.speedscope.json after.speedscope.json --fail-if-slower 5',
    '',
    "Run 'pyprof <command> --help' for a command's options.",
  );
  return lines.join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`pyprof ${pkg.version}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`pyprof: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}). Try 'pyprof --help'.\n`);
    return 2;
  }
  const { command } = await load();
  phase('command-loaded');
  return command.run(rest);
}

/** Resolves once everything written to `stream` so far has reached the OS: stdout/stderr on a pipe
 * are asynchronous in Node, and process.exit() drops what is still queued (a 2 MB `diff --format
 * json | jq` was cut at 64 KB). Writes are queued in order, so an empty write's callback is the mark. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
}

main(process.argv.slice(2)).then(
  async (code) => {
    process.exitCode = code;
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    // Exit promptly even if a stray handle (stdin in raw mode, a timer) is still open.
    setImmediate(() => {
      phase('exit');
      process.exit(code);
    });
  },
  (e) => {
    process.stderr.write(`pyprof: internal error: ${e instanceof Error ? e.stack ?? e.message : e}\n`);
    process.exit(1);
  },
);
