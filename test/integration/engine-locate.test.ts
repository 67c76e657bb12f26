// Finding the interpreter in real processes: the exact version (micro included) on every installed
// CPython, and the fallbacks for binaries without symbols: the xdebugpy cookie scan on 3.13+, the
// .PyRuntime section on 3.10+, and the interpreter's own version string on ≤3.10.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { locate, versionFromString } from '../../src/engine/locate';
import { RemoteMemory } from '../../src/engine/native/memory';
import { ElfFile } from '../../src/engine/proc/elf';
import { readMaps } from '../../src/engine/proc/maps';
import { killQuietly, startFixture, supportedInterpreters, fixture } from '../helpers';

for (const py of supportedInterpreters()) {
  const minor = Number(py.minor.split('.')[1]);
  test(`locating ${py.label}: exact version and every fallback that applies`, async () => {
    const child = await startFixture(py.path, fixture('torn_recursion.py'));
    try {
      const pid = child.pid!;
      const mem = new RemoteMemory(pid);
      const found = locate(pid, mem);
      assert.equal(found.version, py.version, 'version with micro');
      assert.deepEqual(found.versionTuple, [3, minor]);

      // the interpreter's own version string, found without symbols (scan of .bss/.data)
      const elf = ElfFile.open(found.module === found.executable ? `/proc/${pid}/exe` : found.module);
      try {
        const bias = elf.loadBias(readMaps(pid).filter((m) => m.path === found.module));
        assert.deepEqual(versionFromString(mem, elf, bias, { symbols: false })?.join('.'), py.version);
      } finally {
        elf.close();
      }

      if (minor >= 10) {
        // no symbols: the .PyRuntime section (3.10+)
        const bySection = locate(pid, mem, { symbols: false });
        assert.equal(bySection.runtime, found.runtime, '.PyRuntime section');
      }
      if (minor >= 13) {
        // neither symbols nor section: the _Py_DebugOffsets cookie
        const byCookie = locate(pid, mem, { symbols: false, sections: false });
        assert.equal(byCookie.runtime, found.runtime, 'xdebugpy scan');
        assert.equal(byCookie.version, py.version);
      }
    } finally {
      killQuietly(child);
    }
  });
}
