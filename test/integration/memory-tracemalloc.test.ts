// record --memory=tracemalloc: exact Python-allocator bytes land on the allocating line, on the
// oldest and newest installed CPython, and the program behaves as under plain `python script.py`
// (its output, its exit code, its traceback).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { importProfile } from '../../src/profile/formats';
import { memoryStats } from '../../src/profile/memoryStats';
import { atLeast, fixture, oldAndNewestInterpreters, repoRoot, supportedInterpreters, tmpDir } from '../helpers';
import { collect, spawnCli, waitFor } from './cli-support';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const MB = 1 << 20;

function lineOf(file: string, marker: string): number {
  return fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
}

// tracemalloc is 3.4+: the old versions that have it and the newest
const targets = oldAndNewestInterpreters((i) => atLeast(i, 3, 4));
if (targets.length === 0) test('tracemalloc memory mode', (t) => t.skip('no supported CPython installed'));

for (const py of supportedInterpreters().filter((i) => !atLeast(i, 3, 4))) {
  test(`--memory=tracemalloc on ${py.label} (no tracemalloc) is refused with the reason`, () => {
    const r = spawnSync(process.execPath, [cli, 'record', '--memory=tracemalloc', '-o', '/dev/null', '--', py.path, fixture('memory_known.py')], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^pyprof record: --memory=tracemalloc needs Python 3\\.4 or newer .* is Python ${py.minor.replace('.', '\\.')}, which has no tracemalloc: use --memory \\(RSS`));
    assert.doesNotMatch(r.stdout, /READY/, 'the program is not started');
  });
}

for (const py of targets) {
  test(`tracemalloc mode attributes a known allocation to its line (${py.label})`, () => {
    const dir = tmpDir();
    try {
      const out = path.join(dir, 'tm.speedscope.json');
      const script = fixture('memory_known.py');
      const r = spawnSync(process.execPath, [cli, 'record', '--memory=tracemalloc', '-q', '-o', out, '--', py.path, script], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'READY\n', 'the program prints what it prints under plain python');
      const p = importProfile(fs.readFileSync(out), out);
      const stats = memoryStats(p);
      const grow = stats.lines.get(script)?.get(lineOf(script, 'GROW_LINE'));
      // 200 bytes objects of 1 MiB (+ 33 bytes of header each): exact, whatever the machine's load
      assert.ok(grow, `GROW_LINE has memory; lines: ${JSON.stringify([...(stats.lines.get(script) ?? [])])}`);
      assert.ok(grow.selfAlloc >= 199 * MB && grow.selfAlloc <= 202 * MB, `GROW_LINE allocated ${grow.selfAlloc / MB} MB`);
      // tracemalloc charges a release to the allocating line: all of it comes back there
      assert.ok(grow.selfFreed >= 199 * MB && grow.selfFreed <= 202 * MB, `GROW_LINE freed ${grow.selfFreed / MB} MB`);
      assert.ok(stats.allocated < 230 * MB, `little else is charged: ${stats.allocated / MB} MB in all`);
      // the line belongs to `grow`, called from the module: names come from the sampled stacks
      const growFn = p.frames.findIndex((f) => f.file === script && f.name === 'grow');
      assert.ok(growFn >= 0 && stats.functions[growFn].totalAlloc >= 199 * MB, 'grow() carries the allocation');
      // no bootstrap or runpy frame in any stack, and no snapshot thread
      for (const f of p.frames) assert.ok(!/pyprof_tracemalloc_bootstrap|runpy|pyprof-tracemalloc/.test(f.file), `unexpected frame ${f.name} ${f.file}`);
      assert.ok(!p.threads.some((t) => t.name === 'pyprof-tracemalloc'), 'snapshot thread hidden');
      assert.equal(p.meta.command, `${py.path} ${script}`);
      assert.ok(p.memory && p.memory.length > 0, 'RSS timeline recorded');
      assert.ok(Math.max(...p.memory.map((m) => m.rssBytes)) >= 150 * MB, 'RSS timeline saw the growth');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`tracemalloc mode leaves the program's output, exit code and traceback as they are (${py.label})`, () => {
    const dir = tmpDir();
    try {
      const script = path.join(dir, 'exits.py');
      fs.writeFileSync(
        script,
        [
          'import sys, time',
          'time.sleep(0.5)  # a program that ends within a few ms can end before any sampler attaches',
          'print("argv", sys.argv[1:], __name__, sys.path[0] == __import__("os").path.dirname(__file__) or sys.path[0])',
          'print("to stderr", file=sys.stderr)',
          'data = [bytes(1000) for _ in range(1000)]',
          'if sys.argv[1] == "raise":',
          '    raise ValueError("boom")',
          'sys.exit(int(sys.argv[1]))',
          '',
        ].join('\n'),
      );
      for (const arg of ['3', 'raise']) {
        const plain = spawnSync(py.path, [script, arg], { encoding: 'utf8', cwd: dir });
        const out = path.join(dir, `p${arg}.json`);
        const r = spawnSync(process.execPath, [cli, 'record', '--memory=tracemalloc', '-o', out, '--', py.path, script, arg], { encoding: 'utf8', cwd: dir });
        assert.equal(r.status, plain.status, `record exits with the program's own status: ${r.stderr}`);
        assert.equal(r.stdout, plain.stdout, 'stdout identical');
        const code = plain.status;
        assert.ok(r.stderr.includes(`(exit code ${code})`), `program's exit code ${code} reported: ${r.stderr}`);
        // the program's stderr (and traceback) as plain python writes it, before pyprof's own lines
        assert.equal(r.stderr.slice(0, plain.stderr.length), plain.stderr, 'stderr and traceback identical');
        const p = importProfile(fs.readFileSync(out), out);
        const stats = memoryStats(p);
        const line = stats.lines.get(script)?.get(5);
        assert.ok(line && line.selfAlloc >= 1000 * 1000, `line 5 allocated ${line?.selfAlloc}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('--memory=tracemalloc refuses to attach, with a reason', () => {
  const r = spawnSync(process.execPath, [cli, 'record', '--memory=tracemalloc', '--pid', String(process.pid)], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot attach.*--memory \(RSS/);
  const bad = spawnSync(process.execPath, [cli, 'record', '--memory=heap', '--', 'python3', 'x.py'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--memory' must be one of rss, tracemalloc/);
});

// A program killed mid-run never writes its exit snapshot: the periodic ones already written are
// kept, with the samples, and the note says how the program ended.
test('tracemalloc mode keeps the snapshots taken before the program is killed', { skip: targets.length ? false : 'no supported CPython installed' }, async () => {
  const py = targets[targets.length - 1];
  const dir = tmpDir();
  const child = spawnCli(['record', '--memory=tracemalloc', '-o', path.join(dir, 'killed.json'), '--', py.path, fixture('memory_known.py')]);
  try {
    const done = collect(child, 120_000);
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    await waitFor(() => stdout.includes('READY'), 30_000, 'the program to start');
    await new Promise((r) => setTimeout(r, 1500)); // spin(0.3), then grow() allocates for seconds
    const pythons = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1] === String(child.pid);
      } catch {
        return false; // exited meanwhile
      }
    });
    assert.equal(pythons.length, 1, `one launched program under the recorder: ${pythons}`);
    process.kill(Number(pythons[0]), 'SIGKILL');
    const r = await done;
    assert.equal(r.code, 128 + 9, `record exits as the killed program did (128 + SIGKILL): ${r.stderr}`);
    assert.match(r.stderr, /killed by SIGKILL/);
    assert.match(r.stderr, /memory \(tracemalloc\): [\d.]+ MB allocated .*\(\d+ snapshots/);
    const out = path.join(dir, 'killed.json');
    const p = importProfile(fs.readFileSync(out), out);
    const script = fixture('memory_known.py');
    const grow = memoryStats(p).lines.get(script)?.get(lineOf(script, 'GROW_LINE'));
    assert.ok(grow && grow.selfAlloc >= 4 * MB, `GROW_LINE allocated ${grow?.selfAlloc} bytes before the kill`);
    assert.ok(p.samples.some((s) => s.weight > 0), 'time samples kept');
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// tracemalloc starts from a sitecustomize on PYTHONPATH; the program must not be able to tell:
// its own sitecustomize still runs, sys.path / PYTHONPATH / the environment are as given, the
// processes it starts are not traced, and -m and interpreter options work as under plain python.
for (const py of targets) {
  test(`tracemalloc mode leaves the program's environment as it is (${py.label})`, () => {
    const dir = tmpDir();
    try {
      const userPath = path.join(dir, 'userpath');
      fs.mkdirSync(userPath);
      fs.writeFileSync(path.join(userPath, 'sitecustomize.py'), 'import builtins\nbuiltins.USER_SITECUSTOMIZE = __file__\n');
      fs.writeFileSync(
        path.join(userPath, 'envcheck.py'),
        [
          'import builtins, json, os, subprocess, sys, tracemalloc',
          'child = subprocess.check_output([sys.executable, "-c", "import tracemalloc; print(tracemalloc.is_tracing())"], universal_newlines=True).strip()',
          'blob = [bytes(1000) for _ in range(2000)]  # BLOB_LINE',
          'print(json.dumps({"user_sc": getattr(builtins, "USER_SITECUSTOMIZE", None), "path": sys.path, "pythonpath": os.environ.get("PYTHONPATH"),',
          '  "settings": "PYPROF_TRACEMALLOC" in os.environ, "tracing": tracemalloc.is_tracing(), "child_tracing": child, "dev": getattr(sys.flags, "dev_mode", "no -X dev before 3.7"), "name": __name__}))',
          '',
        ].join('\n'),
      );
      const env = { ...process.env, PYTHONPATH: userPath };
      const args = [py.path, '-X', 'dev', '-m', 'envcheck'];
      const plain = spawnSync(args[0], args.slice(1), { encoding: 'utf8', cwd: dir, env });
      assert.equal(plain.status, 0, plain.stderr);
      const out = path.join(dir, 'env.json');
      const r = spawnSync(process.execPath, [cli, 'record', '--memory=tracemalloc', '-q', '-o', out, '--', ...args], { encoding: 'utf8', cwd: dir, env });
      assert.equal(r.status, 0, r.stderr);
      const seen = JSON.parse(r.stdout);
      const expected = JSON.parse(plain.stdout);
      assert.equal(seen.user_sc, path.join(userPath, 'sitecustomize.py'), "the program's own sitecustomize ran");
      assert.deepEqual(seen.path, expected.path, 'sys.path as under plain python');
      assert.equal(seen.pythonpath, userPath, 'PYTHONPATH as given');
      assert.equal(seen.settings, false, "pyprof's variable is not in the program's environment");
      assert.equal(seen.tracing, true);
      assert.equal(seen.child_tracing, 'False', 'a process the program starts is not traced');
      assert.equal(seen.dev, expected.dev, 'interpreter options apply as under plain python');
      if (atLeast(py, 3, 7)) assert.equal(seen.dev, true, '-X dev');
      assert.equal(seen.name, '__main__');
      const p = importProfile(fs.readFileSync(out), out);
      const script = path.join(userPath, 'envcheck.py');
      const blob = memoryStats(p).lines.get(script)?.get(lineOf(script, 'BLOB_LINE'));
      assert.ok(blob && blob.selfAlloc >= 2000 * 1000, `BLOB_LINE allocated ${blob?.selfAlloc}; files ${[...memoryStats(p).lines.keys()]}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('--memory=tracemalloc refuses interpreter options that would skip its sitecustomize', () => {
  for (const opt of ['-I', '-E', '-S', '-BS']) {
    const r = spawnSync(process.execPath, [cli, 'record', '--memory=tracemalloc', '--', 'python3', opt, 'x.py'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`'${opt}' turns off`));
  }
});

test('--memory-frames 1 keeps just the allocating line: same bytes on it, one-frame stacks', { skip: targets.length ? false : 'no supported CPython installed' }, () => {
  const py = targets[targets.length - 1];
  const dir = tmpDir();
  try {
    const out = path.join(dir, 'one.json');
    const script = fixture('memory_known.py');
    const r = spawnSync(process.execPath, [cli, 'record', '--memory=tracemalloc', '--memory-frames', '1', '-q', '-o', out, '--', py.path, script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const p = importProfile(fs.readFileSync(out), out);
    const grow = memoryStats(p).lines.get(script)?.get(lineOf(script, 'GROW_LINE'));
    assert.ok(grow && grow.selfAlloc >= 199 * MB && grow.selfAlloc <= 202 * MB, `GROW_LINE allocated ${grow?.selfAlloc}`);
    const memSamples = p.samples.filter((s) => (s.allocBytes ?? 0) > 0 || (s.freedBytes ?? 0) > 0);
    assert.ok(memSamples.length > 0);
    for (const s of memSamples) assert.equal(p.nodes[s.node].parent, -1, 'one frame per allocation stack');
    assert.ok(p.samples.some((s) => s.weight > 0 && p.nodes[s.node].parent >= 0), 'time samples keep their whole stacks');
    const bad = spawnSync(process.execPath, [cli, 'record', '--memory', '--memory-frames', '1', '--', py.path, script], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--memory-frames .* goes with --memory=tracemalloc/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
