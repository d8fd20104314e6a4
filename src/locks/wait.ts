/**
 * The bounded wait of CONTRACT §5.6: poll at most every 100 ms, give up after 5 s. One
 * deadline covers a whole acquisition (own locks plus waiting for the other side), so a
 * command never waits longer than the timeout in total.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export const DEFAULT_TIMEOUT_MS = 5000;
const MAX_POLL_MS = 100;

export interface LockOptions {
  /** How long to wait for a held lock before E_LOCKED; default `JVS_LOCK_TIMEOUT_MS` or 5000. */
  timeoutMs?: number;
}

export function timeoutMs(opts: LockOptions = {}): number {
  if (opts.timeoutMs !== undefined) return opts.timeoutMs;
  const env = process.env['JVS_LOCK_TIMEOUT_MS'];
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : DEFAULT_TIMEOUT_MS;
}

export class Deadline {
  private readonly end: number;
  private polls = 0;
  constructor(ms: number) {
    this.end = performance.now() + ms;
  }

  get passed(): boolean {
    return performance.now() >= this.end;
  }

  /**
   * Sleeps before the next poll: short at first (most locks are held briefly), growing to
   * 100 ms, with jitter so that many contenders released at once do not move in step.
   */
  async pause(): Promise<void> {
    const base = Math.min(MAX_POLL_MS, 5 * 2 ** this.polls++);
    const ms = Math.min(base * (0.5 + Math.random() / 2), Math.max(0, this.end - performance.now()));
    await sleep(ms);
  }
}
