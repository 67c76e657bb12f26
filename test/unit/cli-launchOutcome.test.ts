// `record` says a launched command "failed before running any of its code" when every sampled
// stack starts in interpreter start-up (src/cli/launchOutcome.ts): site, frozen importlib,
// encodings, on 2.7 as on 3.x. A mistyped script name on 2.7 was sampled inside site.py's import
// of sysconfig and showed a table of start-up (CI run 22).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProfileBuilder, StackEntry } from '../../src/profile/model';
import { ranProgramCode } from '../../src/cli/launchOutcome';

const frame = (file: string, name = '<module>'): StackEntry => ({ name, file, firstLine: 1, line: 1 });
function profileOf(...stacks: StackEntry[][]) {
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples' });
  const thread = b.internThread(1, 'MainThread');
  for (const s of stacks) b.addSample(thread, b.internStack(s));
  return b.profile;
}

test('start-up only: 2.7 site.py importing sysconfig, 3.x frozen importlib and encodings', () => {
  const lib27 = '/root/.pyenv/versions/2.7.18/lib/python2.7';
  assert.equal(ranProgramCode(profileOf([frame(`${lib27}/site.py`), frame(`${lib27}/site.py`, 'main'), frame(`${lib27}/sysconfig.py`, '_extend_dict')])), false);
  assert.equal(ranProgramCode(profileOf([frame('<frozen importlib._bootstrap>')], [frame('/usr/lib/python3.11/encodings/__init__.py')], [frame('/opt/py/lib/python3.13t/site.py')])), false);
});

test('program code: a script, -c code, or a module run by runpy', () => {
  const lib27 = '/root/.pyenv/versions/2.7.18/lib/python2.7';
  assert.equal(ranProgramCode(profileOf([frame(`${lib27}/site.py`)], [frame('/home/u/app.py'), frame(`${lib27}/os.py`, 'walk')])), true);
  assert.equal(ranProgramCode(profileOf([frame('<string>')])), true);
  assert.equal(ranProgramCode(profileOf([frame('/usr/lib/python3.11/runpy.py', '_run_module_as_main')])), true);
});
