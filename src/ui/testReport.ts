// Test hook for end-to-end tests that drive a real VS Code through its UI: when the environment
// variable PYPROF_TEST_REPORT=/path/report.json is set in the extension host, the extension writes
// what it shows to that file (atomically: write temp + rename) every time it changes:
//
//   {
//     "updated": 1732450000000,                 // ms since epoch
//     "profile": { "label": "demo.py (recorded)", "samples": 1234, "total": 1234,
//                  "source": "pyprof", "files": 3, "prepareMs": 12 } | null,
//     "recording": false,
//     "decorations": { "/abs/path/file.py": [ { "line": 12, "heat": 6, "text": "70.0% self", "detail": "70.0% self · 70.0% total · …" } ] },
//     "lensSource": "server",                   // who serves CodeLens: server | extension (fallback) | pending
//     "server": { "label": "demo.py (recorded)", "total": 1234 } | null,   // what the language server has loaded
//     "lenses": { "/abs/path/file.py": [ { "line": 10, "title": "pyprof: 42.1% total · …" } ] },  // visible editors, polled every second
//     "activationMs": 4,                        // time spent in activate()
//     "decorationsMs": 8,                       // profile ready (file read) → decorations applied, ms
//     "flamePanel": { "open": true, "loadedMs": 850 },   // loadedMs: open → canvas rendered
//     "lastError": "…" | null,
//     "log": [ "…last 50 lines of the pyprof output channel…" ]
//   }
//
// `line` is 1-based (as the editor shows it) and follows edits. Only visible editors are listed.

import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../files/safeFiles';

export interface TestReport {
  updated: number;
  profile: { label: string; samples: number; total: number; source: string; files: number; prepareMs: number } | null;
  recording: boolean;
  decorations: Record<string, Array<{ line: number; heat: number; text: string; detail: string }>>;
  lensSource: 'pending' | 'server' | 'extension';
  server: { label: string; total: number } | null;
  lenses: Record<string, Array<{ line: number; title: string }>>;
  activationMs: number | null;
  decorationsMs: number | null;
  flamePanel: { open: boolean; loadedMs: number | null };
  lastError: string | null;
  log: string[];
}

export class TestReportWriter {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly file: string,
    private readonly snapshot: () => TestReport,
  ) {}

  /** Coalesces bursts (one edit re-renders several editors) into one write within 50 ms. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writeNow();
    }, 50);
  }

  writeNow(): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileAtomic(this.file, JSON.stringify(this.snapshot(), null, 2));
    } catch {
      /* a test hook must never break the extension */
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.writeNow();
  }
}
