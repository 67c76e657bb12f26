// Shared by the Pyroscope agent's integration tests (cli-pyroscope*.test.ts): a strict stand-in
// server per test, the agent run as the built CLI, its summary line read back, and the ground
// truth of split_cpu.py's hot lines in what the server stored.
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { spawn } from 'child_process';
import { fixture, repoRoot } from '../helpers';
import { collect, CLI } from './cli-support';
import { StrictPyroscopeServer } from '../pyroscopeServer';

export const PYTHON = ['/root/.pyenv/versions/3.12.1/bin/python', '/usr/bin/python3'].find((p) => fs.existsSync(p))!;

export async function withServer(fn: (s: StrictPyroscopeServer) => Promise<void>): Promise<void> {
  const s = new StrictPyroscopeServer();
  await s.start();
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

export async function waitFor(probe: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the agent with env additions; resolves with its result. */
export function agent(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60000) {
  const child = spawn(process.execPath, [CLI, 'record', ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot, env: { ...process.env, ...env } });
  return { child, done: collect(child, timeoutMs) };
}

export function summaryOf(stderr: string): { sent: number; windows: number; failed: number; left: number; dropped: number } {
  const m = /sent (\d+) profiles .* of (\d+) windows .*; (\d+) failed attempts; (\d+) left in the spool.*; dropped (\d+)/.exec(stderr);
  assert.ok(m, `no summary line in:\n${stderr}`);
  return { sent: +m[1], windows: +m[2], failed: +m[3], left: +m[4], dropped: +m[5] };
}

/** Share of HOT_A's line among all samples of the stored profiles (cpu nanoseconds). */
export function lineShare(s: StrictPyroscopeServer, marker: number): number {
  let hot = 0;
  let all = 0;
  for (const p of s.profiles) {
    const st = p.profile.stringTable.strings;
    const lines = new Map(p.profile.location.map((l) => [Number(l.id), Number(l.line[0].line)]));
    for (const smp of p.profile.sample) {
      const v = Number(smp.value[1]);
      all += v;
      if (lines.get(Number(smp.locationId[0])) === marker) hot += v;
    }
    assert.ok(st.includes(fixture('split_cpu.py')), 'frames carry the script path');
  }
  return hot / all;
}

export function markerLine(marker: string): number {
  return fs.readFileSync(fixture('split_cpu.py'), 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
}
