// `pyprof mcp`: pyprof's assistant tools (src/assist/) as a Model Context Protocol server over
// stdio, with the official SDK. stdout carries the protocol only: recordings and dumps run as child
// processes whose output is captured (src/assist/cliRunner.ts), diagnostics go to stderr.
// Resources: the current (last recorded or read) profile as a text summary and as speedscope JSON.

import * as fs from 'fs';
import * as path from 'path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListResourcesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import pkg from '../../package.json';
import { recordWithCli, dumpWithCli, CliPaths } from '../assist/cliRunner';
import { AssistInputError, AssistRunError } from '../assist/errors';
import { DEFAULT_MAX_DURATION_S } from '../assist/inputs';
import { topFunctionsText } from '../assist/profileText';
import { TOOLS } from '../assist/toolDefinitions';
import { AssistHost, LoadedProfile, RecordWish, runTool } from '../assist/tools';
import { findOnPath } from '../files/findOnPath';
import { CliCommand, flag, formatHelp, num, OptionSpec, parseArgs, str, UsageError } from './args';

const OPTIONS: OptionSpec[] = [
  { name: 'root', kind: 'string', arg: 'DIR', help: 'workspace root: files are run and read only under it (default: the current directory)' },
  { name: 'python', kind: 'string', arg: 'PATH', help: 'interpreter that runs a profiled file (default: python3, then python, on PATH)' },
  { name: 'max-duration', kind: 'number', arg: 'SECONDS', min: 0, exclusiveMin: true, help: `longest recording a client may ask for (default ${DEFAULT_MAX_DURATION_S})` },
];
const USAGE = 'pyprof mcp [--root DIR] [--python PATH] [--max-duration SECONDS]';
const DESCRIPTION =
  'Serves pyprof to an AI assistant over the Model Context Protocol (stdio): profile a file or command, attach to a PID, dump stacks, and query the profile (top functions, hot lines, callers, compare). ' +
  'Add it to an MCP client\'s configuration as the command "pyprof" with the arguments ["mcp", "--root", "/path/to/project"].';

const CURRENT_SUMMARY = 'pyprof://profile/current';
const CURRENT_JSON = 'pyprof://profile/current.speedscope.json';

class McpHost implements AssistHost {
  private loaded: (LoadedProfile & { file: string }) | undefined;
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();
  /** Called when the current profile changes (resources/list_changed). */
  onChange: () => void = () => undefined;

  constructor(
    private readonly root: string,
    private readonly python: string | undefined,
    readonly maxDurationS: number,
    private readonly paths: CliPaths,
  ) {}

  roots(): readonly string[] {
    return [this.root];
  }

  async record(wish: RecordWish): Promise<LoadedProfile & { file: string; programOutput?: string }> {
    const rec = await recordWithCli(this.paths, wish, this.python, this.roots());
    this.files.add(rec.file);
    this.dirs.add(rec.dir);
    this.loaded = rec;
    this.onChange();
    return rec;
  }

  dumpStacks(pid: number): Promise<string> {
    return dumpWithCli(this.paths, pid);
  }

  current(): (LoadedProfile & { file: string }) | undefined {
    return this.loaded;
  }

  ownFiles(): ReadonlySet<string> {
    return this.files;
  }

  /** Recorded profiles live in private temporary folders for the server's lifetime. */
  cleanUp(): void {
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
  }
}

function createServer(host: McpHost): Server {
  const server = new Server({ name: 'pyprof', version: pkg.version }, { capabilities: { tools: {}, resources: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((t) => ({ name: t.name, title: t.title, description: t.description, inputSchema: t.inputSchema, annotations: t.annotations })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    try {
      const text = await runTool(req.params.name, req.params.arguments ?? {}, host);
      return { content: [{ type: 'text' as const, text }] };
    } catch (e) {
      // Bad input and failed runs are answers the model should read (isError), not protocol errors.
      if (e instanceof AssistInputError || e instanceof AssistRunError) return { content: [{ type: 'text' as const, text: `Error: ${e.message}` }], isError: true };
      throw e;
    }
  });
  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    const cur = host.current();
    if (!cur) return { resources: [] };
    return {
      resources: [
        { uri: CURRENT_SUMMARY, name: 'current-profile', title: `pyprof profile: ${cur.label}`, description: 'The last recorded profile: top functions with their hottest lines.', mimeType: 'text/plain' },
        { uri: CURRENT_JSON, name: 'current-profile-speedscope', title: `pyprof profile (speedscope JSON): ${cur.label}`, description: 'The last recorded profile as a speedscope file.', mimeType: 'application/json' },
      ],
    };
  });
  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const cur = host.current();
    const uri = req.params.uri;
    if (uri !== CURRENT_SUMMARY && uri !== CURRENT_JSON) throw new Error(`unknown resource ${uri} (pyprof offers ${CURRENT_SUMMARY} and ${CURRENT_JSON})`);
    if (!cur) throw new Error('no profile recorded yet: call pyprof_profile or pyprof_attach first');
    if (uri === CURRENT_SUMMARY) return { contents: [{ uri, mimeType: 'text/plain', text: topFunctionsText(cur.profile, cur.label, 30, host.roots()) }] };
    return { contents: [{ uri, mimeType: 'application/json', text: fs.readFileSync(cur.file, 'utf8') }] };
  });
  host.onChange = () => void server.sendResourceListChanged().catch(() => undefined);
  return server;
}

export const command: CliCommand = {
  name: 'mcp',
  summary: 'serve the profiling tools to an AI assistant (Model Context Protocol over stdio)',
  async run(argv) {
    let args;
    try {
      args = parseArgs(argv, OPTIONS, false);
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`pyprof mcp: ${e.message}\n${USAGE}\n`);
        return 2;
      }
      throw e;
    }
    if (flag(args, 'help')) {
      process.stdout.write(formatHelp(USAGE, DESCRIPTION, OPTIONS));
      return 0;
    }
    const root = path.resolve(str(args, 'root') ?? process.cwd());
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
      process.stderr.write(`pyprof: error: --root ${root} is not a directory\n`);
      return 2;
    }
    const python = str(args, 'python') ?? findOnPath('python3') ?? findOnPath('python');
    const host = new McpHost(fs.realpathSync(root), python, num(args, 'max-duration') ?? DEFAULT_MAX_DURATION_S, { node: process.execPath, cli: cliScript() });
    const server = createServer(host);
    const closed = new Promise<void>((resolve) => (server.onclose = resolve));
    process.stdin.on('end', () => void server.close());
    await server.connect(new StdioServerTransport());
    process.stderr.write(`pyprof mcp ${pkg.version}: serving ${TOOLS.length} tools on stdio (root ${host.roots()[0]}, python ${python ?? 'not found'}, max ${host.maxDurationS} s)\n`);
    await closed;
    host.cleanUp();
    return 0;
  },
};

/** This bundle (dist/cli.js): recordings and dumps run it again as a child process. */
function cliScript(): string {
  return require.main?.filename ?? process.argv[1];
}
