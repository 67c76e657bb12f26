// What the language server says: hover Markdown (line numbers, callers, callees, links), inlay
// labels and their threshold, diagnostic wording.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildPathTable } from '../../src/profile/pathMap';
import { buildFileTables } from '../../src/server/fileTables';
import { HoverContext, diagnosticMessage, frameLabel, functionHover, inlayLabel, lineHover } from '../../src/server/hoverText';
import { buildProfileIndex } from '../../src/server/profileIndex';
import { appProfile } from './server-scenario';

const FILE = '/srv/app/app.py';

function setup(limit?: number) {
  const ix = buildProfileIndex(appProfile(FILE));
  const paths = buildPathTable([FILE], { mappings: [{ from: '/srv/app', to: '/home/me/app' }], exists: (p) => p.startsWith('/home/me/') });
  const table = buildFileTables(ix, paths).get('/home/me/app/app.py')!;
  const ctx: HoverContext = { index: ix, localPathOf: (pf) => paths.toLocal.get(pf), limit };
  const fn = (name: string) => table.functions.find((f) => f.name === name)!;
  const line = (n: number) => table.lines.find((l) => l.line === n)!;
  return { ix, table, ctx, fn, line };
}

test('line hover: numbers, what the line calls, who calls its function, links to local files', () => {
  const { ctx, table, fn, line } = setup();
  const md = lineHover(ctx, table, line(10), 9, fn('Worker.run'));
  assert.equal(
    md,
    [
      '**pyprof** · line 10 in `Worker.run`',
      '',
      '0% self · 70.0% total · 70 samples',
      '',
      '**Calls from this line**',
      '',
      '- 70.0% · 70 samples — `helper` — [app.py:3](file:///home/me/app/app.py#L3)',
      '',
      '**`Worker.run` is called from**',
      '',
      '- 70.0% · 70 samples — `decorated` — [app.py:14](file:///home/me/app/app.py#L14)',
    ].join('\n'),
  );
  // Placed elsewhere than recorded: both numbers are shown.
  assert.match(lineHover(ctx, table, line(6), 8, fn('helper')), /^\*\*pyprof\*\* · line 9 \(line 6 when profiled\) in `helper`/);
});

test('function hover: lens numbers, callers by call site, callees', () => {
  const { ctx, fn } = setup();
  const md = functionHover(ctx, fn('helper'));
  assert.match(md, /^\*\*pyprof\*\* · `helper`\n\n90\.0% total · 90\.0% self · 90 samples · called from 2 places\n/);
  assert.match(md, /Hottest line \(as profiled\): 6/);
  assert.match(md, /\*\*Called from\*\*\n\n- 70\.0% · 70 samples — `Worker\.run` — \[app\.py:10\]\(file:\/\/\/home\/me\/app\/app\.py#L10\)\n- 20\.0% · 20 samples — `main` — \[app\.py:19\]/);
  assert.doesNotMatch(md, /\*\*Calls\*\*/, 'helper calls nothing');
  const main = functionHover(ctx, fn('main'));
  assert.match(main, /\*\*Calls\*\*\n\n- 70\.0% · 70 samples — `decorated` — \[app\.py:12\]/);
});

test('the hover of a hot line explains its heat step (the gutter legend)', () => {
  const { ctx, table, line } = setup();
  const md = lineHover(ctx, table, line(17), 16);
  assert.match(md, /_heat 1 of 6 · 0–17% of the hottest line \(80\.0% self\)_/, md);
  assert.match(lineHover(ctx, table, line(6), 5), /_heat 6 of 6 · 83–100% of the hottest line/);
});

test('long caller lists are cut with a remainder row', () => {
  const { ctx, fn } = setup(1);
  const md = functionHover({ ...ctx, limit: 1 }, fn('helper'));
  assert.match(md, /- … 1 more \(20\.0% · 20 samples\)/);
});

test('frame labels without a local file are plain text', () => {
  const { ix } = setup();
  const ctx: HoverContext = { index: ix, localPathOf: () => undefined };
  assert.equal(frameLabel(ctx, ix.profile.frames.findIndex((f) => f.name === 'helper'), 6), '`helper` — app.py:6');
});

test('inlay labels: self share when hot, else total share of a hot call site, else none', () => {
  const { line } = setup();
  assert.equal(inlayLabel(line(6), 0.005), '80.0% self');
  assert.equal(inlayLabel(line(18), 0.005), '70.0% total');
  assert.equal(inlayLabel(line(17), 0.005), '10.0% self');
  assert.equal(inlayLabel(line(17), 0.2), undefined, 'below the threshold');
  assert.equal(inlayLabel(line(18), 0.75), undefined);
  assert.equal(diagnosticMessage(line(6)), 'pyprof: hot line — 80.0% self · 80.0% total · 80 samples');
});
