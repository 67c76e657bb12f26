// The launch.json field "native": true reaches the recorder: the pyprof debug adapter
// (dist/debugAdapter.js, driven over DAP) launches a real CPython running a C extension compiled
// here, zlib and (Debian's python3 with python3-numpy) a BLAS product, and the profile it writes
// has each native function above the Python line that called it. The same launch without the
// field has no native frame, so the field, not a default, is what turns them on.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, repoRoot, tmpDir } from '../helpers';
import { markerLine, versionCases } from './cli-support';
import { buildExtension, hasNumpy, noCc, noLibunwind, samplesUnder } from './native-support';

const ADAPTER = path.join(repoRoot, 'dist', 'debugAdapter.js');
const SCRIPT = fixture('native/native_work.py');
const line = (marker: string) => markerLine('native/native_work.py', marker);

/** Debian's python3 when it has numpy (BLAS frames too), else the newest installed CPython. */
function pickInterpreter() {
  const installed = versionCases().filter((c) => c.interp).map((c) => c.interp!);
  return installed.find((i) => i.label.includes('debian') && hasNumpy(i)) ?? installed[installed.length - 1];
}

/** Launches native_work.py through the adapter for `seconds`; the collapsed profile's text. */
async function launchProfile(python: string, extDir: string, parts: string, native: boolean | undefined): Promise<{ text: string; samples: number }> {
  const dir = tmpDir();
  const output = path.join(dir, 'native.txt');
  const dc = new DebugClient(process.execPath, ADAPTER, 'pyprof', undefined, true);
  dc.defaultTimeout = 30000;
  await dc.start();
  try {
    const ready = dc.waitForEvent('pyprofProfileReady', 90000);
    const terminated = dc.waitForEvent('terminated', 90000);
    const config = { program: SCRIPT, args: [extDir, parts, '4'], python, console: 'internalConsole', rate: 100, format: 'collapsed', output, cwd: dir, ...(native === undefined ? {} : { native }) };
    await Promise.all([dc.configurationSequence(), dc.launch(config)]);
    const ev = (await ready) as DebugProtocol.Event;
    await terminated;
    assert.equal(ev.body.output, output);
    return { text: fs.readFileSync(output, 'utf8'), samples: ev.body.samples };
  } finally {
    await dc.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a launch configuration with "native": true records C frames under the Python lines that called them', { skip: noLibunwind ?? noCc }, async (t) => {
  if (!fs.existsSync(ADAPTER)) return t.skip('dist/debugAdapter.js missing: run npm run build');
  const interp = pickInterpreter();
  if (!interp) return t.skip('no supported CPython installed');
  const ext = buildExtension(interp);
  if (typeof ext === 'string') return t.skip(ext);
  try {
    const numpy = hasNumpy(interp);
    if (!numpy) t.diagnostic(`${interp.label} has no numpy: the BLAS part is left out`);
    const parts = ['ext', 'zlib', ...(numpy ? ['numpy'] : [])].join(',');
    const withNative = await launchProfile(interp.path, ext.dir, parts, true);
    assert.ok(withNative.samples > 10, `samples: ${withNative.samples}`);
    const expected: Array<[string, string, RegExp]> = [
      ['c_extension', 'MARK-EXT', /^spin_inner \(.*spinmod.* \[native\]\)$/],
      ['compression', 'MARK-ZLIB', /^deflate \(.*libz\.so.* \[native\]\)$/],
    ];
    // Debian's numpy calls libblas.so.3's cblas_dgemm; a pip wheel's OpenBLAS kernels stop the unwind inside the library
    if (numpy) expected.push(['matmul', 'MARK-NUMPY', interp.label.includes('debian') ? /^cblas_dgemm \(.*blas.* \[native\]\)$/ : /^\S+ \(.*blas.*\.so[^ ]* \[native\]\)$/]);
    for (const [fn, marker, native] of expected) {
      const python = `${fn} (${SCRIPT}:${line(marker)})`;
      assert.ok(samplesUnder(withNative.text, python, native) > 0, `no sample has ${native} above ${python}:\n${withNative.text.split('\n').filter((l) => l.includes(`${fn} (`)).slice(0, 8).join('\n')}`);
    }

    const without = await launchProfile(interp.path, ext.dir, 'ext', undefined);
    assert.ok(without.samples > 10, `samples: ${without.samples}`);
    assert.ok(!without.text.includes('[native]'), `a launch without "native" has native frames:\n${without.text.slice(0, 2000)}`);
    assert.ok(/c_extension \(/.test(without.text), 'the launch without "native" still profiled the program');
  } finally {
    fs.rmSync(ext.dir, { recursive: true, force: true });
  }
});
