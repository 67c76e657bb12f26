// "pyprof: Open from Pyroscope…": asks for the application (listed by the server), its tags and a
// time range, fetches the merged profile through the querier API (src/pyroscope/query.ts) and
// saves it to the extension's storage, from where it opens like any profile file: path mapping
// (pyprof.pathMappings, then trailing-segment matching), hot lines, CodeLens, flame graph, and
// Compare with… (it joins the profile history). The server and credentials come from settings
// and the extension host's environment (PYROSCOPE_AUTH_TOKEN…), never stored in settings.

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { exportProfile } from '../../profile/formats';
import { writeFileAtomicAsync } from '../../files/safeFiles';
import { PyroscopeConfigError, resolveAuth } from '../../pyroscope/auth';
import { parseServerUrl, parseTag } from '../../pyroscope/ingest';
import { CPU_PROFILE_TYPE, fetchLabelValues, fetchMergedProfile, QueryTarget } from '../../pyroscope/query';
import { parseTimeRange } from '../../pyroscope/timeRange';
import { log } from '../output';

export interface PyroscopeOpenHost {
  storageDir: string;
  /** Opens a saved profile like Open Profile… does (and keeps it in the history). */
  openProfile(file: string, label: string): Promise<void>;
  fail(message: string): void;
}

const RANGES: Array<{ label: string; range: string }> = [
  { label: 'Last 15 minutes', range: 'now-15m' },
  { label: 'Last hour', range: 'now-1h' },
  { label: 'Last 6 hours', range: 'now-6h' },
  { label: 'Last 24 hours', range: 'now-24h' },
  { label: 'Last 7 days', range: 'now-7d' },
];

function config() {
  return vscode.workspace.getConfiguration('pyprof.pyroscope');
}

