// Sends the outbox to the server, oldest first, one request at a time. A failure worth retrying
// (server down, 5xx, 429, a stall cut off by the request timeout) keeps the profile at the head
// and waits with exponential backoff and full jitter (so a fleet of agents does not retry in
// step), honouring Retry-After; a profile the server refuses (400, 413, 422...) is dropped and
// counted. flush() is the shutdown path: keep sending until the outbox is empty or the deadline
// passes, then spool what is left for the next run. No vscode import.

import type { Outbox } from './spool';
import type { SendOutcome, WindowProfile } from './ingest';

export interface UploaderOptions {
  send: (p: WindowProfile) => Promise<SendOutcome>;
  /** First retry delay (ms) and the ceiling of the backoff. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Reports state changes once each (first failure, recovery), not every attempt. */
  onStatus?: (event: UploaderEvent) => void;
  random?: () => number;
}

export type UploaderEvent =
  | { type: 'failing'; reason: string; queued: number }
  | { type: 'recovered'; afterFailures: number; queued: number }
  | { type: 'rejected'; reason: string; name: string };

export interface UploadStats {
  sent: number;
  sentBytes: number;
  attempts: number;
  failedAttempts: number;
  lastError?: string;
}

export class Uploader {
  readonly stats: UploadStats = { sent: 0, sentBytes: 0, attempts: 0, failedAttempts: 0 };
  private stopped = false;
  private flushDeadline: number | undefined;
  private consecutiveFailures = 0;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private loop: Promise<void> | undefined;
  private readonly random: () => number;

  constructor(private readonly outbox: Outbox, private readonly opts: UploaderOptions) {
    this.random = opts.random ?? Math.random;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Sends what is queued until the outbox is empty or `deadlineMs` (epoch ms) passes, then stops;
   * whatever is left is spooled. Resolves when the loop has ended.
   */
  async flush(deadlineMs: number): Promise<void> {
    this.flushDeadline = deadlineMs;
    this.start();
    // a backoff sleep is cut short: in the last seconds, try again now rather than wait it out
    this.interruptSleep();
    this.outbox.wakeWaiters();
    // A request in flight when the deadline passes is not waited for (it has its own, longer
    // timeout): its profile is spooled with the rest, and removed again if the send still succeeds.
    let hardStop: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      hardStop = setTimeout(() => {
        this.stopped = true;
        this.interruptSleep();
        resolve();
      }, Math.max(0, deadlineMs - Date.now()));
    });
    try {
      await Promise.race([this.loop, deadline]);
    } finally {
      clearTimeout(hardStop);
      this.stopped = true;
      this.outbox.persistRemaining();
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.flushDeadline !== undefined && (this.outbox.size === 0 || Date.now() >= this.flushDeadline)) return;
      if (this.outbox.size === 0) {
        await this.outbox.whenNotEmpty(); // also woken by flush()
        continue;
      }
      const p = this.outbox.peek();
      if (!p) continue;
      this.stats.attempts++;
      let outcome: SendOutcome;
      try {
        outcome = await this.opts.send(p);
      } catch (e) {
        outcome = { kind: 'retry', reason: (e as Error).message };
      }
      if (outcome.kind === 'sent') {
        this.outbox.remove(p);
        this.stats.sent++;
        this.stats.sentBytes += p.body.length;
        if (this.consecutiveFailures > 0) this.opts.onStatus?.({ type: 'recovered', afterFailures: this.consecutiveFailures, queued: this.outbox.size });
        this.consecutiveFailures = 0;
        continue;
      }
      if (outcome.kind === 'rejected') {
        this.outbox.remove(p, 'rejected');
        this.opts.onStatus?.({ type: 'rejected', reason: outcome.reason, name: p.name });
        continue;
      }
      this.stats.failedAttempts++;
      this.stats.lastError = outcome.reason;
      if (this.consecutiveFailures === 0) this.opts.onStatus?.({ type: 'failing', reason: outcome.reason, queued: this.outbox.size });
      this.consecutiveFailures++;
      await this.sleep(this.backoffMs(outcome.retryAfterMs));
    }
  }

  /** Full jitter: uniform in [0, min(max, min·2^failures)], at least Retry-After when the server said so. */
  private backoffMs(retryAfterMs?: number): number {
    const ceiling = Math.min(this.opts.backoffMaxMs, this.opts.backoffMinMs * 2 ** Math.min(30, this.consecutiveFailures - 1));
    const jittered = this.opts.backoffMinMs / 2 + this.random() * (ceiling - this.opts.backoffMinMs / 2);
    const wait = Math.max(jittered, Math.min(retryAfterMs ?? 0, this.opts.backoffMaxMs));
    if (this.flushDeadline !== undefined) return Math.min(wait, this.opts.backoffMinMs, Math.max(0, this.flushDeadline - Date.now()));
    return wait;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping = { timer, wake };
    });
  }

  private interruptSleep(): void {
    this.sleeping?.wake();
  }
}
