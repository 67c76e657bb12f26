// The program's console for "Profile Current File": a pseudo-terminal that shows the program's
// stdout/stderr (they reach us through the CLI, which runs the program) and forwards typed input
// to its stdin with simple line editing (the program reads a pipe, not a TTY). Ctrl-C or closing
// the terminal stops the recording; the profile is still written.

import * as vscode from 'vscode';

export class ProgramTerminal implements vscode.Disposable {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  private readonly terminal: vscode.Terminal;
  private opened = false;
  private pending: string[] = [];
  private line = '';
  private finished = false;

  constructor(
    name: string,
    private readonly handlers: { input(text: string): void; interrupt(): void; endInput(): void },
  ) {
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.writeEmitter.event,
      onDidClose: this.closeEmitter.event,
      open: () => {
        this.opened = true;
        for (const p of this.pending) this.writeEmitter.fire(p);
        this.pending = [];
      },
      close: () => {
        if (!this.finished) this.handlers.interrupt();
      },
      handleInput: (data) => this.onInput(data),
    };
    this.terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('flame') });
  }

  show(preserveFocus = true): void {
    this.terminal.show(preserveFocus);
  }

  /** Program output; newlines become CRLF for the terminal. */
  write(text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const t = text.replace(/\r?\n/g, '\r\n');
    this.emit(stream === 'stderr' ? `\x1b[31m${t}\x1b[0m` : t);
  }

  /** A pyprof message (dimmed) on its own line. */
  note(text: string): void {
    this.emit(`\r\n\x1b[2m[pyprof] ${text.replace(/\r?\n/g, '\r\n')}\x1b[0m\r\n`);
  }

  /** The program is gone: further key presses close the terminal. */
  finish(): void {
    this.finished = true;
    this.emit('\x1b[2m[pyprof] press any key to close this terminal\x1b[0m\r\n');
  }

  private emit(s: string): void {
    if (this.opened) this.writeEmitter.fire(s);
    else this.pending.push(s);
  }

  private onInput(data: string): void {
    if (this.finished) {
      this.closeEmitter.fire();
      return;
    }
    for (const ch of data) {
      if (ch === '\x03') {
        this.emit('^C\r\n');
        this.handlers.interrupt();
      } else if (ch === '\x04') {
        if (this.line) this.handlers.input(this.line);
        this.line = '';
        this.handlers.endInput();
      } else if (ch === '\r' || ch === '\n') {
        this.emit('\r\n');
        this.handlers.input(`${this.line}\n`);
        this.line = '';
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.emit('\b \b');
        }
      } else if (ch >= ' ') {
        this.line += ch;
        this.emit(ch);
      }
    }
  }

  dispose(): void {
    this.terminal.dispose();
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