async function askServer(): Promise<string | undefined> {
  const configured = config().get<string>('url', '').trim();
  if (configured) return configured;
  const typed = await vscode.window.showInputBox({
    title: 'pyprof: Open from Pyroscope (1/4): server',
    prompt: 'Pyroscope server URL (saved as the pyprof.pyroscope.url setting)',
    placeHolder: 'http://localhost:4040',
    validateInput: (v) => {
      try {
        parseServerUrl(v.trim());
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  if (!typed) return undefined;
  await config().update('url', typed.trim(), vscode.ConfigurationTarget.Global);
  return typed.trim();
}

async function askRange(): Promise<{ startMs: number; endMs: number; text: string } | undefined> {
  const custom = { label: 'Custom range…', range: '' };
  const pick = await vscode.window.showQuickPick([...RANGES, custom], { title: 'pyprof: Open from Pyroscope (2/4): time range' });
  if (!pick) return undefined;
  let text = pick.range;
  if (!text) {
    const typed = await vscode.window.showInputBox({
      title: 'pyprof: Open from Pyroscope: custom range',
      prompt: 'FROM or FROM .. UNTIL: now-2h, now-3h .. now-1h, 2026-12-04T10:00 .. 2026-12-04T11:30, unix seconds',
      validateInput: (v) => {
        const r = parseTimeRange(v, Date.now());
        return typeof r === 'string' ? r : undefined;
      },
    });
    if (!typed) return undefined;
    text = typed;
  }
  const r = parseTimeRange(text, Date.now());
  if (typeof r === 'string') return undefined;
  return { ...r, text: pick.range ? pick.label.toLowerCase() : text };
}

async function askApp(target: QueryTarget, startMs: number, endMs: number): Promise<string | undefined> {
  let apps: string[] = [];
  let why = '';
  try {
    apps = await fetchLabelValues(target, 'service_name', startMs, endMs);
  } catch (e) {
    why = (e as Error).message;
    log(`pyroscope: cannot list applications: ${why}`);
  }
  if (apps.length > 0) {
    const typeOwn = '$(edit) Another name…';
    const pick = await vscode.window.showQuickPick([...apps, typeOwn], { title: 'pyprof: Open from Pyroscope (3/4): application (service_name)' });
    if (pick !== typeOwn) return pick;
  }
  return vscode.window.showInputBox({
    title: 'pyprof: Open from Pyroscope (3/4): application (service_name)',
    prompt: apps.length ? 'Application name' : `The server listed no applications in that range${why ? ` (${why})` : ''}; type the name`,
    validateInput: (v) => (v.trim() ? undefined : 'a name is needed'),
  });
}

async function askTags(): Promise<Array<[string, string]> | undefined> {
  const typed = await vscode.window.showInputBox({
    title: 'pyprof: Open from Pyroscope (4/4): tags',
    prompt: 'Optional labels to narrow the series, comma-separated: env=prod,region=eu (empty: every series of the application)',
    validateInput: (v) => {
      try {
        splitTags(v);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  return typed === undefined ? undefined : splitTags(typed);
}

function splitTags(text: string): Array<[string, string]> {
  return text.split(',').map((t) => t.trim()).filter(Boolean).map(parseTag);
}

/** Answers given with the command (`executeCommand('pyprof.openFromPyroscope', {...})`): those prompts are skipped. */
export interface PyroscopeOpenPreset {
  url?: string;
  app?: string;
  /** `env=prod,region=eu` ('' for none) */
  tags?: string;
  /** as typed in the custom range box: `now-1h`, `now-3h .. now-1h`… */
  range?: string;
}

export async function openFromPyroscope(host: PyroscopeOpenHost, preset: PyroscopeOpenPreset = {}): Promise<void> {
  const url = preset.url ?? (await askServer());
  if (!url) return;
  let target: QueryTarget;
  try {
    const auth = resolveAuth({ env: process.env, tokenFile: config().get<string>('authTokenFile', '') || undefined, tenant: config().get<string>('tenant', '') || undefined });
    target = { server: parseServerUrl(url), headers: auth.headers, timeoutMs: 60_000 };
  } catch (e) {
    host.fail(e instanceof PyroscopeConfigError ? `Pyroscope: ${e.message}` : (e as Error).message);
    return;
  }
  let range: { startMs: number; endMs: number; text: string } | undefined;
  if (preset.range !== undefined) {
    const r = parseTimeRange(preset.range, Date.now());
    if (typeof r === 'string') {
      host.fail(`Pyroscope time range: ${r}`);
      return;
    }
    range = { ...r, text: preset.range };
  } else range = await askRange();
  if (!range) return;
  const app = preset.app ?? (await askApp(target, range.startMs, range.endMs));
  if (!app) return;
  let tags: Array<[string, string]> | undefined;
  try {
    tags = preset.tags !== undefined ? splitTags(preset.tags) : await askTags();
  } catch (e) {
    host.fail(`Pyroscope tags: ${(e as Error).message}`);
    return;
  }
  if (tags === undefined) return;
  const profileType = config().get<string>('profileType', CPU_PROFILE_TYPE) || CPU_PROFILE_TYPE;
  const series = `${app}${tags.length ? `{${tags.map(([k, v]) => `${k}=${v}`).join(',')}}` : ''}`;
  const label = `Pyroscope: ${series}, ${range.text}`;
  const found = tags;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `pyprof: fetching ${series} from ${target.server.host}…` }, async () => {
    try {
      const profile = await fetchMergedProfile(target, { app, tags: found, startMs: range.startMs, endMs: range.endMs, profileType });
      const dir = path.join(host.storageDir, 'pyroscope');
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stamp = new Date(range.endMs).toISOString().replace(/[:.]/g, '-');
      const file = path.join(dir, `${app.replace(/[^A-Za-z0-9_.-]/g, '_')}-${stamp}.speedscope.json`);
      await writeFileAtomicAsync(file, exportProfile(profile, 'speedscope'));
      await host.openProfile(file, label);
    } catch (e) {
      host.fail((e as Error).message);
    }
  });
}
