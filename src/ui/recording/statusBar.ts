// Status-bar item while recording: elapsed time and samples; clicking it stops the recording.

import * as vscode from 'vscode';
import { formatCount } from '../../profile/summary';

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export class RecordingStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private samples = 0;
  private label = '';

  constructor() {
    this.item = vscode.window.createStatusBarItem('pyprof.recording', vscode.StatusBarAlignment.Left, 1000);
    this.item.name = 'pyprof recording';
    this.item.command = 'pyprof.stop';
  }

  start(label: string): void {
    this.label = label;
    this.started = Date.now();
    this.samples = 0;
    this.render();
    this.item.show();
    this.timer = setInterval(() => this.render(), 1000);
  }

  update(samples: number, elapsedMs: number): void {
    this.samples = samples;
    this.started = Date.now() - elapsedMs; // the CLI's clock: started when sampling began
    this.render();
  }

  stopping(): void {
    this.item.text = `$(loading~spin) pyprof: writing profile…`;
    this.item.tooltip = 'pyprof is writing the profile';
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.item.hide();
  }

  private render(): void {
    const elapsed = Date.now() - this.started;
    this.item.text = `$(record) pyprof ${formatElapsed(elapsed)} · ${formatCount(this.samples)} samples`;
    this.item.tooltip = `Profiling ${this.label}. Click to stop.`;
  }

  dispose(): void {
    this.end();
    this.item.dispose();
  }
}
