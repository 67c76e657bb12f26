// Sampler timing against a real interpreter: the timer slack is at its minimum while sampling
// (and restored after), and every duration a profile shows comes from the measured rate — also
// when the asked rate (here 1,000,000 Hz) cannot be delivered, which is warned about.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { attach } from '../../src/engine';
import { Sampler } from '../../src/engine/sampler';
import { fixture, killQuietly, startFixture, supportedInterpreters, tmpDir } from '../helpers';
import { runCli } from './cli-support';

const python = supportedInterpreters().at(-1);
const slackFile = '/proc/self/timerslack_ns'; // the main thread's: Sampler.run() runs on it here

test('timer slack is 1 ns while sampling and restored afterwards', { skip: python ? undefined : 'no CPython 3.8+ installed' }, async () => {
  const target = await startFixture(python!.path, fixture('split_cpu.py'), ['30', '0.7']);
  const before = fs.readFileSync(slackFile, 'utf8').trim();
  const proc = attach(target.pid!);
  try {
    const seen = new Set<string>();
    const sampler = new Sampler(proc, { rate: 200, duration: 0.3, gil: false, idle: true, subprocesses: false, blocking: false }, {
      onSnapshot: () => seen.add(fs.readFileSync(slackFile, 'utf8').trim()),
    });
    await sampler.run();
    sampler.close();
    // 1 ns as set; 0 while the thread runs at real-time priority (the kernel gives RT threads none)
    assert.ok([...seen].length > 0 && [...seen].every((v) => Number(v) <= 1), `the sampling thread wakes with no timer slack: ${[...seen]}`);
    assert.equal(fs.readFileSync(slackFile, 'utf8').trim(), before, 'slack restored after the run');
  } finally {
    killQuietly(target);
  }
});

test('--rate 1000000: warned, and durations (speedscope, pprof period, table) come from the achieved rate', { skip: python ? undefined : 'no CPython 3.8+ installed' }, async () => {
  const dir = tmpDir();
  const target = await startFixture(python!.path, fixture('split_cpu.py'), ['60', '0.7']);
  try {
    const out = path.join(dir, 'fast.speedscope.json');
    const r = await runCli(['record', '--pid', String(target.pid), '--rate', '1000000', '--duration', '1.5', '--idle', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: --rate 1000000 is above the 10,000 Hz measured to be sustainable/);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    const meta = doc.pyprof.meta;
    assert.equal(meta.requestedRateHz, 1000000);
    const measured = meta.sampleCount / (meta.durationMs / 1000);
    assert.ok(Math.abs(meta.rateHz - measured) / measured < 0.05, `rateHz ${meta.rateHz} vs ${meta.sampleCount} samples in ${meta.durationMs} ms`);
    assert.ok(meta.notes.some((n: string) => /achieved of 1,000,000 Hz asked .*Why: /.test(n)), meta.notes.join('\n'));
    assert.match(r.stderr, /note: sampling rate .* achieved of 1,000,000 Hz asked/);
    // One always-running thread sampled with --idle: its time axis spans the recording, not
    // samples / asked rate (which would be ~1000x short).
    const thread = doc.profiles[0];
    assert.equal(thread.unit, 'milliseconds');
    const span = thread.endValue - thread.startValue;
    assert.ok(Math.abs(span - meta.durationMs) / meta.durationMs < 0.1, `speedscope span ${span} ms vs recording ${meta.durationMs} ms`);
    const table = /OwnTime[^\n]*\n\s*[\d.]+%\s+[\d.]+%\s+([\d.]+)s\s+([\d.]+)s/.exec(r.stderr);
    assert.ok(table, r.stderr);
    assert.ok(Number(table[2]) > 0.5 * (meta.durationMs / 1000), `top row TotalTime ${table[2]} s in a ${meta.durationMs} ms recording`);
  } finally {
    killQuietly(target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
