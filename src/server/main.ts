// `pyprof-lsp`: entry of the language server process (bundled to dist/server.js).
// VS Code starts it over node-ipc (src/ui/editor/languageClient.ts); other editors run
// `pyprof-lsp --stdio [--profile FILE]`. Transport flags (--stdio, --node-ipc, --socket=N,
// --pipe=NAME, --clientProcessId N) are read by vscode-languageserver's createConnection().

import { createConnection } from 'vscode-languageserver/node';
import { PyprofServer } from './server';

const USAGE = `usage: pyprof-lsp --stdio [--profile FILE]

The pyprof language server: CodeLens over profiled functions, hover with a line's
callers and callees, inlay hints on hot lines, for any LSP editor.

  --stdio           talk LSP over stdin/stdout (also: --node-ipc, --socket=PORT, --pipe=NAME)
  --profile FILE    load this profile (speedscope JSON written by \`pyprof record\`, …) at startup
                    later: request pyprof/loadProfile {path}, or the command pyprof-lsp.loadProfile
  --help, --version
`;

interface Args {
  profile?: string;
  transport: boolean;
  help: boolean;
  version: boolean;
  error?: string;
}

export function parseArgs(argv: readonly string[]): Args {
  const a: Args = { transport: false, help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '--stdio' || s === '--node-ipc' || s.startsWith('--socket') || s.startsWith('--pipe')) a.transport = true;
    else if (s === '--profile') {
      if (i + 1 >= argv.length) a.error = '--profile needs a file';
      else a.profile = argv[++i];
    } else if (s.startsWith('--profile=')) a.profile = s.slice('--profile='.length);
    else if (s === '--help' || s === '-h') a.help = true;
    else if (s === '--version') a.version = true;
  }
  return a;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.version) {
    process.stdout.write('pyprof-lsp 0.1.0\n');
    return;
  }
  if (args.error || !args.transport) {
    process.stderr.write(`${args.error ?? 'pyprof-lsp: choose a transport (normally --stdio)'}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const connection = createConnection();
  new PyprofServer(connection, { profile: args.profile }).listen();
}

main();
