// Shared by the Pyroscope agent's integration tests (cli-pyroscope*.test.ts): a strict stand-in
// server per test, the agent run as the built CLI, its summary line read back, and the ground
// truth of split_cpu.py's hot lines in what the server stored.
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { spawn } from 'child_process';
import { fixture, repoRoot } from '../helpers';
import { collect, CLI } from './cli-support';
import { Behaviour, goPprofRaw, StoredProfile, StrictPyroscopeServer } from '../pyroscopeServer';
import type { CliResult } from './cli-support';

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

export function summaryOf(stderr: string): { sent: number; windows: number; empty: number; failed: number; left: number; dropped: number } {
  const m = /sent (\d+) profiles .* of (\d+) windows( \((\d+) with no samples, not sent\))? .*; (\d+) failed attempts; (\d+) left in the spool.*; dropped (\d+)/.exec(stderr);
  assert.ok(m, `no summary line in:\n${stderr}`);
  return { sent: +m[1], windows: +m[2], empty: +(m[4] ?? 0), failed: +m[5], left: +m[6], dropped: +m[7] };
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

/**
 * Once the agent is sending (its start-up takes seconds on a loaded machine), the server fails one
 * way for 2.5 s (and at least two refused attempts for a status), then recovers.
 */
export async function failThenRecover(s: StrictPyroscopeServer, failure: Behaviour | 'down'): Promise<void> {
  await waitFor(() => s.profiles.length > 0, 30000, 'the first profile');
  if (failure === 'down') {
    await s.downFor(2500);
    return;
  }
  s.behaviour = failure;
  await new Promise((r) => setTimeout(r, 2500));
  if (failure.kind === 'status') await waitFor(() => s.requests.filter((q) => q.status === failure.status).length >= 2, 10000, 'two refused attempts');
  s.behaviour = { kind: 'ok' };
}

/** After failures and a recovery: reported, every window sent once, nothing dropped or left in the spool. */
export function assertNothingLost(s: StrictPyroscopeServer, r: CliResult, spool: string, scenario: string): void {
  assert.equal(r.code, 0, r.stderr);
  const sum = summaryOf(r.stderr);
  assert.match(r.stderr, /cannot send to/, `${scenario}: the failure is reported`);
  assert.ok(sum.failed > 0, `${scenario}: ${r.stderr}`);
  assert.equal(sum.dropped, 0, `${scenario}: ${r.stderr}`);
  assert.equal(sum.left, 0, `${scenario}: ${r.stderr}`);
  assertEachWindowStored(s, sum, scenario);
  // a window in which nothing ran (a loaded machine can starve the program for 0.5 s) has nothing to send
  assert.equal(sum.sent, sum.windows - sum.empty, `${scenario}: ${sum.sent} of ${sum.windows} windows sent, ${sum.empty} empty`);
  assert.deepEqual(s.violations, []);
  assert.deepEqual(fs.readdirSync(spool), [], `${scenario}: spool emptied`);
}

/**
 * Every window the agent counts as sent is stored; a window is stored twice only when an attempt
 * at it failed after the server had stored it (an answer lost or too late on a loaded machine:
 * delivery is at least once), so repeats are at most the failed attempts. A window is known by its
 * body (the gzip'd pprof holds the window's own start time) and, through Connect, by its ID, which
 * a repeat must carry again.
 */
export function assertEachWindowStored(s: StrictPyroscopeServer, sum: { sent: number; failed: number }, scenario: string): void {
  const windows = new Set(s.profiles.map((p) => p.body.toString('base64')));
  assert.equal(windows.size, sum.sent, `${scenario}: every window sent is stored`);
  const repeats = s.profiles.length - windows.size;
  assert.ok(repeats <= sum.failed, `${scenario}: ${repeats} windows stored twice, more than the ${sum.failed} failed attempts`);
  const pushed = s.profiles.filter((p) => p.api === 'connect');
  if (pushed.length > 0) {
    assert.equal(new Set(pushed.map((p) => p.id)).size, new Set(pushed.map((p) => p.body.toString('base64'))).size, `${scenario}: one ID per window`);
    assert.equal(s.repeatedIds.length, pushed.length - new Set(pushed.map((p) => p.id)).size, `${scenario}: each repeat carries its window's ID`);
  }
  if (repeats > 0) process.stderr.write(`# ${scenario}: ${repeats} windows stored twice after a late or lost answer\n`);
}

/**
 * The stored profiles' HOT_A : HOT_B split against the program's own CPU-time split (its SPLIT
 * line), within 0.1; returns the truth (share of cpu_share_a). Also checks `go tool pprof` reads
 * the first stored body (skipped, and said, without Go).
 */
export function assertSplitMatchesTruth(s: StrictPyroscopeServer, stdout: string): number {
  const split = /SPLIT a=([\d.]+) b=([\d.]+)/.exec(stdout);
  assert.ok(split, stdout);
  const truth = +split[1] / (+split[1] + +split[2]);
  const hotA = lineShare(s, markerLine('HOT_A'));
  const hotB = lineShare(s, markerLine('HOT_B'));
  assert.ok(Math.abs(hotA / (hotA + hotB) - truth) < 0.1, `HOT_A ${hotA.toFixed(3)} vs ${truth.toFixed(3)}`);
  const go = goPprofRaw(s.profiles[0].body);
  if (go) {
    assert.equal(go.status, 0, go.stderr);
    assert.match(go.stdout, /cpu\/nanoseconds/);
    assert.match(go.stdout, /cpu_share_a/);
  } else process.stderr.write('# go not installed: the go tool pprof check was skipped\n');
  return truth;
}

/**
 * The server stores the first profile and cuts the connection before answering (a lost response);
 * the agent, seeing no answer, sends that window again. Returns the run's result and the two
 * stored copies of the window (the real server, like this one, stores a repeat).
 */
export async function lostResponseRun(s: StrictPyroscopeServer, api: 'ingest' | 'connect', spool: string): Promise<{ r: CliResult; copies: StoredProfile[] }> {
  s.loseResponses = 1;
  const r = await agent(['--pyroscope', s.url, '--pyroscope-api', api, '--app', `lost-${api}`, '--upload-interval', '0.5', '--spool-dir', spool, '--', PYTHON, fixture('split_cpu.py'), '2.5']).done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(s.loseResponses, 0, 'a response was lost');
  assert.deepEqual(s.violations, []);
  const sum = summaryOf(r.stderr);
  assert.ok(sum.failed >= 1, `the lost answer is a failed attempt: ${r.stderr}`);
  assert.equal(sum.dropped, 0);
  assert.equal(sum.left, 0);
  assert.equal(s.profiles.length, sum.sent + 1, 'every window stored once, the one whose answer was lost twice');
  const first = s.profiles[0];
  const copies = s.profiles.filter((p) => p.body.equals(first.body));
  assert.equal(copies.length, 2, 'the retried window is the stored one, byte for byte');
  return { r, copies };
}
