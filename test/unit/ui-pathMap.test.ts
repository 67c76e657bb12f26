import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  applyMappings,
  buildPathTable,
  expandMappings,
  isPseudoPath,
  mapProfilePath,
  suffixMatch,
  WorkspaceIndex,
} from '../../src/profile/pathMap';

const ws = ['/home/me/proj/app/main.py', '/home/me/proj/app/util.py', '/home/me/proj/lib/util.py', '/home/me/proj/tests/test_main.py'];
const existsIn = (files: string[]) => (p: string) => files.includes(p);

test('exact path wins when it exists locally', () => {
  assert.equal(mapProfilePath('/home/me/proj/app/main.py', { exists: existsIn(ws), workspaceFiles: ws }), '/home/me/proj/app/main.py');
});

test('pseudo paths never map', () => {
  assert.equal(isPseudoPath('<frozen importlib._bootstrap>'), true);
  assert.equal(isPseudoPath('<string>'), true);
  assert.equal(isPseudoPath('/a.py'), false);
  assert.equal(mapProfilePath('<string>', { workspaceFiles: ws }), undefined);
});

test('mappings rewrite whole-segment prefixes, longest first', () => {
  const m = [
    { from: '/srv', to: '/wrong' },
    { from: '/srv/app/', to: '/home/me/proj/app' },
  ];
  assert.equal(applyMappings('/srv/app/main.py', m), '/home/me/proj/app/main.py');
  assert.equal(applyMappings('/srv/other.py', m), '/wrong/other.py');
  assert.equal(applyMappings('/srvx/a.py', m), undefined, 'no partial-segment prefix');
  assert.equal(mapProfilePath('/srv/app/util.py', { mappings: m, exists: existsIn(ws), workspaceFiles: ws }), '/home/me/proj/app/util.py');
});

test('a mapping to a missing file falls back to suffix matching', () => {
  const m = [{ from: '/srv', to: '/nowhere' }];
  assert.equal(mapProfilePath('/srv/app/util.py', { mappings: m, exists: existsIn(ws), workspaceFiles: ws }), '/home/me/proj/app/util.py');
});

test('suffix match prefers the longest common tail', () => {
  assert.equal(suffixMatch('/container/code/app/util.py', ws), '/home/me/proj/app/util.py');
  assert.equal(suffixMatch('/container/code/lib/util.py', ws), '/home/me/proj/lib/util.py');
  assert.equal(suffixMatch('C:\\code\\lib\\util.py', new WorkspaceIndex(ws)), '/home/me/proj/lib/util.py');
  assert.equal(suffixMatch('/x/missing.py', ws), undefined);
  // file name must match as a whole segment
  assert.equal(suffixMatch('/x/il.py', ws), undefined);
});

test('suffix ties are broken deterministically by the shorter path', () => {
  const files = ['/w/b/deep/x.py', '/w/a/x.py'];
  assert.equal(suffixMatch('/other/x.py', files), '/w/a/x.py');
});

test('path table maps both directions once', () => {
  const t = buildPathTable(['/srv/app/main.py', '/box/app/main.py', '<string>', '/nope/zzz.py'], {
    exists: existsIn(ws),
    workspaceFiles: ws,
  });
  assert.equal(t.toLocal.get('/srv/app/main.py'), '/home/me/proj/app/main.py');
  assert.deepEqual(t.toProfile.get('/home/me/proj/app/main.py'), ['/srv/app/main.py', '/box/app/main.py']);
  assert.equal(t.toLocal.has('<string>'), false);
  assert.equal(t.toLocal.has('/nope/zzz.py'), false);
});

test('expandMappings substitutes workspaceFolder and drops malformed entries', () => {
  const m = expandMappings([{ from: '/app', to: '${workspaceFolder}/src' }, { from: 3 } as never], { workspaceFolder: '/w' });
  assert.deepEqual(m, [{ from: '/app', to: '/w/src' }]);
});
