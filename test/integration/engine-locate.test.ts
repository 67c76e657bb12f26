// Finding the interpreter in real processes: the exact version (micro included) on every installed
// CPython, and the fallbacks for binaries without symbols: the xdebugpy cookie scan on 3.13+, the
// .PyRuntime section on 3.10+, the interpreter's own version string on ≤3.10, and on 2.7/3.6 (no
// _PyRuntime) a scan of static data for the interpreter list's head.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { locate, versionFromString } from '../../src/engine/locate';
import { RemoteMemory } from '../../src/engine/native/memory';
import { ElfFile } from '../../src/engine/proc/elf';
import { readMaps } from '../../src/engine/proc/maps';
import { killQuietly, startFixture, supportedInterpreters, fixture } from '../helpers';

for (const py of supportedInterpreters()) {
  const [major, minor] = py.minor.split('.').map(Number);
  test(`locating ${py.label}: exact version and every fallback that applies`, async () => {
    const child = await startFixture(py.path, fixture('torn_recursion.py'));
    try {
      const pid = child.pid!;
      const mem = new RemoteMemory(pid);
      const found = locate(pid, mem);
      assert.equal(found.version, py.version, 'version with micro');
      assert.deepEqual(found.versionTuple, [major, minor]);

      // the interpreter's own version string, found without symbols (scan of .bss/.data)
      const elf = ElfFile.open(found.module === found.executable ? `/proc/${pid}/exe` : found.module);
      try {
        const bias = elf.loadBias(readMaps(pid).filter((m) => m.path === found.module));
        assert.deepEqual(versionFromString(mem, elf, bias, { symbols: false })?.join('.'), py.version);
      } finally {
        elf.close();
      }

      if (major === 2 || minor <= 6) {
        // no symbols: a static pointer to the interpreter, confirmed by its thread's back-pointer
        const byScan = locate(pid, mem, { symbols: false });
        const head = (l: typeof found) => mem.u64(l.runtime + l.layout.runtime.interpretersHead);
        assert.equal(head(byScan), head(found), 'the main interpreter from the static-data scan');
        assert.equal(found.layout.runtime.gilLastHolder !== undefined, true, '_PyThreadState_Current by symbol');
      }
      if (major === 3 && minor >= 10) {
        // no symbols: the .PyRuntime section (3.10+)
        const bySection = locate(pid, mem, { symbols: false });
        assert.equal(bySection.runtime, found.runtime, '.PyRuntime section');
      }
      if (major === 3 && minor >= 13) {
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
